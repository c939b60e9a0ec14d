/**
 * The kill switch's states in words, the same in every front-end: the menu bar's text and first line, the first
 * word of Status's headline (the CLI prints it), Alfred's first item.
 */
import type { KillSwitchState } from "../lifecycle/status";

/** Each state's name; a Record, so a state added to the lifecycle must be named here. */
export const STATE_NAMES: Record<KillSwitchState, string> = {
  protected: "Protected",
  blocking: "Blocking",
  unverified: "Unverified",
  degraded: "Degraded",
  off: "Off",
  unknown: "Unknown",
};

/** The first line of the menu bar's menu for each state. */
export const STATE_HEADLINES: Record<KillSwitchState, string> = {
  protected: "Kill Switch On · Protected",
  blocking: "Kill Switch On · Blocking",
  unverified: "Kill Switch On · Unverified",
  degraded: "Kill Switch On · Degraded",
  off: "Kill Switch Off",
  unknown: "Kill Switch Status Unknown",
};

/** What an exception is doing, as Manage Exceptions tags it and Alfred's list says it. */
export const EXCEPTION_STATE_NAMES = {
  off: "Off",
  expired: "Expired",
  appliesNow: "Applies Now",
  on: "On",
} as const;
