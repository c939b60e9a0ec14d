/**
 * What the front-ends say after an action, in one set of words: Raycast's HUDs and toasts, Alfred's
 * notifications. The CLI's longer lines come from lifecycle/describe.ts, which both show as details.
 */
import { formatCidr } from "../address/ip";
import type { KillSwitchStatus } from "../lifecycle/status";
import { needsAttention } from "../lifecycle/states";
import type { AnchorSummary } from "../pf/anchor";
import { addressCount } from "../policy/exception-width";
import type { CaptivePortalMinutes } from "../policy/captive-portal";
import type { NameToConfirm } from "../policy/name-trust";

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** What an action did, when it did what was asked. */
/** Said instead of a leak test while the kill switch is off: nothing blocks, so probes getting out are no leak. */
export const LEAK_TEST_WHILE_OFF = {
  title: "The Kill Switch Is Off",
  text: "Nothing is blocked now, so there is nothing to test: traffic flows normally, outside the VPN too. Enable the kill switch, then test it.",
} as const;

export const OUTCOMES = {
  disabled: "Kill Switch Off · traffic flows normally",
  uninstalled: "Kill Switch Uninstalled · its rules, startup watchdog and files are gone",
  logCleared: "Blocked Traffic Log Cleared",
  portalWhileOff: "Kill Switch Off · nothing blocks the sign-in page",
  portalWhileConnected: "The VPN Is Connected · a sign-in page only matters before it connects",
  portalNotOpen: "No Captive Portal Window Is Open",
  verifyWhileOff: "Kill Switch Off · no rules to verify",
  verified: "Rules Verified · nothing leaves outside the VPN on this network",
  exceptionAdded: "Exception Added",
  exceptionUpdated: "Exception Updated",
  exceptionEnabled: "Exception Enabled",
  exceptionDisabled: "Exception Disabled",
  exceptionDeleted: "Exception Deleted",
  exceptionsChanged: "Exceptions Changed",
} as const;

/** The title of what went wrong, by action. */
export const FAILURES = {
  enable: "Could Not Enable the Kill Switch",
  disable: "Could Not Disable the Kill Switch",
  uninstall: "Could Not Uninstall the Kill Switch",
  portal: "Could Not Open the Captive Portal Window",
  closePortal: "Could Not Close the Captive Portal Window",
  verify: "Could Not Verify the Rules",
  test: "Could Not Test the Kill Switch",
  clearLog: "Could Not Clear the Blocked Traffic Log",
  exception: "Could Not Change the Exception",
  readStatus: "Could Not Read the Kill Switch",
} as const;

/** What to do while a captive-portal window is open, in every front-end. */
export const CAPTIVE_PORTAL_STEPS =
  "Open any web page to get the sign-in page, sign in, then connect the VPN; close the window as soon as it connects";

/** "Captive Portal Allowed for 2 Minutes · DNS and web open outside the VPN · Open any web page…". */
export function portalOpened(minutes: CaptivePortalMinutes): string {
  return `Captive Portal Allowed for ${minutes} Minutes · DNS and web open outside the VPN · ${CAPTIVE_PORTAL_STEPS}`;
}

/** Said when the window is closed early. */
export const PORTAL_CLOSED = "Captive Portal Closed · DNS and web blocked outside the VPN again";

/** "Rules Do Not Match (2 problems)". */
export function rulesDoNotMatch(problems: number): string {
  return `Rules Do Not Match (${plural(problems, "problem", "problems")})`;
}

/** "Printer Allowed" / "Printer Blocked": one exception turned on or off from the menu bar or Alfred's list. */
export function exceptionToggled(title: string, enabled: boolean): string {
  return `${title} ${enabled ? "Allowed" : "Blocked"}`;
}

/** A change saved while the kill switch is off. */
export function appliesAtNextEnable(what: string): string {
  return `${what} · the kill switch is off: it applies at the next Enable`;
}

/** A change saved, but the rules not reloaded (the prompt cancelled). */
export function notApplied(what: string): string {
  return `${what}, Not Applied · it applies at the next Enable`;
}

/** A change saved and the rules reloaded with it. */
export function rulesReloaded(what: string): string {
  return `${what} · kill switch rules reloaded`;
}

/** "Kill Switch On · utun4 · 1 VPN server allowed": what is in force, short enough for a HUD. */
export function describeEnabled(summary: AnchorSummary): string {
  const parts = ["Kill Switch On"];
  parts.push(summary.blockingMode ? "Blocking until the VPN connects" : summary.tunnels.join(", "));
  if (summary.endpoints.length > 0) {
    const servers = new Set(summary.endpoints.map((endpoint) => endpoint.address)).size;
    parts.push(`${plural(servers, "VPN server", "VPN servers")} allowed`);
  }
  if (summary.allowLan) parts.push("local network allowed");
  if (summary.exceptions.length > 0) {
    // The widest network an exception opens is what to notice: a whole subnet outside the VPN.
    const widest = summary.exceptions
      .flatMap((exception) => exception.addresses)
      .filter((cidr) => addressCount(cidr) > 1n)
      .sort((a, b) => Number(addressCount(b) - addressCount(a)))[0];
    const count = plural(summary.exceptions.length, "exception", "exceptions");
    parts.push(widest ? `${count} (widest ${formatCidr(widest)})` : count);
  }
  if (summary.captivePortal) parts.push("captive portal open");
  return parts.join(" · ");
}

/** The HUD after an action: an outcome that needs attention first, with its reason, then what was done. */
export function outcomeHud(status: Pick<KillSwitchStatus, "state" | "headline">, done: string): string {
  return needsAttention(status.state) ? `${status.headline.replace(/\.$/, "")} · ${done}` : done;
}

/** The confirmation shown when names were resolved by the network rather than the VPN: each name and its addresses. */
export function nameConfirmationQuestion(names: readonly NameToConfirm[]): { title: string; message: string } {
  const lines = names.map((n) => `${n.host} → ${n.addresses.join(", ")}`);
  return {
    title: names.length === 1 ? "Allow This Address Outside the VPN?" : "Allow These Addresses Outside the VPN?",
    message:
      `${lines.join("\n")}\n\nThis network's DNS, not the VPN's, gave ${names.length === 1 ? "this answer" : "these answers"}, ` +
      `and it could have given any address. Traffic to ${names.length === 1 && names[0].addresses.length === 1 ? "it" : "them"} ` +
      `leaves outside the tunnel. Allow only if these are the right addresses; a different answer later is asked about again.`,
  };
}

/** Said before uninstalling, by every front-end (Raycast adds where its own settings stay). */
export const UNINSTALL_WARNING =
  "This removes the kill switch's rules, its startup watchdog and every file it keeps on this Mac. Traffic flows normally afterwards.";

/** The button that closes a report without doing anything else. */
export const DISMISS = "OK";
