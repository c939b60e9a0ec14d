import { StatusMenuBar } from "./raycast/views/status-menu-bar";

export default function Command() {
  return <StatusMenuBar />;
}
