/**
 * What the kill switch promises for one packet, stated from the policy and the network alone: pass, or
 * block (with an answer going out), and why. Independent of pf syntax: the rules are judged against it.
 */
import { addressToBigInt, cidrContains, familyOf, parseCidr } from "../address/ip";
import { AIRDROP_PORT, CONTINUITY_PORTS, PEER_TO_PEER_INTERFACES, PEER_TO_PEER_NEIGHBOUR_TYPES } from "../pf/anchor";
import { isLocalAddress, isLocalNetwork as isLocalSpaceNetwork } from "../address/local-space";
import { exceptionWidth } from "../policy/exception-width";

import { type Endpoint, type ResolvedException, isExceptionActive } from "../policy/policy";
import { type Packet } from "./evaluate";

import type { Expectation, VerifyInput } from "./clauses";
import type { ProbePacket } from "./probe-packets";

export interface PolicyView {
  tunnels: string[];
  /**
   * Physical links with the networks they are attached to and their on-link DHCP server: where plumbing and
   * the local network pass.
   */
  links: { name: string; subnets: string[]; dhcpServer: string | null }[];
  /** Networks routed into the tunnel (or remembered so while it is down): the VPN's, never the local network. */
  tunnelRoutes: string[];
  endpoints: Endpoint[];
  resolvers: string[];
  exceptions: ResolvedException[];
  activeExceptions: ResolvedException[];
  /** The active exceptions that can cover a destination: by host, and those that name networks. */
  exceptionsFor: (destination: string) => ResolvedException[];
  allowLan: boolean;
  allowDiscovery: boolean;
  allowAirDrop: boolean;
  captivePortal: boolean;
  gateway: string | null;
  /** The interface of the network the Mac is on (its router's): the one link its own exceptions pass on. */
  networkLink: string | null;
}

/** Exceptions filed by the single hosts they name, so judging a packet does not look at all of them. */
export function indexExceptions(
  exceptions: readonly ResolvedException[],
): (destination: string) => ResolvedException[] {
  const byHost = new Map<string, ResolvedException[]>();
  const networks: ResolvedException[] = [];
  const keyOf = (address: string) => `${familyOf(address)}|${addressToBigInt(address)}`;
  for (const exception of exceptions) {
    const hostsOnly = exception.addresses.every((cidr) => cidr.prefix === (cidr.family === "inet" ? 32 : 128));
    if (!hostsOnly) {
      networks.push(exception);
      continue;
    }
    for (const cidr of exception.addresses) {
      const key = keyOf(cidr.address);
      byHost.set(key, [...(byHost.get(key) ?? []), exception]);
    }
  }
  const order = new Map(exceptions.map((exception, index) => [exception, index]));
  return (destination) => {
    const filed = familyOf(destination) ? (byHost.get(keyOf(destination)) ?? []) : [];
    if (filed.length === 0) return networks;
    // In settings order, as a search of every exception would find them.
    return [...new Set([...filed, ...networks])].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  };
}

export function viewPolicy(input: VerifyInput): PolicyView {
  const { policy, network, now } = input;
  const seen = new Set<string>();
  const ikev2 = network.tunnels.some((t) => /^ipsec\d+$/.test(t.name));
  const named = new Set(policy.endpoints.map((e) => e.address));
  // The user's answer (or an earlier proof), recorded with the servers.
  const answered = (address: string) =>
    (input.rememberedServers ?? [])
      .filter((e) => sameAddress(e.address, address) && (e.port !== undefined || e.protocol === "ikev2"))
      .map((e) => ({ ...e, address }));
  // Proved: a VPN program owns a connection to it.
  const proved = network.endpoints
    .filter((address) => !named.has(address))
    .flatMap((address): Endpoint[] => {
      const connections = (network.serverConnections ?? []).filter((c) => c.address === address);
      if (ikev2) return [{ address, protocol: "ikev2" }];
      if (connections.length > 0) return connections.map(({ protocol, port }) => ({ address, protocol, port }));
      const answers = answered(address);
      return answers.length > 0 ? answers : [{ address }];
    });
  // Named by a route or nwi only: intended only once the user confirmed it.
  const confirmed = (network.serverCandidates ?? [])
    .filter((candidate) => !named.has(candidate.address))
    .flatMap((candidate) => answered(candidate.address));
  // With no server seen now (the VPN down), those an earlier Enable proved or the user confirmed keep the way out open.
  const remembered = (input.rememberedServers ?? []).filter((e) => !named.has(e.address));
  const current = [...proved, ...confirmed];
  const detected = current.length > 0 ? current : remembered;
  const up = network.tunnels.map((t) => t.name);
  const tunnels = policy.tunnelOverride
    ? [policy.tunnelOverride]
    : [
        ...new Set([
          ...(network.vpnInterface ? [network.vpnInterface] : []),
          ...policy.trustedTunnels.filter((name) => up.includes(name)),
        ]),
      ];
  const active = policy.exceptions.filter((e) => isExceptionActive(e, network.identity, now));
  const endpoints = [...policy.endpoints, ...detected].filter((e) => {
    const key = `${e.address}|${e.port ?? ""}|${e.protocol ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const tunnelsUp = tunnels.filter((name) => up.includes(name));
  const tunnelRoutes =
    tunnelsUp.length > 0 && network.tunnelRoutes
      ? network.tunnelRoutes.filter((route) => tunnelsUp.includes(route.tunnel)).map((route) => route.network)
      : [...(input.rememberedTunnelRoutes ?? [])];
  return {
    tunnels,
    tunnelRoutes,
    links: network.physical.map((link) => ({
      name: link.name,
      subnets: link.subnets ?? [],
      dhcpServer: link.dhcpServer ?? null,
    })),
    endpoints,
    resolvers: policy.dnsResolvers,
    exceptions: policy.exceptions,
    activeExceptions: active,
    exceptionsFor: indexExceptions(active),
    allowLan: policy.allowLan,
    allowDiscovery: policy.allowDiscovery,
    allowAirDrop: policy.allowAirDrop,
    captivePortal: !!input.captivePortalUntil && input.captivePortalUntil.getTime() > now.getTime(),
    gateway: network.gateway?.ipv4 ?? null,
    networkLink: network.gateway?.interface ?? null,
  };
}

export const within = (range: string, address: string) => {
  const cidr = parseCidr(range);
  return cidr !== null && cidrContains(cidr, address);
};
export const sameAddress = (a: string, b: string) => within(a, b);
/** Local address space: where a LAN host to probe with can be guessed from the router's address. */
export const isLan = (address: string) => isLocalAddress(address);
export const LINK_SCOPE = ["fe80::/10", "ff02::/16"];
export const DNS_PORTS = [53, 853];
export const NEIGHBOUR_DISCOVERY_TYPES = [133, 134, 135, 136, 137, 143];
export const MDNS_GROUPS = ["224.0.0.251", "ff02::fb"];
export const isTransport = (p: Packet) => p.protocol === "tcp" || p.protocol === "udp";

/** A packet to a VPN server that its pass lets out (its answers ride on the state: see `answers`). */
export function endpointCovers(endpoint: Endpoint, p: Packet): boolean {
  if (p.direction !== "out" || !sameAddress(endpoint.address, p.destination)) return false;
  if (endpoint.protocol === "ikev2") {
    return p.protocol === "esp" || (p.protocol === "udp" && [500, 4500].includes(p.destinationPort ?? -1));
  }
  if (endpoint.protocol && p.protocol !== endpoint.protocol) return false;
  if (endpoint.port === undefined) return true;
  return isTransport(p) && p.destinationPort === endpoint.port;
}

export function exceptionCovers(exception: ResolvedException, p: Packet, networkLink: string | null): boolean {
  if (p.direction !== "out") return false;
  // One network's exception is meant for its own link and what can sit there: private and link-local space.
  const scoped = exception.scope !== "all";
  if (scoped && p.interface !== networkLink) return false;
  // A network too wide to be an exception is never intended, whatever the settings say.
  const allowed = exception.addresses.filter(
    (cidr) => exceptionWidth(cidr) !== "too-wide" && (!scoped || isLocalSpaceNetwork(cidr)),
  );
  if (!allowed.some((cidr) => cidrContains(cidr, p.destination))) return false;
  if (exception.protocol !== "any" && p.protocol !== exception.protocol) return false;
  if (exception.ports.length === 0) return true;
  const port = p.destinationPort;
  return isTransport(p) && port !== undefined && exception.ports.some((r) => port >= r.from && port <= r.to);
}

export const NEIGHBOUR_DISCOVERY_IN = [130, 133, 134, 135, 136, 137];

/**
 * DHCP and neighbour discovery on a physical link: to broadcast, the link's own DHCP server, link-local and
 * link-scope multicast only.
 */
export function isPlumbing(p: Packet, view: PolicyView): string | null {
  const link = view.links.find((candidate) => candidate.name === p.interface);
  if (!link) return null;
  const out = p.direction === "out";
  if (p.family === "inet" && p.protocol === "udp") {
    if (out && p.sourcePort === 68 && p.destinationPort === 67 && p.destination === "255.255.255.255")
      return "DHCP request";
    if (out && p.sourcePort === 68 && p.destinationPort === 67 && link.dhcpServer !== null) {
      if (sameAddress(link.dhcpServer, p.destination)) return "DHCP renewal to the lease's server";
    }
    if (!out && p.sourcePort === 67 && p.destinationPort === 68) return "DHCP reply";
  }
  if (p.family === "inet6" && p.protocol === "udp" && within("fe80::/10", p.source)) {
    if (out && p.sourcePort === 546 && p.destinationPort === 547 && sameAddress("ff02::1:2", p.destination))
      return "DHCPv6 request";
    if (!out && p.sourcePort === 547 && within("fe80::/10", p.destination) && p.destinationPort === 546)
      return "DHCPv6 reply";
  }
  if (p.family === "inet6" && p.protocol === "icmp6") {
    const type = p.icmpType ?? -1;
    if (out && NEIGHBOUR_DISCOVERY_TYPES.includes(type) && LINK_SCOPE.some((r) => within(r, p.destination)))
      return "IPv6 neighbour discovery";
    if (!out && NEIGHBOUR_DISCOVERY_IN.includes(type)) return "IPv6 neighbour discovery";
  }
  return null;
}

const isLocalSpace = (network: string) => {
  const cidr = parseCidr(network);
  return cidr !== null && isLocalSpaceNetwork(cidr);
};

/**
 * The local network as allowed: on a link, to (or from) a network it is attached to that lies in private,
 * link-local or unique-local space, and in no range the VPN routes into the tunnel (a part of the network, or a
 * range that holds all of it: either way the VPN's), or link-local.
 */
export function isLocalNetwork(p: Packet, view: PolicyView): boolean {
  const link = view.links.find((l) => l.name === p.interface);
  if (!link) return false;
  const peer = p.direction === "out" ? p.destination : p.source;
  if (["169.254.0.0/16", "fe80::/10"].some((network) => within(network, peer))) return true;
  if (view.tunnelRoutes.some((route) => within(route, peer))) return false;
  return link.subnets.some((network) => within(network, peer) && isLocalSpace(network));
}

/** A network the link is attached to that is public address space: the network calls it local, it is not. */
export function publicNetworkOf(p: Packet, view: PolicyView): string | null {
  const link = view.links.find((l) => l.name === p.interface);
  const peer = p.direction === "out" ? p.destination : p.source;
  return link?.subnets.find((network) => within(network, peer) && !isLocalSpace(network)) ?? null;
}

/**
 * What a nearby Apple device may start toward this Mac on awdl0/llw0, from a link-local address: Bonjour, neighbour
 * discovery, a connection to AirDrop's receiver or to a Continuity port. Anything else comes in only as an answer.
 */
export function peerToPeerInbound(p: Packet): string | null {
  if (!within("fe80::/10", p.source)) return null;
  const port = p.destinationPort ?? -1;
  if (
    p.protocol === "udp" &&
    port === 5353 &&
    (within("fe80::/10", p.destination) || sameAddress("ff02::fb", p.destination))
  )
    return "AirDrop/Continuity discovery (Bonjour)";
  if (
    p.protocol === "icmp6" &&
    PEER_TO_PEER_NEIGHBOUR_TYPES.includes(p.icmpType ?? -1) &&
    LINK_SCOPE.some((r) => within(r, p.destination))
  )
    return "neighbour discovery on a peer-to-peer link";
  if (p.protocol === "tcp" && within("fe80::/10", p.destination)) {
    if (port === AIRDROP_PORT) return "AirDrop's receiver";
    if (port >= CONTINUITY_PORTS.from && port <= CONTINUITY_PORTS.to) return "a Continuity port";
  }
  return null;
}

/** The kill switch's promise for one packet, with the reason in words. */
export function intendedVerdict(p: Packet, view: PolicyView): { expected: Expectation; because: string } {
  const pass = (because: string) => ({ expected: "pass" as const, because });
  const out = p.direction === "out";
  if (p.interface === "lo0") return pass("loopback");
  if (out && view.tunnels.includes(p.interface)) return pass(`inside the VPN tunnel ${p.interface}`);
  const endpoint = view.endpoints.find((e) => endpointCovers(e, p));
  if (endpoint) return pass(`VPN server ${endpoint.address}`);
  const plumbing = isPlumbing(p, view);
  if (plumbing) return pass(plumbing);
  if (
    out &&
    view.captivePortal &&
    ((isTransport(p) && p.destinationPort === 53) ||
      (p.protocol === "tcp" && [80, 443].includes(p.destinationPort ?? -1)))
  )
    return pass("captive portal window");
  if (out && isTransport(p) && DNS_PORTS.includes(p.destinationPort ?? -1)) {
    if (view.resolvers.some((r) => sameAddress(r, p.destination))) return pass("a DNS resolver named in the settings");
    return { expected: "block-return", because: "DNS outside the tunnel goes only to resolvers named in the settings" };
  }
  if (
    view.allowDiscovery &&
    p.protocol === "udp" &&
    p.destinationPort === 5353 &&
    MDNS_GROUPS.some((g) => sameAddress(g, p.destination))
  )
    return pass("Bonjour (mDNS) is allowed");
  if (view.allowAirDrop && PEER_TO_PEER_INTERFACES.includes(p.interface) && p.family === "inet6") {
    if (out && LINK_SCOPE.some((r) => within(r, p.destination))) return pass("AirDrop/Continuity, link-local");
    const inbound = out ? null : peerToPeerInbound(p);
    if (inbound) return pass(inbound);
  }
  if (view.allowLan && isLocalNetwork(p, view)) return pass("local network is allowed");
  const exception = view.exceptionsFor(p.destination).find((e) => exceptionCovers(e, p, view.networkLink));
  if (exception) return pass(`exception ${exception.label || exception.target}`);
  const calledLocal = view.allowLan ? publicNetworkOf(p, view) : null;
  if (calledLocal) {
    const because = `this network calls public addresses local (${calledLocal}); not passed`;
    return out ? { expected: "block-return", because } : { expected: "block", because };
  }
  return out
    ? { expected: "block-return", because: "outside the VPN and not allowed" }
    : { expected: "block", because: "inbound outside the VPN and not allowed" };
}

/**
 * The promise for a probe: a packet that follows one the policy lets out is an answer on its state, and
 * passes only on the interface the state was made on; anything else is judged on its own.
 */
export function intendedForProbe(p: ProbePacket, view: PolicyView): { expected: Expectation; because: string } {
  if (p.after && p.after.interface === p.interface && p.direction !== p.after.direction) {
    const opener = intendedVerdict(p.after, view);
    if (opener.expected === "pass")
      return { expected: "pass", because: `an answer to traffic allowed as ${opener.because}` };
  }
  return intendedVerdict(p, view);
}

/** What the policy wants for one packet (for `explain`): the verdict and why. */
export function intendedVerdictFor(packet: Packet, input: VerifyInput): { expected: Expectation; because: string } {
  return intendedVerdict(packet, viewPolicy(input));
}
