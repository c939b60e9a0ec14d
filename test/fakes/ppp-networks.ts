/**
 * The sample Mac on links that make `ppp` interfaces: an ISP's PPPoE link (the default route moves to ppp0
 * when the VPN drops), macOS's own L2TP VPN on ppp0, and L2TP over PPPoE (two ppp interfaces), plus the
 * sample with a host route the network pushed for the probe address 1.1.1.1, and a table whose only routes to the
 * Internet are IPv6 halves.
 *
 * `scutil --nc list` rows: the L2TP one is the real row of test/fixtures/macos/scutil (alfred19) with its status
 * made Connected. No real PPPoE row has been published; configd's nc.c prints a PPP service's subtype as the type
 * of the interface under it, so a PPPoE service is `[PPP:Ethernet]`, laid out as nc.c lays rows out.
 */
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { readMacosFixture } from "../network/fixtures";
import { macSnapshot } from "./networks";

const NC_HEADER = "Available network connection services in the current set (*=enabled):\n";
const L2TP_ROW = readMacosFixture("scutil", "scutil-nc-list_alfred19_l2tp.txt")
  .split("\n")
  .find((line) => line.includes("[PPP:L2TP]"))!;
export const L2TP_CONNECTED = L2TP_ROW.replace("(Disconnected)", "(Connected)   ");
export const L2TP_DISCONNECTED = L2TP_ROW;
export const PPPOE_CONNECTED =
  '* (Connected)      5B2C1A0E-7D3F-4E8A-9C61-2F4B8D0E7A13 PPPoE              "ISP"                            [PPP:Ethernet]';

/** `scutil --nc list` listing these rows. */
export const ncList = (...rows: string[]): string => `${NC_HEADER}${rows.map((row) => `${row}\n`).join("")}`;

const pppInterface = (name: string, local: string, peer: string) =>
  `${name}: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1492\n\tinet ${local} --> ${peer} netmask 0xff000000\n`;

const routeGet = (target: string, gateway: string, name: string) => `   route to: ${target}
destination: default
       mask: default
    gateway: ${gateway}
  interface: ${name}
      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING>
 recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire
       0         0         0         0         0         0      1492         0 
`;

/**
 * The home network without the VPN, the Internet by `ppp`: each of `links` is "NAME LOCAL PEER"; the default
 * route is on the first (en0's stays, scoped), and `scutil --nc list` prints `services`.
 */
export function pppSnapshot(links: readonly [string, string, string][], services: readonly string[]): NetworkSnapshot {
  const base = macSnapshot({ wifi: "home", vpn: null });
  const [name, , peer] = links[0];
  const rows = links.flatMap(([link, local, remote]) => [
    `${remote.padEnd(19)}${local.padEnd(19)}UH                  ${link}`,
  ]);
  const table = (base.netstatRoutes ?? "")
    .replace(/^default( +)192\.168\.1\.1( +)UGScg /m, "default$1192.168.1.1$2UGScIg")
    .replace("Destination        Gateway            Flags               Netif Expire\n", (header) =>
      [header, `default            ${peer.padEnd(19)}UGSc                ${name}\n`, ...rows.map((r) => `${r}\n`)].join(
        "",
      ),
    );
  return {
    ...base,
    ifconfig: `${base.ifconfig ?? ""}${links.map(([link, local, remote]) => pppInterface(link, local, remote)).join("")}`,
    netstatRoutes: table,
    routeGetInternet: routeGet("1.1.1.1", peer, name),
    routeGetDefault: routeGet("default", peer, name),
    scutilNcList: ncList(...services),
  };
}

/** The ISP's PPPoE link on ppp0, the VPN dropped: the default route has moved to ppp0. */
export const PPPOE_VPN_DROPPED = pppSnapshot([["ppp0", "203.0.113.45", "203.0.113.1"]], [PPPOE_CONNECTED]);

/** macOS's own L2TP VPN on ppp0 carrying the default route. */
export const L2TP_UP = pppSnapshot([["ppp0", "10.163.0.12", "10.163.0.1"]], [L2TP_CONNECTED]);

/** L2TP over PPPoE: the VPN's ppp1 carries the default route, the ISP's link is ppp0. */
export const L2TP_OVER_PPPOE = pppSnapshot(
  [
    ["ppp1", "10.163.0.12", "10.163.0.1"],
    ["ppp0", "203.0.113.45", "203.0.113.1"],
  ],
  [PPPOE_CONNECTED, L2TP_CONNECTED],
);

/** The sample with the VPN up, and a host route the network pushed for 1.1.1.1 (DHCP option 121) via another host on the link. */
export const PROBE_HOST_ROUTE: NetworkSnapshot = {
  ...SAMPLE_SNAPSHOT,
  netstatRoutes: (SAMPLE_SNAPSHOT.netstatRoutes ?? "").replace(
    "10.8/24 ",
    "1.1.1.1/32         192.168.1.66       UGSc                  en0\n10.8/24 ",
  ),
  routeGetInternet: routeGet("1.1.1.1", "192.168.1.66", "en0").replace("destination: default", "destination: 1.1.1.1"),
};

/** A route table whose IPv4 part has no route to the Internet, and IPv6's `::/1` + `8000::/1` on utun3 (wg-quick). */
export const IPV6_SPLIT_ONLY = [
  "Routing tables",
  "",
  "Internet:",
  "Destination        Gateway            Flags               Netif Expire",
  "127.0.0.1          127.0.0.1          UH                    lo0",
  "",
  "Internet6:",
  "Destination                             Gateway                                 Flags               Netif Expire",
  "default                                 fe80::1%en0                             UGc                   en0",
  "::/1                                    utun3                                   USc                 utun3",
  "8000::/1                                utun3                                   USc                 utun3",
  "",
].join("\n");
