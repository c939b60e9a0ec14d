import { type Cidr, addressToBigInt, cidrContains, familyOf, ipv4Network, parseCidr, stripZone } from "../address/ip";
import { findBridges } from "./bridges";
import { type IfconfigInterface, emptyIfconfigInterface } from "./ifconfig";
import { computeNetworkIdentity } from "./identity";
import { interfaceKind, isPhysicalInterfaceName, isTunnelInterfaceName } from "./interface-kind";
import { type ParsedSnapshot, parseNetworkSnapshot } from "./parsed-snapshot";
import { isVpnService, tunnelsThatMayBeVpn, unprovenTunnelNote } from "./vpn-tunnel";
import {
  type DefaultRoute,
  findDefaultRoute,
  findEndpointHostRoutes,
  findPhysicalGateway,
  findTunnelRoutes,
  isRemoteAddress,
  type PhysicalGatewayRoute,
} from "./routing";
import type { ScutilNwi } from "./scutil-nwi";
import { INTERNET_PROBE_ADDRESS, type NetworkSnapshot, SNAPSHOT_FILES, type SnapshotTextField } from "./snapshot";
import type { Gateway, NetworkInterface, NetworkState, ResolverInterface, ServerCandidate } from "./state";
import { findVpnServers } from "./vpn-servers";

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];
const missing = (field: SnapshotTextField) => `${SNAPSHOT_FILES[field]} missing`;
const isLinkLocalIpv6 = (address: string) => /^fe[89ab][0-9a-f]:/i.test(address);

/** The first four groups of an IPv6 address, each without leading zeros: `2001:db8:5:0` for 2001:db8:5::23. */
function ipv6Slash64(address: string): string {
  const n = addressToBigInt(address) >> 64n;
  return [48n, 32n, 16n, 0n].map((shift) => ((n >> shift) & 0xffffn).toString(16)).join(":");
}

/** The widest IPv4 network taken as one link: a wider netmask is cut to this around the Mac's own address. */
const WIDEST_LINK_PREFIX = 16;

/**
 * The networks an interface is attached to; the root script's `physical_links` prints the same text. A netmask
 * is the network's word, so one wider than /16 counts for the /16 around the Mac's own address only.
 */
export function attachedSubnets(entry: IfconfigInterface): string[] {
  const v4 = entry.ipv4.flatMap(({ address, prefix, peer }) => {
    if (prefix === null || prefix >= 32 || peer !== null) return [];
    const bits = Math.max(prefix, WIDEST_LINK_PREFIX);
    return [`${ipv4Network(address, bits)}/${bits}`];
  });
  // IPv6 links are /64 (RFC 4291); other prefixes are left out rather than guessed.
  const v6 = entry.ipv6.flatMap(({ address, prefix }) =>
    prefix !== 64 || isLinkLocalIpv6(address) ? [] : [`${ipv6Slash64(address)}::/64`],
  );
  return unique([...v4, ...v6]);
}

function toNetworkInterface(entry: IfconfigInterface): NetworkInterface {
  return {
    name: entry.name,
    ipv4: unique(entry.ipv4.map((address) => address.address)),
    ipv6: unique(entry.ipv6.map((address) => address.address)),
  };
}

/** A physical link, with its lease's DHCP server when that is on one of its IPv4 networks (else a way off the link). */
function toPhysicalInterface(entry: IfconfigInterface, dhcpServers: Record<string, string>): NetworkInterface {
  const subnets = attachedSubnets(entry);
  const server = dhcpServers[entry.name];
  const onLink =
    server !== undefined &&
    subnets.some((subnet) => {
      const network = parseCidr(subnet);
      return network !== null && cidrContains(network, server);
    });
  return { ...toNetworkInterface(entry), subnets, ...(onLink && server ? { dhcpServer: server } : {}) };
}

/** Without `ifconfig`, `scutil --nwi` still names the interfaces in use and one address each. */
function interfacesFromNwi(nwi: ScutilNwi | null): IfconfigInterface[] {
  const byName = new Map<string, IfconfigInterface>();
  const entry = (name: string) => {
    const found = byName.get(name) ?? emptyIfconfigInterface(name);
    byName.set(name, found);
    return found;
  };
  for (const state of nwi?.ipv4 ?? []) {
    const target = entry(state.name);
    if (state.address && familyOf(state.address) === "inet") {
      target.ipv4.push({ address: state.address, prefix: null, broadcast: null, peer: null });
    }
  }
  for (const state of nwi?.ipv6 ?? []) {
    const target = entry(state.name);
    if (state.address && familyOf(state.address) === "inet6") {
      target.ipv6.push({ address: stripZone(state.address), prefix: null, attributes: [] });
    }
  }
  return [...byName.values()];
}

const hasAddress = (entry: IfconfigInterface) => entry.ipv4.length > 0 || entry.ipv6.length > 0;

/** A tunnel is a VPN only with an IPv4 or non-link-local IPv6 address: macOS's own utuns have link-local only. */
const isVpnTunnel = (entry: IfconfigInterface) =>
  isTunnelInterfaceName(entry.name) &&
  (entry.ipv4.length > 0 || entry.ipv6.some((address) => !isLinkLocalIpv6(address.address)));

/** Networks a host route's destination must not fall in to count as a VPN server: the Mac's own links and addresses. */
function localNetworks(interfaces: readonly IfconfigInterface[]): Cidr[] {
  const networks: Cidr[] = [];
  for (const entry of interfaces) {
    const physical = isPhysicalInterfaceName(entry.name);
    for (const { address, prefix } of [...entry.ipv4, ...entry.ipv6]) {
      const host = parseCidr(address);
      if (host) networks.push(host);
      // cidrContains compares the leading `prefix` bits, so any address of the network serves as its base.
      if (host && physical && prefix !== null) networks.push({ ...host, prefix });
    }
  }
  return networks;
}

function findGatewayMac(gateway: PhysicalGatewayRoute, parsed: ParsedSnapshot): string | null {
  const fromArp = parsed.arp?.find(
    (entry) => entry.ipv4 === gateway.ipv4 && entry.interface === gateway.interface && entry.mac,
  );
  if (fromArp?.mac) return fromArp.mac;
  // netstat lists the router's ARP entry too (`192.168.1.1  7c:10:c9:0:0:90  UHLWIir  en0`).
  const fromRoutes = parsed.routes?.ipv4.find(
    (route) =>
      route.network?.address === gateway.ipv4 &&
      route.network.prefix === 32 &&
      route.gateway.kind === "mac" &&
      route.netif === gateway.interface,
  );
  return fromRoutes?.gateway.kind === "mac" ? fromRoutes.gateway.mac : null;
}

/**
 * Resolver #1 of the main section first, then the others (supplemental ones included: they serve their domains).
 * The scoped section only serves apps bound to one interface, so it is used only when the main one lists nothing.
 * IPv6 zones are dropped: pf tables cannot hold them, and `if_index` already names the interface.
 */
function collectDnsServers(parsed: ParsedSnapshot): string[] {
  if (!parsed.dns) return [];
  const fromSection = (resolvers: typeof parsed.dns.resolvers) =>
    [...resolvers]
      .sort((a, b) => a.number - b.number)
      .flatMap((resolver) => resolver.nameservers)
      .map(stripZone)
      .filter((address) => familyOf(address) !== null);
  const main = fromSection(parsed.dns.resolvers);
  return unique(main.length > 0 ? main : fromSection(parsed.dns.scopedResolvers));
}

/** The main section's resolvers in order, each with the interface `if_index` names. */
function collectResolverInterfaces(parsed: ParsedSnapshot): ResolverInterface[] | undefined {
  if (!parsed.dns) return undefined;
  return [...parsed.dns.resolvers]
    .sort((a, b) => a.number - b.number)
    .map((resolver) => ({ domain: resolver.domain, interface: resolver.interfaceName }));
}

function noteDefaultRoute(defaultRoute: DefaultRoute | null, undetermined: string[]): void {
  if (!defaultRoute) {
    undetermined.push(`default interface unknown (no route to ${INTERNET_PROBE_ADDRESS}, no split or default route)`);
  } else if (defaultRoute.source === "route-get-default" || defaultRoute.source === "nwi") {
    const source = defaultRoute.source === "nwi" ? "scutil --nwi" : "route -n get default";
    undetermined.push(`default interface taken from ${source}, which does not see split-tunnel routes`);
  }
}

/** The interface list, from ifconfig or, failing that, scutil --nwi; sorted into the kinds the state keeps. */
function describeInterfaces(parsed: ParsedSnapshot, undetermined: string[]) {
  let interfaces = parsed.interfaces ?? [];
  if (parsed.interfaces === null) {
    undetermined.push(`no interface list (${missing("ifconfig")})`);
    interfaces = interfacesFromNwi(parsed.nwi);
  } else if (interfaces.length === 0) {
    undetermined.push("no interfaces in the ifconfig output");
  }
  return {
    interfaces,
    // An inactive interface without an address (an unplugged port) says nothing about the network.
    physical: interfaces
      .filter((entry) => isPhysicalInterfaceName(entry.name) && (hasAddress(entry) || entry.status === "active"))
      .map((entry) => toPhysicalInterface(entry, parsed.dhcpServers)),
    tunnels: interfaces.filter(isVpnTunnel).map(toNetworkInterface),
    peerToPeer: unique(interfaces.filter((entry) => interfaceKind(entry.name) === "peer-to-peer").map((e) => e.name)),
  };
}

function describeGateway(parsed: ParsedSnapshot, undetermined: string[]): Gateway | null {
  const route = findPhysicalGateway(parsed);
  if (!route) {
    undetermined.push("physical gateway unknown (no IPv4 default route on a physical interface)");
    return null;
  }
  const mac = findGatewayMac(route, parsed);
  if (!mac) undetermined.push(`gateway MAC unknown (no ARP entry for ${route.ipv4})`);
  return { ipv4: route.ipv4, mac, interface: route.interface };
}

/**
 * Addresses named as VPN servers: by host routes (only while a tunnel exists: otherwise they are ordinary static
 * routes) and by nwi. Candidates only: vpn-servers.ts decides which are proved.
 */
function namedServers(
  parsed: ParsedSnapshot,
  interfaces: IfconfigInterface[],
  vpnPresent: boolean,
): Map<string, ServerCandidate["seenIn"]> {
  const fromRoutes =
    vpnPresent && parsed.routes ? findEndpointHostRoutes(parsed.routes, localNetworks(interfaces)) : [];
  const fromNwi = [...(parsed.nwi?.ipv4 ?? []), ...(parsed.nwi?.ipv6 ?? [])]
    .map((state) => state.vpnServer)
    .filter((address): address is string => address !== null && isRemoteAddress(address));
  const named = new Map<string, ServerCandidate["seenIn"]>();
  for (const [address, source] of [
    ...fromRoutes.map((a) => [a, "route"] as const),
    ...fromNwi.map((a) => [a, "nwi"] as const),
  ]) {
    const sources = named.get(address) ?? [];
    if (!sources.includes(source)) named.set(address, [...sources, source]);
  }
  return named;
}

/**
 * The tunnel that carries the routes to the Internet, when it may be the VPN (network/vpn-tunnel.ts): a ppp
 * link without a VPN service to account for it is the ISP's, and another tunnel with no VPN seen running is
 * some program's, so the VPN is down. `vpnPresent`: some tunnel that may be the VPN is up.
 */
function describeVpnTunnel(
  parsed: ParsedSnapshot,
  tunnels: readonly NetworkInterface[],
  defaultInterface: string | null,
  undetermined: string[],
): { vpnInterface: string | null; vpnPresent: boolean } {
  const up = tunnels.map((tunnel) => tunnel.name);
  const evidence = { services: parsed.vpnServices, sockets: parsed.sockets, processNames: parsed.processNames };
  const mayBeVpn = tunnelsThatMayBeVpn(up, parsed.vpnServices);
  let vpnInterface: string | null = null;
  if (defaultInterface !== null && isTunnelInterfaceName(defaultInterface)) {
    const note = unprovenTunnelNote(defaultInterface, up, evidence);
    if (note) undetermined.push(note);
    else vpnInterface = defaultInterface;
  }
  return { vpnInterface, vpnPresent: mayBeVpn.length > 0 || vpnInterface !== null };
}

/** Turns raw command output into the network state the kill switch works from. Never throws on odd input. */
export function deriveNetworkState(snapshot: NetworkSnapshot): NetworkState {
  const parsed = parseNetworkSnapshot(snapshot);
  const undetermined: string[] = [];

  const { interfaces, physical, tunnels, peerToPeer } = describeInterfaces(parsed, undetermined);

  if (parsed.routes === null) undetermined.push(`no route table (${missing("netstatRoutes")})`);
  const defaultRoute = findDefaultRoute(parsed);
  noteDefaultRoute(defaultRoute, undetermined);
  const defaultInterface = defaultRoute?.interface ?? null;
  const { vpnInterface, vpnPresent } = describeVpnTunnel(parsed, tunnels, defaultInterface, undetermined);

  // A VPN app can report "Connected" while its tunnel is still being set up or already gone.
  for (const service of parsed.vpnServices ?? []) {
    if (service.status === "Connected" && isVpnService(service) && !vpnPresent) {
      undetermined.push(`VPN service "${service.name}" reports Connected, but no tunnel with an address was found`);
    }
  }

  const gateway = describeGateway(parsed, undetermined);

  const {
    servers: endpoints,
    connections: serverConnections,
    candidates,
  } = findVpnServers(parsed, physical, namedServers(parsed, interfaces, vpnPresent));
  if (vpnPresent && endpoints.length === 0 && candidates.length === 0) {
    undetermined.push("VPN server address unknown (no VPN program's connection, host route or scutil --nwi names one)");
  }
  if (parsed.sockets === null && candidates.length > 0) {
    undetermined.push(`no socket list (${missing("netstatSockets")}): no VPN server can be proved`);
  }
  const tunnelRoutes = parsed.routes ? findTunnelRoutes(parsed.routes, tunnels) : undefined;

  const dns = collectDnsServers(parsed);
  const resolverInterfaces = collectResolverInterfaces(parsed);
  if (parsed.dns === null) undetermined.push(`DNS resolvers unknown (${missing("scutilDns")})`);
  else if (dns.length === 0) undetermined.push("no DNS resolver listed by scutil --dns");

  const summary = gateway?.interface ? parsed.ipconfigSummaries[gateway.interface] : undefined;
  if (summary?.ssidRedacted) undetermined.push("Wi-Fi name hidden by macOS (<redacted>)");
  const gatewayInterface = interfaces.find((entry) => entry.name === gateway?.interface);
  const identity = computeNetworkIdentity({
    gateway,
    interfaceAddresses: gatewayInterface?.ipv4 ?? [],
    label: summary?.ssid ?? null,
    summary,
  });
  if (identity && identity.subnet === null) {
    undetermined.push(`subnet unknown (no address of ${gateway?.interface} contains ${identity.gatewayIpv4})`);
  }

  return {
    physical,
    tunnels,
    peerToPeer,
    defaultInterface,
    vpnInterface,
    gateway,
    endpoints,
    ...(serverConnections ? { serverConnections } : {}),
    ...(candidates.length > 0 ? { serverCandidates: candidates } : {}),
    ...(tunnelRoutes ? { tunnelRoutes } : {}),
    dns,
    ...(resolverInterfaces ? { resolverInterfaces } : {}),
    identity,
    undetermined,
    ...(parsed.interfaces ? { bridges: findBridges(parsed.interfaces) } : {}),
  };
}
