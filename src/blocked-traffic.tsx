import { BlockedTrafficList } from "./raycast/views/blocked-traffic";

/** What tried to get out outside the VPN, from the root side's record. */
export default function Command() {
  return <BlockedTrafficList />;
}
