/**
 * Proves a ruleset keeps the kill switch's promise: the policy, stated once more as a plain decision per
 * packet (`intendedVerdict`, independent of pf syntax), is checked against what pf would do with the rules
 * (evaluate.ts) for a matrix of packets: interface kinds x direction x family x protocol x destination.
 * Works on the builder's text and on what `pfctl -sr` prints back from a Mac.
 */
import { addressToBigInt, cidrContains, familyOf, parseCidr } from "../address/ip";
import { PEER_TO_PEER_INTERFACES } from "../pf/anchor";
import { exceptionWidth } from "../policy/exception-width";
import type { NetworkState } from "../network/state";
import { type Endpoint, type KillSwitchPolicy, type ResolvedException, isExceptionActive } from "../policy/policy";
import { type Evaluation, type Packet, createEvaluator, describePacket } from "./evaluate";
import { type LintFinding, lintRuleset } from "./lint";
import { type ParseError, parsePfRules } from "./parse-rules";

export interface VerifyInput {
  policy: KillSwitchPolicy;
  network: NetworkState;
  now: Date;
  captivePortalUntil?: Date | null;
}

/** What should happen to a packet; `block-return` = refused with an answer, so apps fail fast. */
export type Expectation = "pass" | "block" | "block-return";

export interface ClauseFailure {
  packet: Packet;
  /** The packet in words (`out en0 inet tcp ... -> ...`). */
  description: string;
  expected: Expectation;
  /** Why the policy wants that verdict. */
  because: string;
  actual: string;
  /** True when something the policy blocks would get through. */
  leak: boolean;
  /** The rule that decided, when one did. */
  rule?: { line: number; text: string };
}

export type ClauseId =
  | "loopback"
  | "tunnel"
  | "outside-blocked"
  | "vpn-endpoints"
  | "link-plumbing"
  | "dns"
  | "discovery"
  | "lan"
  | "exceptions"
  | "airdrop"
  | "attacker"
  | "blocking-mode"
  | "captive-portal";

export interface ClauseResult {
  id: ClauseId;
  description: string;
  passed: boolean;
  /** Packets checked; 0 when the clause does not apply to this policy and network. */
  checked: number;
  failures: ClauseFailure[];
}

export interface VerificationResult {
  passed: boolean;
  clauses: ClauseResult[];
  lint: LintFinding[];
  parseErrors: ParseError[];
}

// ---------------------------------------------------------------------------------------------------------
// The policy as a decision per packet

interface PolicyView {
  tunnels: string[];
  /** Physical links with the networks they are attached to: where plumbing and the local network pass. */
  links: { name: string; subnets: string[] }[];
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
}

/** Exceptions filed by the single hosts they name, so judging a packet does not look at all of them. */
function indexExceptions(exceptions: readonly ResolvedException[]): (destination: string) => ResolvedException[] {
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

function viewPolicy(input: VerifyInput): PolicyView {
  const { policy, network, now } = input;
  const seen = new Set<string>();
  const ikev2 = network.tunnels.some((t) => /^ipsec\d+$/.test(t.name));
  const named = new Set(policy.endpoints.map((e) => e.address));
  const detected = network.endpoints
    .filter((address) => !named.has(address))
    .flatMap((address): Endpoint[] => {
      const connections = (network.serverConnections ?? []).filter((c) => c.address === address);
      if (ikev2) return [{ address, protocol: "ikev2" }];
      return connections.length > 0
        ? connections.map(({ protocol, port }) => ({ address, protocol, port }))
        : [{ address }];
    });
  const up = network.tunnels.map((t) => t.name);
  const tunnels = policy.tunnelOverride
    ? [policy.tunnelOverride]
    : [
        ...new Set([
          ...(network.vpnInterface ? [network.vpnInterface] : []),
          ...policy.trustedTunnels.filter((name) => up.includes(name)),
        ]),
      ];
  const active = policy.exceptions.filter((e) => isExceptionActive(e, network.identity?.id ?? null, now));
  const endpoints = [...policy.endpoints, ...detected].filter((e) => {
    const key = `${e.address}|${e.port ?? ""}|${e.protocol ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    tunnels,
    links: network.physical.map((link) => ({ name: link.name, subnets: link.subnets ?? [] })),
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
  };
}

const within = (range: string, address: string) => {
  const cidr = parseCidr(range);
  return cidr !== null && cidrContains(cidr, address);
};
const sameAddress = (a: string, b: string) => within(a, b);
/** Private ranges (RFC 1918): where a LAN host to probe with can be guessed from the router's address. */
const PRIVATE_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
const isLan = (address: string) => PRIVATE_V4.some((range) => within(range, address));
const LINK_SCOPE = ["fe80::/10", "ff02::/16"];
const DNS_PORTS = [53, 853];
const NEIGHBOUR_DISCOVERY_TYPES = [133, 134, 135, 136, 137, 143];
const MDNS_GROUPS = ["224.0.0.251", "ff02::fb"];
const isTransport = (p: Packet) => p.protocol === "tcp" || p.protocol === "udp";

/** A packet to a VPN server that its pass lets out (its answers ride on the state: see `answers`). */
function endpointCovers(endpoint: Endpoint, p: Packet): boolean {
  if (p.direction !== "out" || !sameAddress(endpoint.address, p.destination)) return false;
  if (endpoint.protocol === "ikev2") {
    return p.protocol === "esp" || (p.protocol === "udp" && [500, 4500].includes(p.destinationPort ?? -1));
  }
  if (endpoint.protocol && p.protocol !== endpoint.protocol) return false;
  if (endpoint.port === undefined) return true;
  return isTransport(p) && p.destinationPort === endpoint.port;
}

function exceptionCovers(exception: ResolvedException, p: Packet): boolean {
  if (p.direction !== "out") return false;
  // A network too wide to be an exception is never intended, whatever the settings say.
  const allowed = exception.addresses.filter((cidr) => exceptionWidth(cidr) !== "too-wide");
  if (!allowed.some((cidr) => cidrContains(cidr, p.destination))) return false;
  if (exception.protocol !== "any" && p.protocol !== exception.protocol) return false;
  if (exception.ports.length === 0) return true;
  const port = p.destinationPort;
  return isTransport(p) && port !== undefined && exception.ports.some((r) => port >= r.from && port <= r.to);
}

const NEIGHBOUR_DISCOVERY_IN = [130, 133, 134, 135, 136, 137];

/** DHCP and neighbour discovery on a physical link: to broadcast, link-local and link-scope multicast only. */
function isPlumbing(p: Packet, view: PolicyView): string | null {
  if (!view.links.some((link) => link.name === p.interface)) return null;
  const out = p.direction === "out";
  if (p.family === "inet" && p.protocol === "udp") {
    if (out && p.sourcePort === 68 && p.destinationPort === 67 && p.destination === "255.255.255.255")
      return "DHCP request";
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

/** The local network as allowed: on a link, to (or from) a network it is attached to, or link-local. */
function isLocalNetwork(p: Packet, view: PolicyView): boolean {
  const link = view.links.find((l) => l.name === p.interface);
  if (!link) return false;
  const peer = p.direction === "out" ? p.destination : p.source;
  return [...link.subnets, "169.254.0.0/16", "fe80::/10"].some((network) => within(network, peer));
}

/** The kill switch's promise for one packet, with the reason in words. */
function intendedVerdict(p: Packet, view: PolicyView): { expected: Expectation; because: string } {
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
    if (out ? LINK_SCOPE.some((r) => within(r, p.destination)) : within("fe80::/10", p.source))
      return pass("AirDrop/Continuity, link-local");
  }
  if (view.allowLan && isLocalNetwork(p, view)) return pass("local network is allowed");
  const exception = view.exceptionsFor(p.destination).find((e) => exceptionCovers(e, p));
  if (exception) return pass(`exception ${exception.label || exception.target}`);
  return out
    ? { expected: "block-return", because: "outside the VPN and not allowed" }
    : { expected: "block", because: "inbound outside the VPN and not allowed" };
}

/**
 * The promise for a probe: a packet that follows one the policy lets out is an answer on its state, and
 * passes only on the interface the state was made on; anything else is judged on its own.
 */
function intendedForProbe(p: ProbePacket, view: PolicyView): { expected: Expectation; because: string } {
  if (p.after && p.after.interface === p.interface && p.direction !== p.after.direction) {
    const opener = intendedVerdict(p.after, view);
    if (opener.expected === "pass")
      return { expected: "pass", because: `an answer to traffic allowed as ${opener.because}` };
  }
  return intendedVerdict(p, view);
}

/**
 * pf's state table for one probe: a state made by the rule that let `after` through matches the probe
 * first (before any rule), on any interface for a floating state, only on the same one for `(if-bound)`.
 */
export function evaluateProbe(
  p: ProbePacket,
  evaluate: (packet: Packet) => Evaluation,
): Evaluation & { viaState?: true } {
  if (p.after) {
    const opener = evaluate(p.after);
    const rule = opener.rule;
    const keepsState = opener.action === "pass" && rule !== null && rule.state !== "none";
    if (keepsState && (rule.stateBinding !== "if-bound" || p.after.interface === p.interface)) {
      return { ...opener, viaState: true };
    }
  }
  return evaluate(withoutOpener(p));
}

function withoutOpener(p: ProbePacket): Packet {
  const packet = { ...p };
  delete packet.after;
  return packet;
}

function describeProbe(p: ProbePacket): string {
  if (!p.after) return describePacket(p);
  return `${describePacket(withoutOpener(p))} (after ${describePacket(p.after)})`;
}

/** What the policy wants for one packet (for `explain`): the verdict and why. */
export function intendedVerdictFor(packet: Packet, input: VerifyInput): { expected: Expectation; because: string } {
  return intendedVerdict(packet, viewPolicy(input));
}

// ---------------------------------------------------------------------------------------------------------
// The packet matrix

const EPHEMERAL = 49152;
const PUBLIC_V4 = ["203.0.113.50", "198.51.100.77", "192.0.2.99", "8.8.4.4"];
const PUBLIC_V6 = ["2001:db8:ffff::50", "2606:4700:4700::1001", "2a00:1450:4001::8844"];
const PUBLIC_DNS_V4 = ["9.9.9.9", "149.112.112.112", "208.67.222.222"];
const PUBLIC_DNS_V6 = ["2620:fe::fe", "2620:fe::9"];
const LAN_PEER_V6 = "fe80::a1b2:c3ff:fed4:e5f6";
const ROUTER_V6 = "fe80::1";

interface Addresses {
  publicV4: string | null;
  publicV6: string | null;
  publicDnsV4: string | null;
  publicDnsV6: string | null;
  router: string;
  lanHost: string;
}

function chooseAddresses(view: PolicyView): Addresses {
  const allowed = (address: string) =>
    !view.endpoints.some((e) => sameAddress(e.address, address)) &&
    !view.resolvers.some((r) => sameAddress(r, address)) &&
    // A network too wide to be an exception must not hide the Internet from the probes.
    !view.exceptions.some((e) =>
      e.addresses.some((cidr) => exceptionWidth(cidr) !== "too-wide" && cidrContains(cidr, address)),
    );
  const pick = (candidates: string[]) => candidates.find(allowed) ?? null;
  const router = view.gateway && familyOf(view.gateway) === "inet" ? view.gateway : "192.168.1.1";
  const lanGuess = router.replace(/\.\d+$/, router.endsWith(".20") ? ".21" : ".20");
  return {
    publicV4: pick(PUBLIC_V4),
    publicV6: pick(PUBLIC_V6),
    publicDnsV4: pick(PUBLIC_DNS_V4),
    publicDnsV6: pick(PUBLIC_DNS_V6),
    router,
    lanHost: isLan(lanGuess) ? lanGuess : "192.168.1.20",
  };
}

interface Local {
  v4: string;
  linkLocal: string;
  global: string;
}

function localAddresses(network: NetworkState, name: string): Local {
  const iface = [...network.physical, ...network.tunnels].find((i) => i.name === name);
  return {
    v4: iface?.ipv4[0] ?? "192.168.1.23",
    linkLocal: iface?.ipv6.find((a) => within("fe80::/10", a)) ?? "fe80::1c2b:3ff:fe4d:5e6f",
    global: iface?.ipv6.find((a) => !within("fe80::/10", a)) ?? "2001:db8:5::23",
  };
}

function interfaceSets(view: PolicyView, network: NetworkState) {
  const tunnelNames = new Set([...view.tunnels, ...network.tunnels.map((t) => t.name)]);
  const isPhysical = (name: string | null | undefined): name is string =>
    !!name && name !== "lo0" && !tunnelNames.has(name) && !PEER_TO_PEER_INTERFACES.includes(name);
  const physical = [
    ...new Set(
      [...network.physical.map((i) => i.name), network.gateway?.interface, network.defaultInterface].filter(isPhysical),
    ),
  ];
  if (physical.length === 0) physical.push("en0");
  // A USB adapter plugged in after the rules were built, and the bridge VMs and Internet Sharing use.
  const added = ["en7", "bridge100"].filter((name) => !physical.includes(name));
  const renumbered = view.tunnels
    .map((name) => /^(utun|ipsec|ppp|tun|tap)(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}${Number(m[2]) + 1}`);
  const foreignTunnels = [
    ...new Set([...network.tunnels.map((t) => t.name), ...renumbered, "utun0", "ipsec0", "ppp0"]),
  ].filter((name) => !view.tunnels.includes(name));
  return { physical, added, peerToPeer: PEER_TO_PEER_INTERFACES, foreignTunnels };
}

const tcp = (
  direction: Packet["direction"],
  iface: string,
  source: string,
  destination: string,
  destinationPort: number,
  sourcePort = EPHEMERAL,
  tcpFlags?: string,
): Packet => ({
  direction,
  interface: iface,
  family: familyOf(destination) === "inet6" ? "inet6" : "inet",
  protocol: "tcp",
  source,
  destination,
  sourcePort,
  destinationPort,
  ...(tcpFlags ? { tcpFlags } : {}),
});
const udp = (
  direction: Packet["direction"],
  iface: string,
  source: string,
  destination: string,
  destinationPort: number,
  sourcePort = EPHEMERAL,
): Packet => ({
  ...tcp(direction, iface, source, destination, destinationPort, sourcePort),
  protocol: "udp",
});
const icmp = (
  direction: Packet["direction"],
  iface: string,
  source: string,
  destination: string,
  icmpType: number,
): Packet => {
  const family = familyOf(destination) === "inet6" ? "inet6" : "inet";
  return {
    direction,
    interface: iface,
    family,
    protocol: family === "inet6" ? "icmp6" : "icmp",
    source,
    destination,
    icmpType,
  };
};
const other = (
  protocol: string,
  direction: Packet["direction"],
  iface: string,
  source: string,
  destination: string,
): Packet => ({
  direction,
  interface: iface,
  family: familyOf(destination) === "inet6" ? "inet6" : "inet",
  protocol,
  source,
  destination,
});

/**
 * A probe packet; with `after`, it comes once `after` has been let through, so it can match the state
 * `after` made (an answer on the same interface, or the same connection moved to another one).
 */
export type ProbePacket = Packet & { after?: Packet };

/** `packet`, sent once `opener` went through. */
const following = (packet: Packet, opener: Packet): ProbePacket => ({ ...packet, after: opener });

/** The answer to `opener` from its destination, on the same interface. */
function answerTo(opener: Packet, tcpFlags = "SA"): ProbePacket {
  const answer: Packet = {
    ...opener,
    direction: opener.direction === "out" ? "in" : "out",
    source: opener.destination,
    destination: opener.source,
    sourcePort: opener.destinationPort,
    destinationPort: opener.sourcePort,
  };
  if (opener.protocol === "tcp") answer.tcpFlags = tcpFlags;
  else delete answer.tcpFlags;
  if (answer.sourcePort === undefined) delete answer.sourcePort;
  if (answer.destinationPort === undefined) delete answer.destinationPort;
  return following(answer, opener);
}

type ClauseSpec = { id: ClauseId; description: string; packets: ProbePacket[] };

function outsideProbes(iface: string, local: Local, a: Addresses): Packet[] {
  const packets: Packet[] = [];
  if (a.publicV4) {
    packets.push(
      tcp("out", iface, local.v4, a.publicV4, 443),
      udp("out", iface, local.v4, a.publicV4, 443),
      icmp("out", iface, local.v4, a.publicV4, 8),
      other("esp", "out", iface, local.v4, a.publicV4),
      // A connection older than the rules has no state: its packets must not slip through either.
      tcp("out", iface, local.v4, a.publicV4, 443, EPHEMERAL, "A"),
      tcp("in", iface, a.publicV4, local.v4, 22, EPHEMERAL),
      tcp("in", iface, a.publicV4, local.v4, EPHEMERAL, 443, "SA"),
      udp("in", iface, a.publicV4, local.v4, 50000, 443),
    );
  }
  if (a.publicV6) {
    packets.push(
      tcp("out", iface, local.global, a.publicV6, 443),
      udp("out", iface, local.global, a.publicV6, 443),
      icmp("out", iface, local.global, a.publicV6, 128),
      tcp("in", iface, a.publicV6, local.global, 22),
    );
  }
  return packets;
}

function buildClauses(input: VerifyInput, view: PolicyView): ClauseSpec[] {
  const { network } = input;
  const a = chooseAddresses(view);
  const sets = interfaceSets(view, network);
  const reachable = [...sets.physical, ...sets.added];
  const outside = [...sets.physical, ...sets.added, ...sets.peerToPeer, ...sets.foreignTunnels];
  const primary = sets.physical[0];
  const at = (name: string) => localAddresses(network, name);

  const loopback: Packet[] = ["out", "in"].flatMap((d) => {
    const direction = d as Packet["direction"];
    return [
      tcp(direction, "lo0", "127.0.0.1", "127.0.0.1", 8080),
      udp(direction, "lo0", "127.0.0.1", "127.0.0.1", 53),
      tcp(direction, "lo0", "::1", "::1", 8080),
    ];
  });

  const tunnel = view.tunnels.flatMap((name) => {
    const v4 = network.tunnels.find((t) => t.name === name)?.ipv4[0] ?? "10.8.0.2";
    const farSide = v4.replace(/\.\d+$/, v4.endsWith(".1") ? ".2" : ".1");
    const v6 = network.tunnels.find((t) => t.name === name)?.ipv6.find((x) => !within("fe80::/10", x)) ?? "fd00:8::2";
    const opener = tcp("out", name, v4, a.publicV4 ?? "203.0.113.50", 443);
    return [
      udp("out", name, v4, farSide, 53),
      // Out only: answers ride on the state; nothing unasked comes in, even through the tunnel.
      tcp("in", name, farSide, v4, 22),
      answerTo(opener),
      answerTo(udp("out", name, v4, a.publicDnsV4 ?? "9.9.9.9", 53)),
      opener,
      udp("out", name, v4, a.publicV4 ?? "203.0.113.50", 443),
      icmp("out", name, v4, a.publicV4 ?? "203.0.113.50", 8),
      udp("out", name, v4, a.publicDnsV4 ?? "9.9.9.9", 53),
      tcp("out", name, v6, a.publicV6 ?? "2001:db8:ffff::50", 443),
      udp("out", name, v6, a.publicDnsV6 ?? "2620:fe::fe", 53),
      tcp("out", name, v4, a.router, 80),
    ];
  });

  const endpoints = view.endpoints.flatMap((endpoint) =>
    reachable.flatMap((iface) => {
      const local = at(iface);
      const family = familyOf(endpoint.address) === "inet6" ? "inet6" : "inet";
      const source = family === "inet6" ? local.global : local.v4;
      const packets: Packet[] = [];
      const transports = endpoint.protocol ? [endpoint.protocol] : ["udp", "tcp"];
      if (endpoint.port !== undefined) {
        for (const proto of transports) {
          const make = proto === "tcp" ? tcp : udp;
          const opener = make("out", iface, source, endpoint.address, endpoint.port);
          packets.push(opener, answerTo(opener));
          if (proto === "tcp") packets.push(tcp("out", iface, source, endpoint.address, endpoint.port, EPHEMERAL, "A"));
        }
        // Narrow: another port, and the other transport when the protocol is known.
        const otherPort = endpoint.port < 65535 ? endpoint.port + 1 : endpoint.port - 1;
        packets.push((transports[0] === "tcp" ? tcp : udp)("out", iface, source, endpoint.address, otherPort));
        if (endpoint.protocol)
          packets.push(
            (endpoint.protocol === "tcp" ? udp : tcp)("out", iface, source, endpoint.address, endpoint.port),
          );
      } else if (endpoint.protocol === "ikev2") {
        const ike = udp("out", iface, source, endpoint.address, 500, 500);
        const esp = other("esp", "out", iface, source, endpoint.address);
        packets.push(
          ike,
          answerTo(ike),
          udp("out", iface, source, endpoint.address, 4500, 4500),
          esp,
          answerTo(esp),
          // IKEv2 needs nothing else: other ports and protocols to the server stay blocked.
          udp("out", iface, source, endpoint.address, 1194),
          tcp("out", iface, source, endpoint.address, 443),
        );
      } else {
        const wireguard = udp("out", iface, source, endpoint.address, 51820);
        const esp = other("esp", "out", iface, source, endpoint.address);
        packets.push(
          wireguard,
          udp("out", iface, source, endpoint.address, 4500, 4500),
          tcp("out", iface, source, endpoint.address, 443),
          tcp("out", iface, source, endpoint.address, 443, EPHEMERAL, "A"),
          esp,
          answerTo(wireguard),
          answerTo(esp),
        );
      }
      return packets;
    }),
  );

  const plumbing = reachable.flatMap((iface) => {
    const local = at(iface);
    return [
      udp("out", iface, "0.0.0.0", "255.255.255.255", 67, 68),
      udp("out", iface, local.v4, a.router, 67, 68),
      udp("in", iface, a.router, "255.255.255.255", 68, 67),
      udp("in", iface, a.router, local.v4, 68, 67),
      udp("out", iface, local.linkLocal, "ff02::1:2", 547, 546),
      udp("in", iface, ROUTER_V6, local.linkLocal, 546, 547),
      icmp("out", iface, local.linkLocal, "ff02::2", 133),
      icmp("out", iface, local.linkLocal, "ff02::1:ff00:1", 135),
      icmp("out", iface, local.linkLocal, ROUTER_V6, 136),
      icmp("out", iface, local.linkLocal, "ff02::16", 143),
      icmp("in", iface, ROUTER_V6, "ff02::1", 134),
      icmp("in", iface, ROUTER_V6, local.linkLocal, 135),
      icmp("in", iface, ROUTER_V6, local.linkLocal, 136),
      icmp("in", iface, ROUTER_V6, local.linkLocal, 137),
      // The plumbing must not be a hole: the same ports and types to anything else stay blocked.
      ...(a.publicV4 ? [udp("out", iface, local.v4, a.publicV4, 67, 68)] : []),
      ...(a.publicV6 ? [icmp("out", iface, local.global, a.publicV6, 135)] : []),
      icmp("out", iface, local.linkLocal, ROUTER_V6, 128),
    ];
  });

  const dnsTargets = [
    a.router,
    a.lanHost,
    a.publicDnsV4,
    ...view.exceptions.map((e) => e.addresses[0]?.address),
  ].filter((x): x is string => !!x && familyOf(x) === "inet");
  const dnsTargetsV6 = [ROUTER_V6, a.publicDnsV6, ...view.exceptions.map((e) => e.addresses[0]?.address)].filter(
    (x): x is string => !!x && familyOf(x) === "inet6",
  );
  const dns = [...sets.physical, "en7", "awdl0"].flatMap((iface) => {
    const local = at(iface);
    return [
      ...dnsTargets.flatMap((target) => [
        udp("out", iface, local.v4, target, 53),
        tcp("out", iface, local.v4, target, 53),
        tcp("out", iface, local.v4, target, 853),
        udp("out", iface, local.v4, target, 853),
      ]),
      ...dnsTargetsV6.flatMap((target) => [
        udp("out", iface, within("fe80::/10", target) ? local.linkLocal : local.global, target, 53),
        tcp("out", iface, within("fe80::/10", target) ? local.linkLocal : local.global, target, 853),
      ]),
      ...view.resolvers.flatMap((resolver) => {
        const source = familyOf(resolver) === "inet6" ? local.global : local.v4;
        return [udp("out", iface, source, resolver, 53), tcp("out", iface, source, resolver, 853)];
      }),
    ];
  });

  const discovery = sets.physical.flatMap((iface) => {
    const local = at(iface);
    return [
      udp("out", iface, local.v4, "224.0.0.251", 5353, 5353),
      udp("out", iface, local.linkLocal, "ff02::fb", 5353, 5353),
      udp("in", iface, a.lanHost, "224.0.0.251", 5353, 5353),
      udp("in", iface, LAN_PEER_V6, "ff02::fb", 5353, 5353),
      udp("out", iface, local.v4, "239.255.255.250", 1900),
    ];
  });

  const lan = sets.physical.flatMap((iface) => {
    const local = at(iface);
    return [
      tcp("out", iface, local.v4, a.lanHost, 631),
      tcp("out", iface, local.v4, a.router, 80),
      tcp("out", iface, local.v4, "10.20.30.40", 445),
      udp("out", iface, local.v4, "172.16.5.5", 5000),
      tcp("out", iface, local.global, "fd00::20", 22),
      tcp("out", iface, local.linkLocal, LAN_PEER_V6, 80),
      tcp("in", iface, a.lanHost, local.v4, 22),
      tcp("in", iface, "fd00::20", local.global, 22),
      tcp("out", iface, local.v4, "100.64.0.1", 443),
    ];
  });

  const exceptions = view.exceptions.flatMap((exception) =>
    exception.addresses.slice(0, 3).flatMap((cidr) =>
      [primary, "en7"].flatMap((iface) => {
        const local = at(iface);
        const source = cidr.family === "inet6" ? local.global : local.v4;
        const port = exception.ports[0]?.from ?? 443;
        const protocols =
          exception.protocol === "any"
            ? exception.ports.length > 0
              ? ["tcp", "udp"]
              : ["tcp", "udp", "icmp"]
            : [exception.protocol];
        const packets = protocols.map((proto) =>
          proto === "icmp"
            ? icmp("out", iface, source, cidr.address, cidr.family === "inet6" ? 128 : 8)
            : (proto === "tcp" ? tcp : udp)("out", iface, source, cidr.address, port),
        );
        if (exception.protocol !== "any")
          packets.push((exception.protocol === "tcp" ? udp : tcp)("out", iface, source, cidr.address, port));
        if (exception.ports.length > 0) {
          const highest = Math.max(...exception.ports.map((r) => r.to));
          const lowest = Math.min(...exception.ports.map((r) => r.from));
          const outsidePort = highest < 65535 ? highest + 1 : lowest - 1;
          if (outsidePort >= 1 && !DNS_PORTS.includes(outsidePort))
            packets.push((protocols[0] === "udp" ? udp : tcp)("out", iface, source, cidr.address, outsidePort));
        }
        packets.push(tcp("in", iface, cidr.address, source, 22));
        return packets;
      }),
    ),
  );

  const airdrop = sets.peerToPeer.flatMap((iface) => {
    const local = at(iface);
    return [
      tcp("out", iface, local.linkLocal, LAN_PEER_V6, 8770),
      udp("out", iface, local.linkLocal, "ff02::fb", 5353, 5353),
      tcp("in", iface, LAN_PEER_V6, local.linkLocal, 8770),
      ...(a.publicV6
        ? [tcp("out", iface, local.global, a.publicV6, 443), tcp("in", iface, a.publicV6, local.global, 8770)]
        : []),
      ...(a.publicV4 ? [tcp("out", iface, local.v4, a.publicV4, 443)] : []),
    ];
  });

  // What a hostile network can send or lure out: spoofed server packets, the plumbing as a covert path, a
  // tunnel connection pushed out of the physical link after the tunnel went away.
  const attacker = reachable.flatMap((iface) => {
    const local = at(iface);
    const packets: ProbePacket[] = [];
    for (const endpoint of view.endpoints) {
      const v6 = familyOf(endpoint.address) === "inet6";
      const mine = v6 ? local.global : local.v4;
      const serverPort = endpoint.port ?? 51820;
      packets.push(
        tcp("in", iface, endpoint.address, mine, 22, serverPort),
        udp("in", iface, endpoint.address, mine, 5353, serverPort),
        udp("in", iface, endpoint.address, mine, EPHEMERAL + 7, serverPort),
        tcp("in", iface, endpoint.address, mine, 443, EPHEMERAL, "A"),
      );
      if (endpoint.port !== undefined || endpoint.protocol === "ikev2") {
        packets.push(
          tcp("out", iface, mine, endpoint.address, 22),
          udp("out", iface, mine, endpoint.address, 9999),
          icmp("out", iface, mine, endpoint.address, v6 ? 128 : 8),
        );
      }
    }
    packets.push(
      udp("out", iface, local.v4, "10.1.2.3", 67, 68),
      udp("out", iface, local.v4, "192.168.77.1", 67, 68),
      udp("out", iface, "0.0.0.0", a.publicV4 ?? "203.0.113.50", 67, 68),
      udp("out", iface, local.linkLocal, "ff05::1:3", 547, 546),
      udp("out", iface, local.global, a.publicV6 ?? "2001:db8:ffff::50", 547, 546),
      icmp("out", iface, local.global, a.publicV6 ?? "2001:db8:ffff::50", 135),
      udp("in", iface, a.publicV4 ?? "203.0.113.50", local.v4, 5353, 67),
    );
    for (const name of view.tunnels) {
      const tunnelV4 = network.tunnels.find((t) => t.name === name)?.ipv4[0] ?? "10.8.0.2";
      const target = a.publicV4 ?? "203.0.113.50";
      const opener = tcp("out", name, tunnelV4, target, 443);
      packets.push(
        following(tcp("out", iface, tunnelV4, target, 443, EPHEMERAL, "A"), opener),
        following(tcp("in", iface, target, tunnelV4, EPHEMERAL, 443, "A"), opener),
      );
    }
    return packets;
  });

  const blocking =
    view.tunnels.length === 0
      ? [...new Set([...outside, "utun1", "utun2", "utun3", "utun4", "utun5"])].flatMap((iface) =>
          outsideProbes(iface, at(iface), a).filter((p) => p.direction === "out"),
        )
      : [];

  const captive = view.captivePortal
    ? sets.physical.flatMap((iface) => {
        const local = at(iface);
        return [
          udp("out", iface, local.v4, a.router, 53),
          tcp("out", iface, local.v4, a.publicV4 ?? "203.0.113.50", 80),
          tcp("out", iface, local.v4, a.publicV4 ?? "203.0.113.50", 443),
          tcp("out", iface, local.v4, a.publicV4 ?? "203.0.113.50", 22),
        ];
      })
    : [];

  return [
    { id: "loopback", description: "loopback (lo0) passes", packets: loopback },
    {
      id: "tunnel",
      description: `traffic inside the VPN tunnel passes (IPv4 and IPv6)${view.tunnels.length ? ` on ${view.tunnels.join(", ")}` : ""}`,
      packets: tunnel,
    },
    {
      id: "outside-blocked",
      description:
        "outside the tunnel (Wi-Fi/Ethernet, a new USB adapter, bridge100, awdl0, other tunnels): out refused with an answer, in dropped",
      packets: outside.flatMap((iface) => outsideProbes(iface, at(iface), a)),
    },
    {
      id: "vpn-endpoints",
      description: "the VPN servers can be reached outside the tunnel (only on their port/protocol when known)",
      packets: endpoints,
    },
    {
      id: "link-plumbing",
      description: "DHCPv4, DHCPv6 and IPv6 neighbour discovery pass (to rejoin Wi-Fi), and nothing more",
      packets: plumbing,
    },
    {
      id: "dns",
      description: "DNS (53, 853) outside the tunnel goes only to the resolvers named in the settings",
      packets: dns,
    },
    {
      id: "discovery",
      description: `Bonjour (mDNS) ${view.allowDiscovery ? "passes" : "is blocked"}; other multicast is blocked`,
      packets: discovery,
    },
    { id: "lan", description: `the local network ${view.allowLan ? "passes" : "is blocked"}`, packets: lan },
    {
      id: "exceptions",
      description: "exceptions pass only when active here, and only on their protocol/port",
      packets: exceptions,
    },
    {
      id: "airdrop",
      description: `AirDrop/Continuity ${view.allowAirDrop ? "passes link-local only" : "is blocked"} on awdl0/llw0`,
      packets: airdrop,
    },
    {
      id: "attacker",
      description:
        "what a hostile network can craft stays out: spoofed VPN-server packets, other ports to the server, DHCP and ND to routed addresses, a tunnel connection moved onto the physical link",
      packets: attacker,
    },
    {
      id: "blocking-mode",
      description: "with no tunnel, nothing but plumbing and the VPN servers leaves",
      packets: blocking,
    },
    {
      id: "captive-portal",
      description: "while the captive-portal window is open, DNS and web ports pass",
      packets: captive,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Judging

function describeActual(evaluation: Evaluation & { viaState?: true }): string {
  if (evaluation.viaState) {
    const bound = evaluation.rule?.stateBinding === "if-bound" ? "" : ", a floating state";
    return `pass on the state of line ${evaluation.rule?.line}${bound}`;
  }
  if (evaluation.action === "pass") return evaluation.rule ? "pass" : "pass (no rule matched)";
  if (!evaluation.quick) return "block, but not quick (a later rule in the main ruleset can still pass it)";
  return evaluation.returns ? "block (return)" : "block (drop)";
}

function judge(expected: Expectation, evaluation: Evaluation): { ok: boolean; leak: boolean } {
  if (expected === "pass") return { ok: evaluation.action === "pass", leak: false };
  const blocked = evaluation.action === "block" && evaluation.quick;
  if (!blocked) return { ok: false, leak: true };
  return { ok: expected === "block" || evaluation.returns, leak: false };
}

const EXPECTATION_WORDS: Record<Expectation, string> = {
  pass: "pass",
  block: "block",
  "block-return": "block (return)",
};

export function describeExpectation(expected: Expectation): string {
  return EXPECTATION_WORDS[expected];
}

export interface PolicyProbe {
  clause: ClauseId;
  packet: ProbePacket;
  description: string;
  expected: Expectation;
  because: string;
}

/** The packet matrix for this policy and network, each packet with the verdict the policy wants. */
export function policyProbes(input: VerifyInput): {
  clauses: { id: ClauseId; description: string }[];
  probes: PolicyProbe[];
} {
  const view = viewPolicy(input);
  const specs = buildClauses(input, view);
  const probes: PolicyProbe[] = [];
  for (const spec of specs) {
    const seen = new Set<string>();
    for (const packet of spec.packets) {
      const description = describeProbe(packet);
      if (seen.has(description)) continue;
      seen.add(description);
      const intended = intendedForProbe(packet, view);
      // Only the VPN's own connection is promised to survive without state; other allowed traffic in the
      // middle of a connection rides on the state table, which the evaluator does not model.
      const midConnection = !packet.after && packet.protocol === "tcp" && (packet.tcpFlags ?? "S") !== "S";
      if (midConnection && intended.expected === "pass" && !view.endpoints.some((e) => endpointCovers(e, packet)))
        continue;
      probes.push({ clause: spec.id, packet, description, ...intended });
    }
  }
  return { clauses: specs.map(({ id, description }) => ({ id, description })), probes };
}

/** Checks rule text (ours or `pfctl -sr` output) against the kill-switch policy for this network. */
export function verifyRuleset(text: string, input: VerifyInput): VerificationResult {
  const parsed = parsePfRules(text);
  const lint = lintRuleset(text, parsed);
  const evaluate = createEvaluator(parsed);
  const { clauses: specs, probes } = policyProbes(input);

  const clauses = specs.map((spec): ClauseResult => {
    const failures: ClauseFailure[] = [];
    const mine = probes.filter((probe) => probe.clause === spec.id);
    for (const { packet, description, expected, because } of mine) {
      const evaluation = evaluateProbe(packet, evaluate);
      const verdict = judge(expected, evaluation);
      if (verdict.ok) continue;
      failures.push({
        packet,
        description,
        expected,
        because,
        actual: describeActual(evaluation),
        leak: verdict.leak,
        ...(evaluation.rule ? { rule: { line: evaluation.rule.line, text: evaluation.rule.text } } : {}),
      });
    }
    return { ...spec, passed: failures.length === 0, checked: mine.length, failures };
  });

  const passed =
    parsed.errors.length === 0 && !lint.some((f) => f.severity === "error") && clauses.every((c) => c.passed);
  return { passed, clauses, lint, parseErrors: parsed.errors };
}

/** One line per failing clause: `dns: out en0 ... expected block (return), got pass (line 31: ...)`. */
export function describeFailure(failure: ClauseFailure): string {
  const rule = failure.rule ? ` by line ${failure.rule.line}: ${failure.rule.text}` : "";
  return `${failure.description}: expected ${describeExpectation(failure.expected)} (${failure.because}), got ${failure.actual}${rule}`;
}

/** For `preview`: whether the ruleset keeps the promise, and each problem in one line. */
export function verificationSummary(result: VerificationResult): { passed: boolean; failures: string[] } {
  const failures = [
    ...result.parseErrors.map((e) => `line ${e.line}: cannot read "${e.text}": ${e.reason}`),
    ...result.lint
      .filter((f) => f.severity === "error")
      .map((f) => (f.line > 0 ? `line ${f.line}: ${f.message}` : f.message)),
    ...result.clauses
      .filter((c) => !c.passed)
      .map((c) => {
        const more = c.failures.length > 1 ? ` (and ${c.failures.length - 1} more)` : "";
        return `${c.id}: ${describeFailure(c.failures[0])}${more}`;
      }),
  ];
  return { passed: result.passed, failures };
}
