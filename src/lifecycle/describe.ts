import { ANCHOR_NAME } from "../privileged/paths";
import type { KillSwitchChange } from "./actions";
import type { KillSwitchStatus } from "./status";

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "Enabled" / "Disabled" from `pfctl -s info`'s first line. */
function pfRunning(change: KillSwitchChange): string {
  const line = change.report.pfInfo.find((l) => l.startsWith("Status:"));
  return line?.match(/^Status: (\w+)/)?.[1]?.toLowerCase() ?? "state unknown";
}

const ATTACHMENT_TEXT = {
  "com.apple": "evaluated first through Apple's anchor point",
  main: "evaluated first through a reference at the top of the main ruleset",
  none: "not attached",
} as const;

const RELEASE_TEXT: Record<string, string> = {
  released: "its pf reference was released",
  gone: "no pf reference of its own was left to release (the Mac restarted since it was turned on)",
  none: "it was already off",
  unidentified: "its pf reference could not be identified, so none was released",
  "release-failed": "pf did not release its reference",
};

/** What an action did, in lines for people (CLI output, Raycast HUD details). */
export function describeChange(change: KillSwitchChange): string[] {
  const { report } = change;
  const lines: string[] = [];
  if (change.action === "disable") {
    lines.push(
      "Kill switch off: its rules are removed and every other pf rule is as it was.",
      `  pf is ${pfRunning(change)}; ${RELEASE_TEXT[report.reference] ?? `reference: ${report.reference}`}.`,
    );
  } else {
    lines.push(
      `Kill switch ${change.action === "apply" ? "rules reloaded" : "on"}. ${change.status.headline}`,
      `  ${plural(report.anchorRules.length, "rule", "rules")} in force in pf anchor ${ANCHOR_NAME}, ${
        ATTACHMENT_TEXT[report.attachment]
      }.`,
      `  pf is ${pfRunning(change)} (${report.reference === "kept" ? "the kill switch's reference kept" : "reference taken"}).`,
    );
    if (report.killedStates > 0) {
      lines.push(`  ${plural(report.killedStates, "connection", "connections")} outside the VPN closed.`);
    }
  }
  if (change.method === "touchid") lines.push("  Authorised with Touch ID.");
  lines.push(...change.notes.map((note) => `  Note: ${note}`));
  return lines;
}

export function describeStatus(status: KillSwitchStatus): string[] {
  const lines = [status.headline, ...status.notes.map((note) => `  ${note}`)];
  if (status.recorded) {
    const since = new Date(status.recorded.changedAt * 1000).toISOString();
    lines.push(
      `  Rules loaded ${since}, letting through: ${status.recorded.tunnels.join(", ") || "no tunnel (blocking mode)"}.`,
    );
  }
  if (status.watchdog) {
    lines.push(
      `  Watchdog (${new Date(status.watchdog.checkedAt * 1000).toISOString()}): ${status.watchdog.result}${
        status.watchdog.message ? `, ${status.watchdog.message}` : ""
      }.`,
    );
  }
  return lines;
}
