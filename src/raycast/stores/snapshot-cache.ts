import { Cache } from "@raycast/api";
import type { KillSwitchState } from "../../lifecycle/status";
import { KILL_SWITCH_STATES } from "../models/kill-switch-state";

/** The physical network as the menu bar and the exception form show it. */
export interface NetworkSummary {
  /** The network identity id (exceptions scoped to "this network" store it); null when the gateway is unknown. */
  id: string | null;
  label: string | null;
  gateway: string | null;
  gatewayMac: string | null;
  subnet: string | null;
  interface: string | null;
  /** How its link is protected (`WPA2_PSK`, `wired`; network/identity.ts); absent or null when unknown. */
  security?: string | null;
}

/** Everything the menu bar shows about the kill switch; plain JSON so it can be cached between runs. */
export interface KillSwitchSnapshot {
  state: KillSwitchState;
  /** One line for people, from the status reading. */
  headline: string;
  /** ISO time of the reading. */
  checkedAt: string;
  /** VPN tunnels let through (or up, when the kill switch is off). */
  tunnels: string[];
  /** VPN server addresses let through outside the tunnel. */
  vpnServers: string[];
  /** Tunnels that are up but not trusted as the VPN (blocked); absent in snapshots cached before there were any. */
  untrustedTunnels?: string[];
  network: NetworkSummary | null;
  /** ISO time until which the captive-portal window is open; null when closed. */
  captivePortalUntil: string | null;
  /** Why the state is what it is and what to do, in plain words. */
  notes: string[];
  /** ISO time of the watchdog's last check (watchdog.json); absent or null without a watchdog. */
  watchdogCheckedAt?: string | null;
  /** ISO time the rules in force were loaded (by Enable, Apply or the watchdog); absent or null when off. */
  rulesLoadedAt?: string | null;
  /** The VPN servers the rules let out while the VPN is down ("198.51.100.7 UDP 1194"); absent in older caches. */
  allowedServers?: string[];
  /**
   * What was blocked: connections (flows) in the record of blocked traffic since its start, read when the menu
   * was opened; else pf's packet count since the rules were loaded (the watchdog's). Absent when unknown.
   */
  blocked?: { packets: number; connections?: number; since: string | null } | null;
}

const cache = new Cache({ namespace: "kill-switch" });
const SNAPSHOT_KEY = "snapshot";

function isSnapshot(value: unknown): value is KillSwitchSnapshot {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    KILL_SWITCH_STATES.includes(v.state as KillSwitchState) &&
    typeof v.headline === "string" &&
    typeof v.checkedAt === "string" &&
    Array.isArray(v.tunnels) &&
    Array.isArray(v.vpnServers) &&
    Array.isArray(v.notes)
  );
}

/** The last reading, for an instant render; undefined when there is none or it cannot be read. */
export function readCachedSnapshot(): KillSwitchSnapshot | undefined {
  const text = cache.get(SNAPSHOT_KEY);
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isSnapshot(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function writeCachedSnapshot(snapshot: KillSwitchSnapshot): void {
  cache.set(SNAPSHOT_KEY, JSON.stringify(snapshot));
}

const CAPTIVE_PORTAL_KEY = "captive-portal-until";

/**
 * When the captive-portal window closes: pf's state file does not record it, so the command that opened it
 * remembers it here for the menu bar's countdown.
 */
export function readCaptivePortalUntil(now: Date): Date | null {
  const text = cache.get(CAPTIVE_PORTAL_KEY);
  const until = text ? new Date(text) : null;
  return until && until.getTime() > now.getTime() ? until : null;
}

export function writeCaptivePortalUntil(until: Date | null): void {
  if (until) cache.set(CAPTIVE_PORTAL_KEY, until.toISOString());
  else cache.remove(CAPTIVE_PORTAL_KEY);
}
