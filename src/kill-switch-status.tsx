import { StatusMenuBar } from "./raycast/status-menu-bar";

export default function Command() {
  return <StatusMenuBar />;
}
