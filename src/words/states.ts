/**
 * The kill switch's states in words, the same in every front-end: the menu bar's text, first line and meaning,
 * the first word of Status's headline (the CLI prints it), the HUDs, Alfred's first item. Each name says whether
 * traffic can leave outside the VPN right now; no front-end writes one by hand (test/words checks).
 */
import type { KillSwitchState } from "../lifecycle/states";

/** Each state's name; a Record, so a state added to the lifecycle must be named here. */
export const STATE_NAMES: Record<KillSwitchState, string> = {
  protected: "Protected",
  blocking: "Blocking",
  "safe-mode": "Safe Mode",
  unverified: "Unverified",
  "watchdog-stopped": "Watchdog Stopped",
  "not-protected": "Not Protected",
  off: "Off",
  unknown: "Unknown",
};

/** The first line of the menu bar's menu for each state: "On" only where rules were found in force. */
export const STATE_HEADLINES: Record<KillSwitchState, string> = {
  protected: "Kill Switch On · Protected",
  blocking: "Kill Switch On · Blocking",
  "safe-mode": "Kill Switch On · Safe Mode",
  unverified: "Kill Switch On · Unverified",
  "watchdog-stopped": "Kill Switch On · Watchdog Stopped",
  "not-protected": "Not Protected",
  off: "Kill Switch Off",
  unknown: "Kill Switch Status Unknown",
};

/** What each state means for people, in one sentence: can anything leave outside the VPN now? */
export const STATE_MEANINGS: Record<KillSwitchState, string> = {
  protected: "Traffic leaves only through the VPN, and the watchdog keeps checking that it does.",
  blocking: "Nothing leaves until the VPN connects: only the VPN's own connection gets out.",
  "safe-mode":
    "Everything is blocked, even through the VPN (its app can still reach its server): the rules could not be loaded.",
  unverified: "When last checked only the VPN could carry traffic, but nothing has checked since.",
  "watchdog-stopped": "The rules are probably still in force, but nothing puts them back if they are removed.",
  "not-protected": "Traffic can leave outside the VPN right now.",
  off: "Nothing is blocked: traffic leaves outside the VPN whenever the VPN is down.",
  unknown: "Whether traffic can leave outside the VPN cannot be told right now.",
};

/** The reason a status headline ("Not Protected: the Mac restarted, ...") gives, as a sentence of its own. */
export function headlineReason(state: KillSwitchState, headline: string): string {
  const prefix = `${STATE_NAMES[state]}:`;
  const reason = headline.startsWith(prefix) ? headline.slice(prefix.length).trim() : headline;
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

/** What an exception is doing, as Manage Exceptions tags it and Alfred's list says it. */
export const EXCEPTION_STATE_NAMES = {
  off: "Off",
  expired: "Expired",
  appliesNow: "Applies Now",
  on: "On",
} as const;
