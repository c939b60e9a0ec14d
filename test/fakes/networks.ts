/**
 * The Mac's network at the steps of a day, for the fake macOS: the embedded sample Mac (home Wi-Fi, OpenVPN on
 * utun4, in real output formats) without its VPN, with its VPN on another utun, or moved to another Wi-Fi
 * network (another router, MAC and subnet). Each is the command output `setNetwork` serves.
 */
import { deriveNetworkState } from "../../src/network/derive";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import type { NetworkState } from "../../src/network/state";

export type WifiNetwork = "home" | "cafe";

export interface MacNetwork {
  wifi: WifiNetwork;
  /** The VPN's tunnel (utun4, utun5, ...), or null when the VPN is not connected. */
  vpn: string | null;
  /** More tunnels with an address (a second VPN, Tailscale), listed after the others. */
  moreTunnels?: string[];
  /** The physical interface the Mac is on, en0 unless set (a USB or Thunderbolt adapter: en7). */
  link?: string;
  /** More IPv4 networks the VPN routes into its tunnel (split-tunnel routes, `192.168.1.128/25`). */
  routedIntoVpn?: string[];
  /**
   * The Wi-Fi security mode `ipconfig getsummary` shows (the sample's is WPA2_PSK): `NONE` for a copy of the
   * network run open, null for a summary without the line.
   */
  security?: string | null;
}

/** The identity ids the two networks have (network/identity.ts). */
export const HOME_ID = "gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24";
export const CAFE_ID = "gw=192.168.50.1,mac=00:1b:2c:3d:4e:5f,net=192.168.50.0/24";

/** Without the VPN, 1.1.1.1 goes the default way: the sample's own `route -n get default`, asked about 1.1.1.1. */
const ROUTE_TO_INTERNET_WITHOUT_VPN = (SAMPLE_SNAPSHOT.routeGetDefault ?? "").replace(
  "route to: default",
  "route to: 1.1.1.1",
);

const DNS_WITHOUT_VPN = `DNS configuration

resolver #1
  nameserver[0] : 192.168.1.1
  if_index : 11 (en0)
  flags    : Request A records
  reach    : 0x00020002 (Reachable,Directly Reachable Address)

DNS configuration (for scoped queries)

resolver #1
  nameserver[0] : 192.168.1.1
  if_index : 11 (en0)
  flags    : Scoped, Request A records
  reach    : 0x00020002 (Reachable,Directly Reachable Address)
`;

function withoutVpn(snapshot: NetworkSnapshot): NetworkSnapshot {
  const ifconfig = snapshot.ifconfig ?? "";
  return {
    ...snapshot,
    ifconfig: ifconfig.slice(0, ifconfig.indexOf("utun4: flags")),
    netstatRoutes: (snapshot.netstatRoutes ?? "")
      .split("\n")
      .filter((line) => !line.includes("utun4") && !line.startsWith("198.51.100.7/32"))
      .join("\n"),
    routeGetInternet: ROUTE_TO_INTERNET_WITHOUT_VPN,
    scutilNwi: (snapshot.scutilNwi ?? "")
      .replace(/ {3}utun4 : flags[^\n]*\n[^\n]*\n[^\n]*\n/, "")
      .replace("Network interfaces: en0 utun4", "Network interfaces: en0"),
    scutilDns: DNS_WITHOUT_VPN,
    // No VPN running: neither OpenVPN's socket to its server nor connections through the tunnel.
    netstatSockets: (snapshot.netstatSockets ?? "")
      .split("\n")
      .filter((line) => !line.includes("198.51.100.7.") && !line.includes("10.8.0.2."))
      .join("\n"),
  };
}

/** A snapshot with `change` applied to the text of every command output it holds. */
export function mapText(snapshot: NetworkSnapshot, change: (text: string) => string): NetworkSnapshot {
  const result: NetworkSnapshot = {};
  for (const [field, value] of Object.entries(snapshot)) {
    if (typeof value === "string") (result as Record<string, string>)[field] = change(value);
  }
  for (const field of ["ipconfigSummaries", "ipconfigPackets"] as const) {
    const texts = snapshot[field];
    if (texts) result[field] = Object.fromEntries(Object.entries(texts).map(([name, text]) => [name, change(text)]));
  }
  return result;
}

/** Another Wi-Fi network: router 192.168.50.1 with its own MAC, the Mac at 192.168.50.57, another IPv6 prefix. */
const toCafe = (text: string) =>
  text
    .replace(/192\.168\.1\.23\b/g, "192.168.50.57")
    .replace(/192\.168\.1\./g, "192.168.50.")
    .replace(/192\.168\.1\b/g, "192.168.50")
    .replace(/3c:a6:2f:8:1e:7b/g, "0:1b:2c:3d:4e:5f")
    .replace(/fe80::3ea6:2fff:fe08:1e7b/g, "fe80::21b:2cff:fe3d:4e5f")
    .replace(/2001:db8:1a2b:10:/g, "2001:db8:77:20:")
    .replace(/Example Home/g, "Example Cafe");

export function macSnapshot(network: MacNetwork): NetworkSnapshot {
  let snapshot = network.vpn === null ? withoutVpn(SAMPLE_SNAPSHOT) : SAMPLE_SNAPSHOT;
  const vpn = network.vpn;
  if (vpn !== null && vpn !== "utun4") snapshot = mapText(snapshot, (text) => text.replace(/utun4\b/g, vpn));
  if (network.wifi === "cafe") snapshot = mapText(snapshot, toCafe);
  const link = network.link;
  if (link !== undefined && link !== "en0") {
    snapshot = mapText(snapshot, (text) => text.replace(/\ben0\b/g, link));
    const renamed = (texts: Record<string, string> | undefined) => (texts?.en0 ? { [link]: texts.en0 } : undefined);
    snapshot = {
      ...snapshot,
      ipconfigSummaries: renamed(snapshot.ipconfigSummaries),
      ipconfigPackets: renamed(snapshot.ipconfigPackets),
    };
  }
  const security = network.security;
  if (security !== undefined) {
    const line = security === null ? "" : `  Security : ${security}\n`;
    const summaries = snapshot.ipconfigSummaries ?? {};
    snapshot = {
      ...snapshot,
      ipconfigSummaries: Object.fromEntries(
        Object.entries(summaries).map(([name, text]) => [name, text.replace(/^ {2}Security : .*\n/m, line)]),
      ),
    };
  }
  if (vpn !== null && network.routedIntoVpn) {
    const routes = network.routedIntoVpn.map(
      (route) => `${route.padEnd(19)}10.8.0.1           UGSc                ${vpn}`,
    );
    const table = snapshot.netstatRoutes ?? "";
    const at = table.indexOf("\n", table.indexOf("0/1 ")) + 1;
    snapshot = { ...snapshot, netstatRoutes: `${table.slice(0, at)}${routes.join("\n")}\n${table.slice(at)}` };
  }
  const more = (network.moreTunnels ?? []).map(
    (name, index) =>
      `${name}: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1420\n\tinet 10.9.${index}.2 --> 10.9.${index}.2 netmask 0xffffffff\n`,
  );
  return more.length > 0 ? { ...snapshot, ifconfig: `${snapshot.ifconfig ?? ""}${more.join("")}` } : snapshot;
}

export function macNetworkState(network: MacNetwork): NetworkState {
  return deriveNetworkState(macSnapshot(network));
}
