/**
 * The captive-portal windows every front-end offers: minutes during which DNS and web ports are open outside the
 * tunnel so a hotel's or an airport's sign-in page can load. A root timer closes the window on time.
 */
import type { KillSwitchState } from "../lifecycle/states";
export const CAPTIVE_PORTAL_MINUTES = [2, 5] as const;

export type CaptivePortalMinutes = (typeof CAPTIVE_PORTAL_MINUTES)[number];

export const isCaptivePortalMinutes = (value: number): value is CaptivePortalMinutes =>
  (CAPTIVE_PORTAL_MINUTES as readonly number[]).includes(value);

/** States in which the kill switch's own rules are (or were last seen) in force, a window among them. */
const RULES_IN_FORCE: readonly string[] = [
  "protected",
  "blocking",
  "unverified",
  "watchdog-stopped",
] satisfies KillSwitchState[];

/**
 * Whether a window helps: the rules are in force and no VPN tunnel is up (a sign-in page comes before the VPN
 * connects). Once the VPN is up, the window would only let traffic out beside it.
 */
export function captivePortalUseful(state: string, vpnUp: boolean): boolean {
  return state === "blocking" || (RULES_IN_FORCE.includes(state) && !vpnUp);
}
