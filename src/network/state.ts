import type { Bridge } from "./bridges";

/** An interface and its addresses (IPv6 without `%scope`). */
export interface NetworkInterface {
  name: string;
  ipv4: string[];
  ipv6: string[];
  /**
   * The networks the interface is attached to, as ifconfig gives them: IPv4 as `network/prefix`
   * (`192.168.1.0/24`; a netmask wider than /16 as the /16 around the address), IPv6 /64s as
   * `2001:db8:5:0::/64`; link-local and host-only (/32, /128) left out. Allow Local Network passes only
   * those in private, link-local or unique-local space (`localNetworkOf`).
   * Absent when unknown: then no local network is let through on it.
   */
  subnets?: string[];
  /** The lease's DHCP server (`ipconfig getpacket`), only when it is on one of `subnets`; absent when none. */
  dhcpServer?: string;
}

/** The IPv4 next hop of the physical network. */
export interface Gateway {
  ipv4: string | null;
  /** Lower-case, two hex digits per octet (`7c:10:c9:00:00:90`), or null when unknown. */
  mac: string | null;
  interface: string | null;
}

/**
 * Which network the Mac is on, without the Wi-Fi name (macOS 15+ hides it):
 * gateway IPv4 + gateway MAC + subnet. `id` is stable and printable; see network/identity.ts.
 */
export interface NetworkIdentity {
  id: string;
  gatewayIpv4: string;
  gatewayMac: string | null;
  subnet: string | null;
  /** The Wi-Fi name when it can be read; a label only, never part of `id`. */
  label: string | null;
  /**
   * How its link is protected, read beside `id` (network/identity.ts `linkSecurity`): the Wi-Fi security mode
   * (`WPA2_PSK`), `wired` for a link that is not Wi-Fi, null when it could not be read. A copy of the router
   * can fake `id`, but not a WPA network without its key.
   */
  security: string | null;
}

export interface ServerConnection {
  address: string;
  protocol: "tcp" | "udp";
  port: number;
}

/** One connection the Mac has open to an address, as netstat shows it, for people to judge. */
export interface SeenConnection {
  protocol: "tcp" | "udp";
  port: number;
  /** The owner's program name, when netstat or ps gave it. */
  owner: string | null;
  pid: number | null;
  /** The local address it leaves from (a tunnel's address: it runs through the tunnel). */
  localAddress: string | null;
}

/**
 * An address a route or `scutil --nwi` calls a VPN server, with no VPN program owning a connection to it: the
 * network can write routes (DHCP option 121), so it is not passed until the user confirms it.
 */
export interface ServerCandidate {
  address: string;
  /** Where it was named: a host route through the router, the VPN server line of `scutil --nwi`. */
  seenIn: ("route" | "nwi")[];
  /** Every connection open to it now, whoever owns it. */
  connections: SeenConnection[];
}

/** A network routed into a tunnel: `address/prefix` and the tunnel's name. */
export interface TunnelRoute {
  network: string;
  tunnel: string;
}

/** A resolver's domain (null: the default resolver) and the interface its queries leave on (null: not said). */
export interface ResolverInterface {
  domain: string | null;
  interface: string | null;
}

/** What the Mac's network looks like right now, as far as unprivileged commands tell. */
export interface NetworkState {
  /** Interfaces that reach a network directly (en*, bridge*, ...), loopback and tunnels excluded. */
  physical: NetworkInterface[];
  /** VPN tunnels: utun/tun/tap/ipsec/ppp with IPv4 or global IPv6 (macOS's link-local-only utuns left out). */
  tunnels: NetworkInterface[];
  /** AirDrop/Continuity interfaces present (awdl0, llw0). */
  peerToPeer: string[];
  /** The interface that carries Internet-bound IPv4 traffic (split routes count), or null. */
  defaultInterface: string | null;
  /**
   * The tunnel that carries the routes to the Internet (default, or both halves), when the VPN is up as a full
   * tunnel and the tunnel may be the VPN (a ppp link needs a connected L2TP/PPTP service); null otherwise.
   */
  vpnInterface: string | null;
  gateway: Gateway | null;
  /**
   * VPN servers proved on the Mac: a known VPN program (network/vpn-clients.ts) owns a connection to each from a
   * physical interface's address (`netstat -anv`). Routes and `scutil --nwi` alone never put an address here.
   */
  endpoints: string[];
  /**
   * Those connections: the protocol and port the VPN speaks to each server. Absent when the sockets were not
   * read.
   */
  serverConnections?: ServerConnection[];
  /** Addresses routes or `scutil --nwi` name as VPN servers without that proof; absent when there are none. */
  serverCandidates?: ServerCandidate[];
  /**
   * The networks routed into a VPN tunnel that is up (`netstat -rn`), as `address/prefix`: kept off the local
   * network outside the tunnel. Absent when the routes were not read.
   */
  tunnelRoutes?: TunnelRoute[];
  /** DNS resolvers in use (resolver #1 first, then the rest, deduplicated). */
  dns: string[];
  /**
   * Which interface each resolver of `scutil --dns`'s main section sends its queries on (`if_index : 13 (utun4)`),
   * resolver #1 first; `domain` set for a supplemental one. Absent when not read. Says whether a lookup went
   * through the VPN or to the network the Mac is on.
   */
  resolverInterfaces?: ResolverInterface[];
  identity: NetworkIdentity | null;
  /** Plain-language notes on what could not be determined (missing or unreadable output). */
  undetermined: string[];
  /** Bridges with members (`ifconfig -a`): what they forward between members is not filtered by pf. Absent when unknown. */
  bridges?: Bridge[];
}

export const EMPTY_NETWORK_STATE: NetworkState = {
  physical: [],
  tunnels: [],
  peerToPeer: [],
  defaultInterface: null,
  vpnInterface: null,
  gateway: null,
  endpoints: [],
  dns: [],
  identity: null,
  undetermined: [],
};
