import { deriveNetworkState } from "../network/derive";
import { collectLiveSnapshot } from "../network/snapshot";
import type { NetworkState } from "../network/state";
import type { NetworkSummary } from "./status";
import { systemCommands } from "./system";

/** The Mac's network right now, from unprivileged commands only (never a password prompt). */
export async function readNetworkState(): Promise<NetworkState> {
  return deriveNetworkState(await collectLiveSnapshot(systemCommands()));
}

export function summarizeNetwork(network: NetworkState): NetworkSummary | null {
  const identity = network.identity;
  const gateway = network.gateway;
  if (!identity && !gateway?.ipv4) return null;
  return {
    id: identity?.id ?? null,
    label: identity?.label ?? null,
    gateway: identity?.gatewayIpv4 ?? gateway?.ipv4 ?? null,
    gatewayMac: identity?.gatewayMac ?? gateway?.mac ?? null,
    subnet: identity?.subnet ?? null,
    interface: gateway?.interface ?? null,
  };
}

/**
 * True when enabling now would lock the VPN out: no tunnel is up and no VPN server is known, from the settings
 * or from the routing table, so the VPN app could never reach its server to connect.
 */
export function wouldBlockVpnForever(network: NetworkState, configuredServers: readonly string[]): boolean {
  const tunnelUp = network.tunnels.length > 0 || network.vpnInterface !== null;
  return !tunnelUp && configuredServers.length === 0 && network.endpoints.length === 0;
}
