import { ExceptionForm } from "./raycast/views/exception-form";

export default function Command() {
  return <ExceptionForm />;
}
