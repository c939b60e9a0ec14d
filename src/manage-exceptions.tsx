import { ExceptionListView } from "./raycast/exception-list";

export default function Command() {
  return <ExceptionListView />;
}
