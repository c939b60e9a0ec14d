import { ExceptionForm } from "./raycast/exception-form";

export default function Command() {
  return <ExceptionForm />;
}
