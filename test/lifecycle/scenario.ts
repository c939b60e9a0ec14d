/** A Mac on home Wi-Fi with an OpenVPN tunnel, and a pf that other software already uses. */
import { expect } from "vitest";
import { KillSwitchError } from "../../src/lifecycle";
import type { NetworkState } from "../../src/network/state";
import { type Settings, parseSettings } from "../../src/policy/settings";
import { type PfState, appleDefaultPf, emptyRuleset } from "../fakes/pf-model";

export const NOW = new Date("2025-03-01T12:00:00Z");

export const WIFI_WITH_VPN: NetworkState = {
  physical: [
    {
      name: "en0",
      ipv4: ["192.168.1.23"],
      ipv6: ["fe80::1c2a:3bff:fe4c:5d6e", "2001:db8:1::23"],
      subnets: ["192.168.1.0/24", "2001:db8:1:0::/64"],
    },
  ],
  tunnels: [{ name: "utun4", ipv4: ["10.8.0.2"], ipv6: [] }],
  peerToPeer: ["awdl0", "llw0"],
  defaultInterface: "utun4",
  vpnInterface: "utun4",
  gateway: { ipv4: "192.168.1.1", mac: "7c:10:c9:00:00:90", interface: "en0" },
  endpoints: ["198.51.100.7"],
  dns: ["10.8.0.1"],
  identity: {
    id: "gw-192.168.1.1-7c10c9000090",
    gatewayIpv4: "192.168.1.1",
    gatewayMac: "7c:10:c9:00:00:90",
    subnet: "192.168.1.0/24",
    label: null,
    security: "WPA2_PSK",
  },
  undetermined: [],
};

export const WIFI_WITHOUT_VPN: NetworkState = {
  ...WIFI_WITH_VPN,
  tunnels: [],
  defaultInterface: "en0",
  vpnInterface: null,
  endpoints: [],
  dns: ["192.168.1.1"],
};

/**
 * Settings for the lifecycle tests, which are about Enable, Apply and Disable themselves: the startup watchdog
 * (on by default) is off unless a test turns it on; the watchdog tests and test/watchdog/way-out cover it. So
 * is the record of blocked traffic (test/watchdog/capture).
 */
export function settingsFrom(input: unknown): Settings {
  const parsed = parseSettings({ protectFromStartup: false, blockedTrafficLog: 0, ...(input as object) });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.settings;
}

export const SETTINGS = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"] });

export const OTHER_TOKEN = "10051342025653898869";

/**
 * Apple's rules plus another program's anchor and pf reference (as sshuttle leaves them), and open
 * connections: one leaking outside the VPN over IPv4 and IPv6, the VPN's own, one inside the tunnel and
 * one inbound from the LAN.
 */
export function busyPf(): PfState {
  const pf = appleDefaultPf();
  pf.enabled = true;
  pf.enabledSince = 1_700_000_100;
  pf.main.filter.push('anchor "sshuttle-12300" all');
  pf.main.nat.push('rdr-anchor "sshuttle-12300" all');
  pf.anchors["sshuttle-12300"] = {
    ...emptyRuleset(),
    filter: ["pass out route-to lo0 inet proto tcp from any to 10.0.0.0/8 keep state"],
    nat: ["rdr pass on lo0 inet proto tcp from any to 10.0.0.0/8 -> 127.0.0.1 port 12300"],
  };
  pf.references.push({ pid: 5191, process: "pfctl", token: OTHER_TOKEN, since: 1_700_000_100 });
  const state = (
    direction: "out" | "in",
    proto: "tcp" | "udp",
    lan: string,
    lanPort: number,
    ext: string,
    extPort: number,
  ) => ({
    iface: "ALL",
    proto,
    direction,
    lan,
    lanPort,
    ext,
    extPort,
    description: proto === "tcp" ? "ESTABLISHED:ESTABLISHED" : "MULTIPLE:MULTIPLE",
  });
  pf.states = [
    state("out", "tcp", "192.168.1.23", 52137, "52.49.35.215", 80),
    state("out", "udp", "192.168.1.23", 61000, "198.51.100.7", 1194),
    state("out", "tcp", "10.8.0.2", 50000, "93.184.216.34", 443),
    state("out", "tcp", "2001:db8:1::23", 50001, "2606:4700::1111", 443),
    state("in", "tcp", "192.168.1.23", 22, "192.168.1.50", 50002),
  ];
  return pf;
}

/** The KillSwitchError an action refused with (the test fails when it did not refuse). */
export async function rejection(promise: Promise<unknown>): Promise<KillSwitchError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KillSwitchError);
  return error as KillSwitchError;
}
