/** The leak test's verdict as a whole, for the CLI and Raycast to say first. */
import type { LeakTestResult } from "./leak-test";

/**
 * A leak when any probe outside the tunnel got out; not proven when one has no verdict (or none could be sent
 * outside the tunnel at all); no leak only when pf's log proves every one of them blocked.
 */
export function leakTestOutcome(result: LeakTestResult): "leak" | "not-proven" | "no-leak" {
  if (result.leaks > 0) return "leak";
  const outside = result.results.filter((entry) => entry.probe.outside).length;
  return result.unproven > 0 || outside === 0 ? "not-proven" : "no-leak";
}

const probes = (count: number) => `${count} probe${count === 1 ? "" : "s"}`;

/** The verdict in one line, as the CLI prints it first and Alfred notifies it. */
export function leakTestHeadline(result: LeakTestResult): string {
  const unproven = result.unproven > 0 ? ` ${result.unproven} more not proven.` : "";
  switch (leakTestOutcome(result)) {
    case "leak":
      return `LEAK: ${probes(result.leaks)} left this Mac outside the VPN.${unproven}`;
    case "not-proven":
      return result.unproven > 0
        ? `Not proven: ${probes(result.unproven)} outside the tunnel got no verdict from pf, so no leak is ruled out.`
        : "Not proven: no probe could be sent outside the tunnel.";
    case "no-leak":
      return "No leak: pf blocked every probe outside the tunnel, each by its own entry in its log.";
  }
}
