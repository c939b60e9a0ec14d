/** The kill switch's states and what they say about the rules; no imports, so any front-end can carry them. */

/**
 * What the kill switch is doing, each state saying whether traffic can leave outside the VPN now.
 * protected and blocking: on, and the watchdog's last check (or the last Enable) found pf running our rules
 * first on every interface, with the VPN up or down; safe-mode: the watchdog could not use our rules and loaded
 * blocking ones (nothing leaves, not even through the VPN); unverified: the last Enable found the rules in force,
 * but no watchdog checks that pf still runs them; watchdog-stopped: the watchdog that checks them has gone
 * silent; not-protected: the last look at pf (or the network) found traffic passing outside the rules, or the
 * rules are gone (a restart); off; unknown: the records cannot be read.
 */
export const KILL_SWITCH_STATES = [
  "protected",
  "blocking",
  "safe-mode",
  "unverified",
  "watchdog-stopped",
  "not-protected",
  "off",
  "unknown",
] as const;
export type KillSwitchState = (typeof KILL_SWITCH_STATES)[number];

/** True while the kill switch was turned on and not off: its rules were loaded (they may be gone since). */
export const isTurnedOn = (state: KillSwitchState): boolean => state !== "off" && state !== "unknown";

/**
 * States whose news comes before what an action did: traffic passes outside the rules, everything is blocked,
 * or nothing checks the rules any more.
 */
export const needsAttention = (state: KillSwitchState): boolean =>
  state === "not-protected" || state === "safe-mode" || state === "watchdog-stopped";
