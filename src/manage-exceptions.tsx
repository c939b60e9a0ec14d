import { ExceptionListView } from "./raycast/views/exception-list";

export default function Command() {
  return <ExceptionListView />;
}
