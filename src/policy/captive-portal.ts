/**
 * The captive-portal windows every front-end offers: minutes during which DNS and web ports are open outside the
 * tunnel so a hotel's or an airport's sign-in page can load. A root timer closes the window on time.
 */
export const CAPTIVE_PORTAL_MINUTES = [2, 5] as const;

export type CaptivePortalMinutes = (typeof CAPTIVE_PORTAL_MINUTES)[number];

export const isCaptivePortalMinutes = (value: number): value is CaptivePortalMinutes =>
  (CAPTIVE_PORTAL_MINUTES as readonly number[]).includes(value);
