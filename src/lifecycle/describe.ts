import { ANCHOR_NAME, WATCHDOG_INTERVAL_SECONDS } from "../privileged/paths";
import type { KillSwitchChange } from "./actions";
import type { NetworkState } from "../network/state";

import { namedSetting } from "../words/settings";
import { type KillSwitchStatus, needsAttention } from "./status";
import { STATE_MEANINGS } from "../words/states";

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

const WATCHDOG_TEXT: Record<string, string> = {
  installed: `Protected from startup: a root watchdog loads the rules at boot and checks them every ${WATCHDOG_INTERVAL_SECONDS} seconds and on network changes.`,
  kept: `Protected from startup: the root watchdog keeps checking the rules every ${WATCHDOG_INTERVAL_SECONDS} seconds and on network changes.`,
  removed: "The startup watchdog was removed: the rules last until the next restart.",
  failed: "Protection from startup could not be installed (see the note below).",
  "remove-failed": "The startup watchdog could not be removed from launchd (see the note below).",
};

/** What an action did, in lines for people (CLI output, Raycast HUD details). */
export function describeChange(change: KillSwitchChange): string[] {
  const { report } = change;
  const lines: string[] = [];
  if (change.action === "clear-log") {
    lines.push("The record of blocked traffic is cleared; recording goes on while the kill switch is on.");
  } else if (change.action === "disable" || change.action === "uninstall") {
    lines.push(
      change.action === "disable"
        ? "Kill switch off: its rules are removed and every other pf rule is as it was."
        : "Kill switch uninstalled: its rules, its startup watchdog and its files are gone; every other pf rule is as it was.",
      `  pf is ${pfRunning(change)}; ${RELEASE_TEXT[report.reference] ?? `reference: ${report.reference}`}.`,
    );
    if (change.action === "disable" && report.watchdog === "removed") {
      lines.push("  The startup watchdog was removed too: nothing is blocked at the next boot.");
    }
    if (change.action === "uninstall") {
      lines.push(...(report.removed ?? []).map((path) => `  Removed ${path}`));
    }
  } else {
    const done = `Kill switch ${change.action === "apply" ? "rules reloaded" : "on"}`;
    // Traffic that passes outside the rules is the news: said first, with why and what to do.
    if (needsAttention(change.status.state)) {
      lines.push(
        change.status.headline,
        ...change.status.notes.map((note) => `  ${note}`),
        `  ${done}: its rules are loaded, but what the first line names passes outside them.`,
      );
    } else {
      lines.push(`${done}. ${change.status.headline}`);
    }
    lines.push(
      `  ${plural(report.anchorRules.length, "rule", "rules")} in force in pf anchor ${ANCHOR_NAME}, ${
        ATTACHMENT_TEXT[report.attachment]
      }.`,
      `  pf is ${pfRunning(change)} (${report.reference === "kept" ? "the kill switch's reference kept" : "reference taken"}).`,
    );
    if (report.killedStates > 0) {
      lines.push(`  ${plural(report.killedStates, "connection", "connections")} outside the VPN closed.`);
    }
    if (change.status.captivePortalUntil) {
      lines.push(
        `  Captive portal window open until ${change.status.captivePortalUntil.toISOString()}; a root timer closes it.`,
      );
    }
    const watchdog = report.watchdog ? WATCHDOG_TEXT[report.watchdog] : undefined;
    if (watchdog) lines.push(`  ${watchdog}`);
  }
  if (change.method === "touchid") lines.push("  Authorised with Touch ID.");
  lines.push(...change.notes.map((note) => `  Note: ${note}`));
  return lines;
}

export function describeStatus(status: KillSwitchStatus): string[] {
  const lines = [status.headline, `  ${STATE_MEANINGS[status.state]}`, ...status.notes.map((note) => `  ${note}`)];
  if (status.recorded) {
    const since = new Date(status.recorded.changedAt * 1000).toISOString();
    lines.push(
      `  Rules loaded ${since}, letting through: ${status.recorded.tunnels.join(", ") || "no tunnel (blocking mode)"}.`,
    );
  }
  if (status.captivePortalUntil) {
    lines.push(`  Captive portal window open until ${status.captivePortalUntil.toISOString()}.`);
  }
  if (status.recorded?.protectFromStartup) lines.push("  Protected from startup by the root watchdog.");
  if (status.watchdog) {
    lines.push(
      `  Watchdog (${new Date(status.watchdog.checkedAt * 1000).toISOString()}): ${status.watchdog.result}${
        status.watchdog.message ? `, ${status.watchdog.message}` : ""
      }.`,
    );
  }
  return lines;
}

/**
 * VPN tunnels that are up but that the rules in force do not let through (they are not the VPN's: another
 * app's, a second VPN); empty when the kill switch is off or the network is unknown.
 */
export function untrustedTunnelsNow(status: KillSwitchStatus, network: NetworkState | null): string[] {
  if (!status.recorded || !network) return [];
  const trusted = status.recorded.tunnels;
  return network.tunnels.map((tunnel) => tunnel.name).filter((name) => !trusted.includes(name));
}

/** The line Status adds for them, saying how to trust one. */
export function describeUntrustedTunnels(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  return [
    `  Not trusted as the VPN, so blocked like Wi-Fi: ${names.join(", ")}. To let one through, add it to ${namedSetting("trustedTunnels")} and turn the kill switch on again.`,
  ];
}
