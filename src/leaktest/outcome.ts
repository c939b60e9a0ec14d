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
