import { LeakTestView } from "./raycast/views/leak-test-view";

/** Probes sent outside the VPN on purpose, judged by pf's log: no password. */
export default function Command() {
  return <LeakTestView />;
}
