/**
 * The Mac the bench measures: the built-in sample (home Wi-Fi on en0, OpenVPN on utun4, server 198.51.100.7
 * pinned to the router), which is also what the fake macOS tree prints, with typical settings.
 */
import { deriveNetworkState } from "../src/network/derive";
import { SAMPLE_SNAPSHOT } from "../src/network/sample-snapshot";
import type { NetworkState } from "../src/network/state";
import { type KillSwitchPolicy, resolvePolicy } from "../src/policy/policy";
import { type Settings, type SettingsInput, parseSettings } from "../src/policy/settings";

export const BENCH_NOW = new Date("2026-01-15T09:00:00Z");

/** The VPN server, one LAN printer on this network and a NAS on every network; discovery and AirDrop on (defaults). */
export const BENCH_SETTINGS_INPUT: SettingsInput = {
  vpnServers: ["198.51.100.7:1194/udp"],
  exceptions: [
    {
      address: "192.168.1.50",
      protocol: "tcp",
      port: 631,
      scope: "gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24",
      label: "printer",
    },
    { address: "192.168.1.60", label: "nas" },
  ],
};

export function benchSettings(): Settings {
  const parsed = parseSettings(BENCH_SETTINGS_INPUT);
  if (!parsed.ok) throw new Error(`bench settings: ${parsed.errors.join("; ")}`);
  return parsed.settings;
}

/** The settings name no hosts; a look-up would mean the scenario changed under the bench. */
export async function noHostLookup(host: string): Promise<string[]> {
  throw new Error(`the bench scenario resolves no host names, asked for ${host}`);
}

export async function benchPolicy(): Promise<KillSwitchPolicy> {
  const resolved = await resolvePolicy(benchSettings(), noHostLookup);
  if (!resolved.ok) throw new Error(`bench policy: ${resolved.errors.join("; ")}`);
  return resolved.policy;
}

/** The network while the VPN is up, as the product reads it from the sample Mac. */
export function benchNetwork(): NetworkState {
  return deriveNetworkState(SAMPLE_SNAPSHOT);
}
