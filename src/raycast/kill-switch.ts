/**
 * The Raycast side's one door to the kill switch: the lifecycle functions with the Mac's real commands,
 * a cancelled password dialog turned into a plain outcome, and the status turned into a cacheable snapshot.
 */
import {
  type KillSwitchChange,
  KillSwitchError,
  type KillSwitchStatus,
  applyKillSwitch,
  disableKillSwitch,
  enableKillSwitch,
  getKillSwitchStatus,
} from "../lifecycle";
import type { NetworkState } from "../network/state";
import type { AnchorSummary } from "../pf/anchor";
import type { Settings } from "../policy/settings";
import { macosCommands } from "./macos-commands";
import { readNetworkState, summarizeNetwork } from "./network";
import type { KillSwitchSnapshot } from "./status";

/** A privileged action either ran, or the user cancelled the dialog (nothing changed, nothing to say). */
export type Outcome<T> = { kind: "done"; value: T } | { kind: "cancelled" };

async function unlessCancelled<T>(action: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { kind: "done", value: await action() };
  } catch (error) {
    if (error instanceof KillSwitchError && error.kind === "cancelled") return { kind: "cancelled" };
    throw error;
  }
}

/** The network now, or null when it cannot be read (the status then says so). */
export async function readNetworkOrNull(): Promise<NetworkState | null> {
  try {
    return await readNetworkState();
  } catch {
    return null;
  }
}

export interface SnapshotExtras {
  now: Date;
  /** What the rules just loaded let through (after Enable or Apply). */
  summary?: AnchorSummary | null;
  captivePortalUntil?: Date | null;
}

const unique = (items: string[]) => [...new Set(items)];

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
  const vpnServers = extras.summary
    ? unique(extras.summary.endpoints.map((endpoint) => endpoint.address))
    : unique([...(settings?.vpnServers ?? []), ...(network?.endpoints ?? [])]);
  const portal = extras.captivePortalUntil;
  return {
    state: status.state,
    headline: status.headline,
    checkedAt: extras.now.toISOString(),
    tunnels,
    vpnServers,
    network: network ? summarizeNetwork(network) : null,
    captivePortalUntil: on && portal && portal.getTime() > extras.now.getTime() ? portal.toISOString() : null,
    notes: status.notes,
  };
}

/** Reads the status without root and without a prompt (safe in background runs). */
export async function readKillSwitch(network: NetworkState | null): Promise<KillSwitchStatus> {
  return getKillSwitchStatus({ system: macosCommands(), network });
}

export function enableFromRaycast(settings: Settings, network: NetworkState): Promise<Outcome<KillSwitchChange>> {
  return unlessCancelled(() => enableKillSwitch({ system: macosCommands(), settings, network }));
}

export function applyFromRaycast(
  settings: Settings,
  network: NetworkState,
  options: { captivePortalUntil?: Date | null; keepConnections?: boolean } = {},
): Promise<Outcome<KillSwitchChange>> {
  return unlessCancelled(() =>
    applyKillSwitch({
      system: macosCommands(),
      settings,
      network,
      captivePortalUntil: options.captivePortalUntil ?? null,
      keepConnections: options.keepConnections,
    }),
  );
}

export function disableFromRaycast(
  authentication: Settings["authentication"],
  network: NetworkState | null,
): Promise<Outcome<KillSwitchChange>> {
  return unlessCancelled(() => disableKillSwitch({ system: macosCommands(), authentication, network }));
}

/** True while the kill switch has rules in force (whatever the VPN is doing). */
export function isOn(state: KillSwitchStatus["state"]): boolean {
  return state === "protected" || state === "blocking" || state === "degraded";
}
