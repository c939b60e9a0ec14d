/**
 * What the Raycast commands know about the kill switch without root: the status (never a prompt) turned into
 * a cacheable snapshot. The privileged actions are in actions/privileged-actions.ts, so only the commands that change
 * pf carry that code.
 */
import { type KillSwitchStatus, type StatusRequest, getKillSwitchStatus } from "../../lifecycle";
import { rememberedServers } from "../../lifecycle/record";
import type { NetworkState } from "../../network/state";
import { type AnchorSummary, untrustedTunnels } from "../../pf/anchor";
import { type Endpoint, tunnelTrust } from "../../policy/policy";
import { parseVpnServer } from "../../policy/settings";
import { trustWarnings } from "../../policy/warnings";
import type { Settings } from "../../policy/settings";
import { isOn } from "../models/kill-switch-state";
import { readNetworkState, summarizeNetwork } from "./network-reading";
import { type KillSwitchSnapshot, readCaptivePortalUntil } from "../stores/snapshot-cache";
import { systemCommands } from "../system";

/** The network now, or null when it cannot be read (the status then says so). */
export async function readNetworkOrNull(): Promise<NetworkState | null> {
  try {
    return await readNetworkState();
  } catch {
    return null;
  }
}

/** Reads the status without root and without a prompt (safe in background runs); the options default to the Mac's. */
export async function readKillSwitch(
  network: NetworkState | null,
  options: Partial<Pick<StatusRequest, "system" | "bootTime" | "now">> = {},
): Promise<KillSwitchStatus> {
  return getKillSwitchStatus({ ...options, system: options.system ?? systemCommands(), network });
}

/**
 * When the open captive-portal window closes (a root timer closes it): as the state file records it, else as the
 * command that opened it remembers it; null when none is open.
 */
export function captivePortalUntil(status: KillSwitchStatus, now: Date): Date | null {
  if (status.captivePortalUntil === undefined) return readCaptivePortalUntil(now);
  return status.captivePortalUntil && status.captivePortalUntil.getTime() > now.getTime()
    ? status.captivePortalUntil
    : null;
}

export interface SnapshotExtras {
  now: Date;
  /** What the rules just loaded let through (after Enable or Apply). */
  summary?: AnchorSummary | null;
  captivePortalUntil?: Date | null;
}

const unique = (items: string[]) => [...new Set(items)];

/** A VPN server as the menu names what passes: "198.51.100.7 UDP 1194", "192.0.2.4 IKEv2", "192.0.2.9 all ports". */
export function describeAllowedServer(endpoint: Endpoint): string {
  const { address, port, protocol } = endpoint;
  if (protocol === "ikev2") return `${address} IKEv2`;
  if (port === undefined) return `${address} all ports`;
  return `${address} ${protocol ? protocol.toUpperCase() : "TCP and UDP"} ${port}`;
}

/** The servers the rules in force let out outside the tunnel: those just built, else the settings' and the record's. */
function allowedEndpoints(status: KillSwitchStatus, settings: Settings | null, extras: SnapshotExtras): Endpoint[] {
  if (extras.summary) return extras.summary.endpoints;
  const configured = (settings?.vpnServers ?? []).flatMap((text) => {
    const spec = parseVpnServer(text);
    return spec ? [{ address: spec.host, port: spec.port, protocol: spec.protocol }] : [];
  });
  const recorded = status.recorded ? rememberedServers({ kind: "present", value: status.recorded }) : [];
  return [...configured, ...recorded];
}

const isoTime = (seconds: number | undefined) =>
  seconds === undefined ? null : new Date(seconds * 1000).toISOString();

/** The status as the menu bar shows it: plain JSON, cached between runs. */
export function snapshotFromStatus(
  status: KillSwitchStatus,
  network: NetworkState | null,
  settings: Settings | null,
  extras: SnapshotExtras,
): KillSwitchSnapshot {
  const on = isOn(status.state);
  const tunnelsUp = network
    ? unique([...(network.vpnInterface ? [network.vpnInterface] : []), ...network.tunnels.map((t) => t.name)])
    : [];
  const tunnels = status.activeTunnel ? [status.activeTunnel] : tunnelsUp;
  // Without rules just built: the settings', those proved now, and those the rules in force were built with
  // (recorded with their evidence). A route alone names no server here either.
  const recorded = status.recorded ? rememberedServers({ kind: "present", value: status.recorded }) : [];
  const vpnServers = extras.summary
    ? unique(extras.summary.endpoints.map((endpoint) => endpoint.address))
    : unique([
        ...(settings?.vpnServers ?? []),
        ...(network?.endpoints ?? []),
        ...recorded.map((endpoint) => endpoint.address),
      ]);
  const portal = extras.captivePortalUntil;
  return {
    state: status.state,
    headline: status.headline,
    checkedAt: extras.now.toISOString(),
    tunnels,
    vpnServers,
    untrustedTunnels: network && settings ? untrustedTunnels(tunnelTrust(settings), network) : [],
    network: network ? summarizeNetwork(network) : null,
    captivePortalUntil: on && portal && portal.getTime() > extras.now.getTime() ? portal.toISOString() : null,
    // What the rules just loaded trust that people should know: host-name servers, tunnels left out.
    notes: [...status.notes, ...(extras.summary ? trustWarnings(extras.summary) : [])],
    watchdogCheckedAt: on ? isoTime(status.watchdog?.checkedAt) : null,
    rulesLoadedAt: on ? isoTime(status.recorded?.changedAt) : null,
    allowedServers: on ? unique(allowedEndpoints(status, settings, extras).map(describeAllowedServer)) : [],
    blocked: status.counters
      ? {
          packets: status.counters.blockedOut + status.counters.blockedIn + status.counters.dnsRefused,
          since: status.counters.since === null ? null : new Date(status.counters.since * 1000).toISOString(),
        }
      : null,
  };
}
