/**
 * Network snapshots in which every field the network controls is the attacker's: the Wi-Fi's address and
 * netmask, the router advertisement's IPv6 prefix, routes pushed by DHCP (option 121: host and net routes
 * through the router), a host route for the probe address, the DHCP packet, the answers of its DNS, a PPPoE
 * link that takes the default route, a virtual machine bridged to the Wi-Fi, and connections other apps hold
 * to the attacker's hosts. What the network cannot write is generated as truth beside it: the VPN's tunnel,
 * its client's connection to the real server, and the ranges the VPN routes into the tunnel.
 */
import fc from "fast-check";
import { type Cidr, formatCidr, ipv4Network, parseCidr } from "../../src/address/ip";
import type { NetworkSnapshot } from "../../src/network/snapshot";

/** The real VPN server, reached by its client (`openvpn`) over UDP 1194 from the Wi-Fi's address. */
export const REAL_SERVER = { address: "198.51.100.7", protocol: "udp" as const, port: 1194 };
export const VPN_TUNNEL = "utun4";
const VPN_ADDRESS = "10.8.0.2";
const VPN_PEER = "10.8.0.1";

export interface HostileNetwork {
  /** The Wi-Fi's IPv4 address and prefix, as DHCP hands them out (any address, any mask from /8 to /30). */
  wifi: { address: string; prefix: number };
  /** A router-advertised /64 (public or ULA), or none. */
  ipv6Prefix: string | null;
  /** DHCP option 121 routes through the router on en0: host routes and networks. */
  pushedRoutes: Cidr[];
  /** A host route for the probe address 1.1.1.1 through the router (the kernel's answer then names en0). */
  probeRoute: boolean;
  /** Whether the VPN is up (utun4 with 0/1 + 128.0/1) or has dropped. */
  vpnUp: boolean;
  /** Ranges the VPN routes into its tunnel (a split tunnel's corporate networks), while it is up. */
  vpnRoutes: Cidr[];
  /** A PPPoE link to the ISP, which carries the default route while the VPN is down. */
  ispLink: boolean;
  /** A second, untrusted tunnel with an address (Tailscale, another app). */
  otherTunnel: boolean;
  /** With the VPN down and its program quit, that other tunnel (utun7) takes 0/1 + 128.0/1. */
  foreignDefault: boolean;
  /** A virtual machine bridged to en0 (bridge100 with a vmenet member). */
  vmBridge: boolean;
  /** Connections other apps hold, to the attacker's hosts, through the tunnel or straight out of en0. */
  appSockets: {
    owner: string;
    pid: number;
    protocol: "tcp" | "udp";
    remote: string;
    port: number;
    via: "tunnel" | "wifi";
  }[];
  /** The `ipconfig getpacket en0` text, as hostile as the network likes. */
  dhcpPacket: string;
  /** What the network's DNS answers for any name. */
  dnsAnswers: string[];
}

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join("."));

/** Addresses an attacker favours: public ones, well-known sites, private ones, the real server's neighbours. */
export const attackerIpv4 = fc.oneof(
  ipv4,
  fc.constantFrom("93.184.216.34", "1.1.1.1", "8.8.8.8", "104.18.32.7", "198.51.100.8", "198.51.100.10"),
  fc
    .tuple(fc.constantFrom("10.0.0", "172.16.5", "192.168.1", "100.64.0"), octet)
    .map(([head, last]) => `${head}.${last}`),
);

const attackerIpv6 = fc.constantFrom(
  "2606:4700:4700::1111",
  "2001:db8:1a2b:10::99",
  "2a00:1450:4001::8844",
  "fd12:3456:789a:1::5",
  "2001:db8:ffff::50",
);

const cidrOf = (address: string, prefix: number): Cidr =>
  parseCidr(`${ipv4Network(address, prefix)}/${prefix}`) as Cidr;

const pushedRoute = fc.oneof(
  attackerIpv4.map((address) => parseCidr(`${address}/32`) as Cidr),
  fc.tuple(attackerIpv4, fc.integer({ min: 1, max: 31 })).map(([address, prefix]) => cidrOf(address, prefix)),
);

const vpnRoute = fc
  .oneof(
    fc.constantFrom(
      "10.0.0.0/8",
      "10.20.0.0/16",
      "172.16.0.0/12",
      "192.168.1.128/25",
      "192.168.0.0/16",
      "100.64.0.0/10",
    ),
    fc
      .tuple(attackerIpv4, fc.integer({ min: 8, max: 32 }))
      .map(([address, prefix]) => formatCidr(cidrOf(address, prefix))),
  )
  .map((text) => parseCidr(text) as Cidr);

const hostileLine = fc.constantFrom(
  "server_identifier (ip): 192.168.1.1",
  "server_identifier (ip): 010.000.000.001",
  "server_identifier (ip): 93.184.216.34",
  "server_identifier (ip): 192.168.1.1 trailing",
  "domain_name (string): x\nserver_identifier (ip): 8.8.8.8",
  "sname = server_identifier (ip): 1.1.1.1",
  "server_identifier (ip): fe80::1",
  "garbage",
  "",
);

const APPS = ["Safari", "curl", "Google Chrome", "ssh", "Mail"];

export const hostileNetwork: fc.Arbitrary<HostileNetwork> = fc.record({
  wifi: fc.record({
    address: fc.oneof(attackerIpv4, fc.constantFrom("192.168.1.23", "10.0.0.23", "104.16.1.23")),
    prefix: fc.integer({ min: 8, max: 30 }),
  }),
  ipv6Prefix: fc.option(fc.constantFrom("2001:db8:1a2b:10", "2606:4700:10:1", "fd00:8:0:1", "fd12:3456:789a:1"), {
    nil: null,
  }),
  pushedRoutes: fc.array(pushedRoute, { maxLength: 4 }),
  probeRoute: fc.boolean(),
  vpnUp: fc.boolean(),
  vpnRoutes: fc.array(vpnRoute, { maxLength: 3 }),
  ispLink: fc.boolean(),
  otherTunnel: fc.boolean(),
  foreignDefault: fc.boolean(),
  vmBridge: fc.boolean(),
  appSockets: fc.array(
    fc.record({
      owner: fc.constantFrom(...APPS),
      pid: fc.integer({ min: 700, max: 9000 }),
      protocol: fc.constantFrom("tcp" as const, "udp" as const),
      remote: attackerIpv4,
      port: fc.constantFrom(443, 80, 1194, 51820, 53, 500),
      via: fc.constantFrom("tunnel" as const, "wifi" as const),
    }),
    { maxLength: 3 },
  ),
  dhcpPacket: fc.array(hostileLine, { maxLength: 4 }).map((lines) => lines.join("\n")),
  dnsAnswers: fc.array(fc.oneof(attackerIpv4, attackerIpv6), { minLength: 1, maxLength: 3 }),
});

/** The router: the first host of the Wi-Fi's network (never the Mac's own address). */
export function routerOf(net: HostileNetwork): string {
  const base = ipv4Network(net.wifi.address, net.wifi.prefix).split(".").map(Number);
  const router = [...base.slice(0, 3), base[3] + 1].join(".");
  return router === net.wifi.address ? [...base.slice(0, 3), base[3] + 2].join(".") : router;
}

const maskOf = (prefix: number) => `0x${((0xffffffff << (32 - prefix)) >>> 0).toString(16).padStart(8, "0")}`;

/** netstat's way of writing a destination: `a.b.c.d/N` (always with its prefix, which netstat accepts too). */
const destination = (cidr: Cidr) => (cidr.prefix === 32 ? cidr.address : formatCidr(cidr));

/** Another app's tunnel carries the routes to the Internet, with no VPN program running. */
export const takesForeignDefault = (net: HostileNetwork) => net.foreignDefault && !net.vpnUp;

export function snapshotOf(net: HostileNetwork): NetworkSnapshot {
  const router = routerOf(net);
  const vpnUp = net.vpnUp;
  const foreign = takesForeignDefault(net);
  const ifconfig = [
    "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384",
    "\tinet 127.0.0.1 netmask 0xff000000",
    "\tinet6 ::1 prefixlen 128",
    "en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500",
    "\tether 3c:22:fb:5e:8a:01",
    "\tinet6 fe80::1c8b:4f2a:9d3e:71b5%en0 prefixlen 64 secured scopeid 0xb",
    `\tinet ${net.wifi.address} netmask ${maskOf(net.wifi.prefix)} broadcast 255.255.255.255`,
    ...(net.ipv6Prefix ? [`\tinet6 ${net.ipv6Prefix}:1849:8e2:c3d1:5a07 prefixlen 64 autoconf secured`] : []),
    "\tstatus: active",
    "awdl0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500",
    "\tinet6 fe80::6891:3bff:fecc:27e%awdl0 prefixlen 64 scopeid 0xc",
    "\tstatus: active",
    "utun0: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1500",
    "\tinet6 fe80::a31c:6e02:94d7:1f5b%utun0 prefixlen 64 scopeid 0xe",
    ...(vpnUp
      ? [
          `${VPN_TUNNEL}: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1500`,
          `\tinet ${VPN_ADDRESS} --> ${VPN_ADDRESS} netmask 0xffffff00`,
        ]
      : []),
    ...(net.otherTunnel || foreign
      ? [
          "utun7: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1280",
          "\tinet 100.101.102.103 --> 100.101.102.103 netmask 0xffffffff",
        ]
      : []),
    ...(net.ispLink
      ? [
          "ppp0: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1492",
          "\tinet 203.0.113.66 --> 203.0.113.1 netmask 0xff000000",
        ]
      : []),
    ...(net.vmBridge
      ? [
          "bridge100: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500",
          "\tether 3e:22:fb:5e:8a:64",
          "\tConfiguration:",
          "\t\tipfilter disabled flags 0x0",
          "\tmember: en0 flags=3<LEARNING,DISCOVER>",
          "\tmember: vmenet0 flags=3<LEARNING,DISCOVER>",
          "\tstatus: active",
          "vmenet0: flags=8b63<UP,BROADCAST,SMART,RUNNING,PROMISC,ALLMULTI,SIMPLEX,MULTICAST> mtu 1500",
          "\tether 9e:2b:d6:00:11:22",
          "\tstatus: active",
        ]
      : []),
    "",
  ].join("\n");

  const ispDefault = net.ispLink && !vpnUp;
  const routes = [
    "Routing tables",
    "Internet:",
    "Destination        Gateway            Flags               Netif Expire",
    ...(vpnUp ? [`0/1                ${VPN_PEER}           UGSc                ${VPN_TUNNEL}`] : []),
    ...(foreign
      ? [
          "0/1                100.101.102.1      UGSc                utun7",
          "128.0/1            100.101.102.1      UGSc                utun7",
        ]
      : []),
    ...(ispDefault ? ["default            203.0.113.1        UGSc                 ppp0"] : []),
    `default            ${router}        ${ispDefault ? "UGScIg" : "UGScg"}                 en0`,
    ...(vpnUp ? [`128.0/1            ${VPN_PEER}           UGSc                ${VPN_TUNNEL}`] : []),
    ...(vpnUp
      ? net.vpnRoutes.map(
          (cidr) => `${destination(cidr)}        ${VPN_PEER}           UGSc                ${VPN_TUNNEL}`,
        )
      : []),
    ...(vpnUp ? [`${REAL_SERVER.address}/32    ${router}        UGSc                  en0`] : []),
    ...net.pushedRoutes.map((cidr) => `${destination(cidr)}    ${router}        UGSc                  en0`),
    ...(net.probeRoute ? [`1.1.1.1/32         ${router}        UGSc                  en0`] : []),
    `${router}        3c:a6:2f:8:1e:7b   UHLWIir               en0   1187`,
    "Internet6:",
    "Destination                             Gateway                                 Flags               Netif Expire",
    "default                                 fe80::3ea6:2fff:fe08:1e7b%en0           UGcg                  en0",
    "",
  ].join("\n");

  const internetInterface = net.probeRoute
    ? "en0"
    : vpnUp
      ? VPN_TUNNEL
      : foreign
        ? "utun7"
        : ispDefault
          ? "ppp0"
          : "en0";
  const internetGateway =
    internetInterface === VPN_TUNNEL
      ? VPN_PEER
      : internetInterface === "utun7"
        ? "100.101.102.1"
        : internetInterface === "ppp0"
          ? "203.0.113.1"
          : router;
  const routeGet = (target: string, gateway: string, ifname: string) =>
    [
      `   route to: ${target}`,
      "destination: default",
      "       mask: default",
      `    gateway: ${gateway}`,
      `  interface: ${ifname}`,
      "      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING>",
      "",
    ].join("\n");

  const wifiLocal = `${net.wifi.address}.50001`;
  const sockets = [
    "Active Internet connections (including servers)",
    "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)          rxbytes      txbytes  rhiwat  shiwat          process:pid    state  options           gencnt    flags   flags1 usecnt rtncnt fltrs",
    ...(foreign
      ? []
      : [
          `udp4       0      0  ${wifiLocal}     ${REAL_SERVER.address}.${REAL_SERVER.port}                       9912044      1822370  786896    9216         openvpn:611  00000 00000000 0000000000a3b077 00000000 00000800      1      0 000000`,
        ]),
    ...net.appSockets.map((socket, index) => {
      const local =
        socket.via === "tunnel" && vpnUp ? `${VPN_ADDRESS}.${50100 + index}` : `${net.wifi.address}.${50100 + index}`;
      const state = socket.protocol === "tcp" ? "ESTABLISHED" : "           ";
      return `${socket.protocol}4       0      0  ${local}         ${socket.remote}.${socket.port}      ${state}        48213         6120  131072  131768          ${socket.owner}:${socket.pid}  00102 00000008 0000000000a3c1f2 00000080 04000900      1      0 000004`;
    }),
    "",
  ].join("\n");

  const dns = [
    "DNS configuration",
    "resolver #1",
    `  nameserver[0] : ${vpnUp ? VPN_PEER : router}`,
    ...(vpnUp ? [`  if_index : 18 (${VPN_TUNNEL})`] : []),
    "  flags    : Request A records",
    "",
  ].join("\n");

  return {
    ifconfig,
    netstatRoutes: routes,
    routeGetInternet: routeGet("1.1.1.1", internetGateway, internetInterface),
    routeGetDefault: routeGet("default", ispDefault ? "203.0.113.1" : router, ispDefault ? "ppp0" : "en0"),
    scutilDns: dns,
    scutilNcList: net.ispLink
      ? 'Available network connection services in the current set (*=enabled):\n* (Connected)      5B7A1C2E-3D4F-4A5B-8C9D-0E1F2A3B4C5D PPP --> PPPoE      "ISP"                            [PPP:PPPoE]\n'
      : "Available network connection services in the current set (*=enabled):\n",
    arp: `? (${router}) at 3c:a6:2f:8:1e:7b on en0 ifscope [ethernet]\n`,
    netstatSockets: sockets,
    ipconfigPackets: { en0: net.dhcpPacket },
  };
}
