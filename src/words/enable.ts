/**
 * What Enable says to people, short and in their words: its refusals and questions (each with the action that
 * fixes it), the line before the password prompt, and the one message after the first Enable.
 */
import type { AnchorSummary } from "../pf/anchor";
import { ACTION_TITLES } from "./actions";
import { SETTING_TITLES } from "./settings";

/** A refusal or a question, for an alert that stays on screen: `fix` is the button that fixes it. */
export interface EnableQuestion {
  title: string;
  message: string;
  fix: string;
  /** The other button: Cancel, or a second way out. */
  other: string;
}

export const ENABLE_WITHOUT_STARTUP = "Enable Without Startup Protection";

/** Startup Protection on, no VPN connected and no server known: connecting is what finds the server. */
export const CONNECT_VPN_FIRST: EnableQuestion = {
  title: "Connect Your VPN First",
  message:
    "The kill switch keeps your VPN's server reachable, also after a restart, and no server is known yet. " +
    `Connect your VPN and enable again, or name its server under ${SETTING_TITLES.vpnServers} in Preferences. ` +
    "Nothing was changed.",
  fix: ACTION_TITLES.openPreferences,
  other: "Cancel",
};

/** Startup Protection on, the VPN connected, and still no server found. */
export const VPN_SERVER_NOT_FOUND: EnableQuestion = {
  title: "VPN Server Not Found",
  message:
    "Your VPN is connected, but its server was not found on this Mac, so the kill switch cannot keep it " +
    `reachable after a restart. Name the server under ${SETTING_TITLES.vpnServers} in Preferences, or enable ` +
    "without startup protection: the kill switch then lasts until the next restart. Nothing was changed.",
  fix: ENABLE_WITHOUT_STARTUP,
  other: ACTION_TITLES.openPreferences,
};

/** Startup Protection off, no VPN connected, no server known: Enable would block the VPN app too. */
export const NO_VPN_CONNECTED: EnableQuestion = {
  title: "No VPN Connected",
  message:
    "With no VPN connected and no server known, the kill switch would block your VPN app too, and everything " +
    `else. Connect the VPN first, or name its server under ${SETTING_TITLES.vpnServers} in Preferences.`,
  fix: "Block All Traffic",
  other: "Cancel",
};

/** A host name in the settings that did not resolve: `names` are the resolver's words. */
export function hostNameNotResolved(names: string): EnableQuestion {
  return {
    title: "A Server Name Did Not Resolve",
    message: `${names}\n\nCheck the name in Preferences, or use the server's IP address. Nothing was changed.`,
    fix: ACTION_TITLES.openPreferences,
    other: "Cancel",
  };
}

/** Preferences Raycast cannot use: `errors` name each field and value. */
export function preferencesToFix(errors: readonly string[]): EnableQuestion {
  return {
    title: "Check the Kill Switch Preferences",
    message: `${errors.join("\n")}\n\nNothing was changed.`,
    fix: ACTION_TITLES.openPreferences,
    other: "Cancel",
  };
}

/** The one line before the password prompt: what is about to change. */
export function aboutToEnable(protectFromStartup: boolean): string {
  return protectFromStartup
    ? "Blocking all traffic outside the VPN, from now and after every restart"
    : "Blocking all traffic outside the VPN, until the next restart";
}

/** Said with the line before the prompt: who asks, and why. */
export const PASSWORD_REASON = "macOS asks for an administrator's password (or Touch ID) to change the firewall.";

/** The title of the message after the first Enable. */
export const FIRST_ENABLE_TITLE = "The Kill Switch Is On";

/**
 * After the first Enable: what is now in force, whether it survives a restart, how to turn it off. `startup`:
 * the startup watchdog is installed (or kept).
 */
export function firstEnableMessage(summary: AnchorSummary | null, startup: boolean): string[] {
  const inForce = !summary
    ? "Only your VPN reaches the Internet now; everything else is blocked."
    : summary.blockingMode
      ? "Everything is blocked until your VPN connects; then only the VPN reaches the Internet."
      : `Only your VPN (${summary.tunnels.join(", ")}) reaches the Internet now; everything else is blocked.`;
  return [
    inForce,
    startup
      ? "It stays on after a restart: it is back in force before any app connects."
      : `It lasts until the next restart (${SETTING_TITLES.protectFromStartup} is off).`,
    `To turn it off: ${ACTION_TITLES.disable}, from Raycast or the menu bar (type “kill switch off”), or \`killswitch disable\` in Terminal.`,
  ];
}
