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
}

export interface ServerConnection {
  address: string;
  protocol: "tcp" | "udp";
  port: number;
}

/** A network routed into a tunnel: `address/prefix` and the tunnel's name. */
export interface TunnelRoute {
  network: string;
  tunnel: string;
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
  /** The tunnel that carries Internet-bound traffic, when the VPN is up as a full tunnel; null otherwise. */
  vpnInterface: string | null;
  gateway: Gateway | null;
  /** VPN server addresses seen in routes or `scutil --nwi` (placeholders dropped). */
  endpoints: string[];
  /**
   * The connections open to those servers (`netstat -anv`): the evidence of the protocol and port the VPN
   * speaks. Absent when the sockets were not read.
   */
  serverConnections?: ServerConnection[];
  /**
   * The networks routed into a VPN tunnel that is up (`netstat -rn`), as `address/prefix`: kept off the local
   * network outside the tunnel. Absent when the routes were not read.
   */
  tunnelRoutes?: TunnelRoute[];
  /** DNS resolvers in use (resolver #1 first, then the rest, deduplicated). */
  dns: string[];
  identity: NetworkIdentity | null;
  /** Plain-language notes on what could not be determined (missing or unreadable output). */
  undetermined: string[];
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
