/**
 * The leak policy: which packets may leave or enter the Mac while the kill switch is on.
 *
 * Everything is decided here, in one pure function, so it can be read, tested and verified in one place.
 * Every rule is `quick`: inside an anchor a quick match ends evaluation of the whole ruleset, so no
 * later rule (Apple's or anyone's) can re-open what we block. The final block catches every interface,
 * including ones that appear after the rules were built (a new USB adapter).
 *
 * The network may be run by an adversary, so every pass names the narrowest thing it needs, and only
 * packets going out create state. Passes for the tunnel and the VPN servers keep `(if-bound)` states: pf's
 * states float by default, so a retransmit of a tunnel connection leaving en0 after the tunnel went away
 * would match the old state and pass without any rule being looked at. `flags any` on every pass that can
 * see TCP means a killed state is re-created by the flow's next packet while it is still allowed.
 */
import { type Cidr, cidrContains, familyOf, formatCidr, parseCidr, sameAddress } from "../address/ip";
import { isLocalNetwork } from "../address/local-space";
import {
  type Endpoint,
  type KillSwitchPolicy,
  type ResolvedException,
  hasTransport,
  isExceptionActive,
} from "../policy/policy";
import type { NetworkInterface, NetworkState, ServerCandidate } from "../network/state";

/** Ports DNS is spoken on outside a tunnel: plain DNS and DNS over TLS. */
const DNS_PORTS = "{ 53, 853 }";
/** ICMPv6 the link needs: router/neighbour solicitation and advertisement, redirect (133-137), MLDv2 report (143). */
const NEIGHBOUR_DISCOVERY_TYPES = [133, 134, 135, 136, 137, 143];
/** Interfaces macOS uses for AirDrop, Sidecar and Continuity: link-local only. */
export const PEER_TO_PEER_INTERFACES = ["awdl0", "llw0"];
/** The port AirDrop's receiver (sharingd) listens on over awdl0. */
export const AIRDROP_PORT = 8770;
/**
 * Where Continuity (Handoff, Universal Clipboard and Control, Sidecar) listens: rapportd and its peers take ports
 * from the dynamic range and announce them over Bonjour; Apple documents no fixed one.
 */
export const CONTINUITY_PORTS = { from: 49152, to: 65535 };
/** ICMPv6 a nearby device sends to reach this Mac on a peer-to-peer link: neighbour solicitation and advertisement. */
export const PEER_TO_PEER_NEIGHBOUR_TYPES = [135, 136];

export interface AnchorInput {
  policy: KillSwitchPolicy;
  network: NetworkState;
  now: Date;
  /** While set and in the future, DNS and web ports are open outside the tunnel so a captive portal can be signed in to. */
  captivePortalUntil?: Date | null;
  /**
   * VPN servers an earlier Enable proved, or the user confirmed (recorded in state.json, with the evidence):
   * passed while none is seen now, so with the VPN down (and after a restart) it can still reach its server;
   * an answer also confirms a candidate the routes name. Never what an earlier version took from a route alone.
   */
  rememberedServers?: readonly Endpoint[];
  /**
   * Networks an earlier Enable saw routed into the tunnel (recorded): kept off the local network while no
   * tunnel is up, when the routes no longer show them.
   */
  rememberedTunnelRoutes?: readonly string[];
}

/** What the ruleset lets through, in words and values, for `preview` and the Raycast HUD. */
export interface AnchorSummary {
  tunnels: string[];
  /** Tunnels that are up but not let through: not carrying the default route, not named in the settings. */
  untrustedTunnels: string[];
  /** The physical interfaces the link plumbing (DHCP, neighbour discovery) is passed on. */
  links: string[];
  endpoints: Endpoint[];
  dnsResolvers: string[];
  exceptions: ResolvedException[];
  /** Enabled exceptions whose time is up: no longer passed, listed so nobody wonders where they went. */
  expiredExceptions: ResolvedException[];
  allowLan: boolean;
  /** Networks routed into the tunnel: never passed as the local network (`routesIntoTunnel`). */
  routedIntoTunnel: string[];
  /** The links' attached networks as Allow Local Network takes them (`localNetworkOf`), all links together. */
  localNetwork: LocalNetworkOfLink;
  allowDiscovery: boolean;
  peerToPeer: string[];
  captivePortal: boolean;
  blockingMode: boolean;
}

/**
 * The tunnels to let through (named exactly: pf has no interface families): the user's override alone, else
 * the tunnel that carries the default route (or the 0/1 + 128.0/1 split) when it is proved to be the VPN
 * (network/vpn-tunnel.ts), and those named in the settings.
 * Any other tunnel is some app's (Tailscale, a second VPN) and is not trusted to be the VPN.
 */
export function tunnelsToAllow(
  policy: Pick<KillSwitchPolicy, "tunnelOverride" | "trustedTunnels">,
  network: NetworkState,
): string[] {
  if (policy.tunnelOverride) return [policy.tunnelOverride];
  const up = network.tunnels.map((tunnel) => tunnel.name);
  const named = policy.trustedTunnels.filter((name) => up.includes(name));
  // The tunnel carrying the Internet comes first whether proved or named, as the root script lists it.
  const carrier = named.find((name) => name === network.defaultInterface);
  const first = network.vpnInterface ?? carrier;
  return [...new Set([...(first ? [first] : []), ...named])];
}

export function untrustedTunnels(
  policy: Pick<KillSwitchPolicy, "tunnelOverride" | "trustedTunnels">,
  network: NetworkState,
): string[] {
  const trusted = tunnelsToAllow(policy, network);
  return network.tunnels.map((tunnel) => tunnel.name).filter((name) => !trusted.includes(name));
}

/** An IPsec tunnel is the evidence that a server seen in the routes speaks IKEv2. */
const isIpsecTunnel = (name: string) => /^ipsec\d+$/.test(name);

/**
 * Configured VPN servers, then those proved on the Mac (a VPN program owns a connection to each) with a candidate
 * the user confirmed (a route or nwi names it; `remembered` holds the answer) or, when none is seen now, those an
 * earlier Enable proved or the user confirmed; without duplicates. A proved server takes its protocol and port
 * from the VPN's connection to it, else from what the user answered for it. A candidate nobody confirmed is
 * `unconfirmed`: never passed, whatever the routes say.
 */
export function endpointsByOrigin(
  policy: KillSwitchPolicy,
  network: NetworkState,
  remembered: readonly Endpoint[] = [],
): { configured: Endpoint[]; detected: Endpoint[]; unconfirmed: ServerCandidate[] } {
  const seen = new Set<string>();
  const fresh = (endpoint: Endpoint) => {
    const key = `${endpoint.address}|${endpoint.port ?? ""}|${endpoint.protocol ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const ikev2 = network.tunnels.some((tunnel) => isIpsecTunnel(tunnel.name));
  // A server the settings name is passed on their protocol and port only, even when the routes show it too.
  const named = new Set(policy.endpoints.map((endpoint) => endpoint.address));
  const answersFor = (address: string) =>
    remembered.filter((e) => sameAddress(e.address, address) && hasTransport(e)).map((e) => ({ ...e, address }));
  // How the VPN speaks to a proved server: IKEv2 with an IPsec tunnel up, else its open connections.
  const proved = network.endpoints
    .filter((address) => !named.has(address))
    .flatMap((address): Endpoint[] => {
      if (ikev2) return [{ address, protocol: "ikev2" }];
      const connections = (network.serverConnections ?? []).filter((c) => c.address === address);
      if (connections.length > 0) return connections.map(({ protocol, port }) => ({ address, protocol, port }));
      const answered = answersFor(address);
      return answered.length > 0 ? answered : [{ address }];
    });
  // A route names any address the network likes: only the user's recorded word makes it a server.
  const candidates = (network.serverCandidates ?? []).filter((candidate) => !named.has(candidate.address));
  const confirmed = candidates.flatMap((candidate) => answersFor(candidate.address));
  const unconfirmed = candidates.filter(
    (candidate) => !confirmed.some((e) => sameAddress(e.address, candidate.address)),
  );
  const current = [...proved, ...confirmed];
  const detected = current.length > 0 ? current : remembered.filter((endpoint) => !named.has(endpoint.address));
  return { configured: policy.endpoints.filter(fresh), detected: detected.filter(fresh), unconfirmed };
}

export function endpointsToAllow(
  policy: KillSwitchPolicy,
  network: NetworkState,
  remembered: readonly Endpoint[] = [],
): Endpoint[] {
  const { configured, detected } = endpointsByOrigin(policy, network, remembered);
  return [...configured, ...detected];
}

/**
 * The networks routed into the tunnels let through (a split tunnel's corporate 10.x), or while none of them is
 * up those an earlier Enable saw: the local network never passes them outside the tunnel, so with the VPN
 * down their traffic does not go to whoever runs the network the Mac is on.
 */
export function routesIntoTunnel(input: Pick<AnchorInput, "policy" | "network" | "rememberedTunnelRoutes">): string[] {
  const { network } = input;
  const up = tunnelsToAllow(input.policy, network).filter((name) => network.tunnels.some((t) => t.name === name));
  const routes =
    up.length > 0 && network.tunnelRoutes !== undefined
      ? network.tunnelRoutes.filter((route) => up.includes(route.tunnel)).map((route) => route.network)
      : (input.rememberedTunnelRoutes ?? []);
  return [...new Set(routes)];
}

/** The routes that lie inside one attached network (longer prefix): those the kernel sends to the tunnel. */
function routesInside(subnet: Cidr, routes: readonly Cidr[]): Cidr[] {
  return routes.filter(
    (route) => route.family === subnet.family && route.prefix > subnet.prefix && cidrContains(subnet, route.address),
  );
}

/** A route that holds the whole attached network (or is it): that network is the VPN's, not this link's. */
function routeHolding(subnet: Cidr, routes: readonly Cidr[]): Cidr | undefined {
  return routes.find(
    (route) => route.family === subnet.family && route.prefix <= subnet.prefix && cidrContains(route, subnet.address),
  );
}

/** What Allow Local Network makes of the networks one link is attached to. */
export interface LocalNetworkOfLink {
  /** Passed both ways, but for the parts the VPN routes into the tunnel (`carvedOut`), refused first. */
  passed: { network: string; carvedOut: string[] }[];
  /** Public address space the network calls local: never passed. */
  notLocal: string[];
  /** Held by a range the VPN routes into the tunnel: not passed at all. */
  routedIntoTunnel: { network: string; route: string }[];
}

/**
 * The local network of one link: only attached networks that lie in private, link-local or unique-local space
 * (the netmask is the network's word; the address space is not), and none that a range the VPN routes into
 * the tunnel overlaps, whichever holds the other.
 */
export function localNetworkOf(subnets: readonly string[], routes: readonly string[]): LocalNetworkOfLink {
  const tunnelRoutes = routes.flatMap((route) => parseCidr(route) ?? []);
  const plan: LocalNetworkOfLink = { passed: [], notLocal: [], routedIntoTunnel: [] };
  for (const network of subnets) {
    const subnet = parseCidr(network);
    if (!subnet) continue;
    const holder = routeHolding(subnet, tunnelRoutes);
    if (!isLocalNetwork(subnet)) plan.notLocal.push(network);
    else if (holder) plan.routedIntoTunnel.push({ network, route: formatCidr(holder) });
    else plan.passed.push({ network, carvedOut: routesInside(subnet, tunnelRoutes).map(formatCidr) });
  }
  return plan;
}

export function summarizeAnchor(input: AnchorInput): AnchorSummary {
  const { policy, network, now } = input;
  const tunnels = tunnelsToAllow(policy, network);
  const routedIntoTunnel = routesIntoTunnel(input);
  return {
    tunnels,
    untrustedTunnels: untrustedTunnels(policy, network),
    links: network.physical.map((link) => link.name),
    endpoints: endpointsToAllow(policy, network, input.rememberedServers),
    dnsResolvers: policy.dnsResolvers,
    exceptions: policy.exceptions.filter((e) => isExceptionActive(e, network.identity, now)),
    expiredExceptions: policy.exceptions.filter(
      (e) => e.enabled && e.expiresAt !== null && new Date(e.expiresAt).getTime() <= now.getTime(),
    ),
    allowLan: policy.allowLan,
    routedIntoTunnel,
    localNetwork: localNetworkOf(
      [...new Set(network.physical.flatMap((link) => link.subnets ?? []))],
      routedIntoTunnel,
    ),
    allowDiscovery: policy.allowDiscovery,
    peerToPeer: policy.allowAirDrop ? PEER_TO_PEER_INTERFACES : [],
    captivePortal: isCaptivePortalOpen(input),
    blockingMode: tunnels.length === 0,
  };
}

function isCaptivePortalOpen(input: AnchorInput): boolean {
  return !!input.captivePortalUntil && input.captivePortalUntil.getTime() > input.now.getTime();
}

const af = (address: string) => (familyOf(address) === "inet6" ? "inet6" : "inet");
const cidrAf = (cidr: Cidr) => cidr.family;

function portClause(ports: { from: number; to: number }[]): string {
  if (ports.length === 0) return "";
  const items = ports.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}:${p.to}`));
  return items.length === 1 ? ` port ${items[0]}` : ` port { ${items.join(", ")} }`;
}

/** States of the tunnel and the VPN servers stay on the interface they were made on. */
const BOUND_STATE = "keep state (if-bound)";

function endpointRules(endpoint: Endpoint): string[] {
  const family = af(endpoint.address);
  const host = endpoint.address;
  // Out only: the server's answers ride on the state. A connection that predates the rules is adopted by
  // `flags any` on its next outgoing packet; an inbound pass would let anyone spoofing the server's address
  // reach every local port.
  if (endpoint.protocol === "ikev2") {
    return [
      `pass out quick ${family} proto udp from any to ${host} port { 500, 4500 } ${BOUND_STATE}`,
      `pass out quick ${family} proto esp from any to ${host} ${BOUND_STATE}`,
    ];
  }
  const transports = endpoint.protocol ? [endpoint.protocol] : endpoint.port !== undefined ? ["tcp", "udp"] : [];
  if (endpoint.port !== undefined) {
    return transports.map(
      (p) =>
        `pass out quick ${family} proto ${p} from any to ${host} port ${endpoint.port}${p === "tcp" ? " flags any" : ""} ${BOUND_STATE}`,
    );
  }
  // Port not known: any protocol to the server, out only.
  return [`pass out quick ${family} from any to ${host} flags any ${BOUND_STATE}`];
}

/** ICMPv6 the link needs out: router/neighbour solicitation and advertisement, redirect, MLDv2 report. */
const NEIGHBOUR_DISCOVERY_OUT = NEIGHBOUR_DISCOVERY_TYPES;
/** And in: the same but MLDv2 reports (other hosts' business), plus MLD queries (130). */
const NEIGHBOUR_DISCOVERY_IN = [130, 133, 134, 135, 136, 137];

/**
 * What it takes to join a network on one physical link. DHCPv4 goes to the broadcast address, and to the
 * lease's server only when it is on the link (renewals are unicast to it); DHCPv6 and neighbour discovery
 * only to link-local and link-scope multicast. None of it can carry data to a routed address.
 */
function linkPlumbingRules(link: string, dhcpServer: string | null | undefined, template: boolean): AnchorLine[] {
  const each = tagged(template ? { kind: "each-link" } : null);
  const renewal = (server: string) =>
    `pass out quick on ${link} inet proto udp from any port 68 to ${server} port 67 keep state`;
  const toServer: AnchorLine[] = template
    ? [{ text: renewal(DHCP_SERVER_PLACEHOLDER), when: { kind: "each-dhcp" } }]
    : dhcpServer
      ? [plain(renewal(dhcpServer))]
      : [];
  return [
    each(`pass out quick on ${link} inet proto udp from any port 68 to 255.255.255.255 port 67 keep state`),
    ...toServer,
    ...linkPlumbingTail(link).map(each),
  ];
}

function linkPlumbingTail(link: string): string[] {
  return [
    `pass in quick on ${link} inet proto udp from any port 67 to any port 68 no state`,
    `pass out quick on ${link} inet6 proto udp from fe80::/10 port 546 to ff02::1:2 port 547 keep state`,
    `pass in quick on ${link} inet6 proto udp from fe80::/10 port 547 to fe80::/10 port 546 no state`,
    `pass out quick on ${link} inet6 proto icmp6 from any to { fe80::/10, ff02::/16 } icmp6-type { ${NEIGHBOUR_DISCOVERY_OUT.join(", ")} } no state`,
    `pass in quick on ${link} inet6 proto icmp6 from any to any icmp6-type { ${NEIGHBOUR_DISCOVERY_IN.join(", ")} } no state`,
  ];
}

const lanRules = (link: string, family: string, network: string) => [
  `pass out quick on ${link} ${family} from any to ${network} flags any keep state`,
  `pass in quick on ${link} ${family} from ${network} to any flags any keep state`,
];

/** A part of the link's network that is routed into the tunnel: refused on the link, both ways. */
const tunnelRouteRules = (link: string, route: string) => {
  const family = route.includes(":") ? "inet6" : "inet";
  return [
    `block return out log (user) quick on ${link} ${family} from any to ${route}`,
    `block drop in log (user) quick on ${link} ${family} from ${route} to any`,
  ];
};

/**
 * The private networks one link is attached to, and link-local; in only from them. A part of them the VPN
 * routes into the tunnel is refused first, and one the VPN's routes hold is left out: it is the VPN's network.
 * In a template the watchdog does the same with the networks of the moment (`fill_template`).
 */
function localNetworkRules(link: NetworkInterface, routes: readonly string[], template: boolean): AnchorLine[] {
  const linkLocal = ["169.254.0.0/16", "fe80::/10"].flatMap((network) =>
    lanRules(link.name, network.includes(":") ? "inet6" : "inet", network),
  );
  if (template) {
    return [
      ...routes.flatMap((route) =>
        tunnelRouteRules(link.name, route).map((text) => ({ text, when: { kind: "subnet-route" as const, route } })),
      ),
      ...lanRules(link.name, AF_PLACEHOLDER, SUBNET_PLACEHOLDER).map(tagged({ kind: "each-subnet" })),
      ...linkLocal.map(tagged({ kind: "each-link" })),
    ];
  }
  const attached = localNetworkOf(link.subnets ?? [], routes).passed.flatMap(({ network, carvedOut }) => [
    ...carvedOut.flatMap((route) => tunnelRouteRules(link.name, route)),
    ...lanRules(link.name, network.includes(":") ? "inet6" : "inet", network),
  ]);
  return [...attached, ...linkLocal].map(plain);
}

/**
 * AirDrop and Continuity on one peer-to-peer link. Out to link-local and link-scope multicast, keeping state. In, only
 * what a nearby device starts: Bonjour queries and answers, neighbour discovery, a connection to AirDrop's receiver or
 * to a Continuity port. No state: the Mac's answers go out by the pass out, which makes it, so nothing coming in does.
 */
function peerToPeerRules(name: string): string[] {
  const continuity = `${CONTINUITY_PORTS.from}:${CONTINUITY_PORTS.to}`;
  return [
    `pass out quick on ${name} inet6 from any to { fe80::/10, ff02::/16 } flags any keep state`,
    `pass in quick on ${name} inet6 proto udp from fe80::/10 to { fe80::/10, ff02::fb } port 5353 no state`,
    `pass in quick on ${name} inet6 proto icmp6 from fe80::/10 to { fe80::/10, ff02::/16 } icmp6-type { ${PEER_TO_PEER_NEIGHBOUR_TYPES.join(", ")} } no state`,
    `pass in quick on ${name} inet6 proto tcp from fe80::/10 to fe80::/10 port { ${AIRDROP_PORT}, ${continuity} } no state`,
  ];
}

/**
 * An exception for all networks passes wherever the route leads. One for a network passes only on that
 * network's link (`link`: none known, no pass) and only to private, link-local and unique-local addresses:
 * a copy of that network gets nothing routed out of it.
 */
function exceptionRules(exception: ResolvedException, link: string | null): string[] {
  const scoped = exception.scope !== "all";
  if (scoped && link === null) return [];
  const addresses = scoped ? exception.addresses.filter(isLocalNetwork) : exception.addresses;
  const on = scoped ? ` on ${link}` : "";
  const protocols =
    exception.protocol === "any" ? (exception.ports.length > 0 ? ["tcp", "udp"] : [null]) : [exception.protocol];
  return addresses.flatMap((cidr) =>
    protocols.map((p) => {
      const proto = p ? ` proto ${p}` : "";
      const flags = p === "udp" ? "" : " flags any";
      return `pass out quick${on} ${cidrAf(cidr)}${proto} from any to ${formatCidr(cidr)}${portClause(exception.ports)}${flags} keep state`;
    }),
  );
}

/** User text (labels, Wi-Fi names) in a comment: one printable line, so it can never become a rule. */
export function commentText(text: string): string {
  return text
    .replace(/[^\x20-\x7e]+/g, " ")
    .trim()
    .slice(0, 120);
}

/** Stand for a tunnel's name, a physical link's, one of its networks, that network's family, the link's DHCP
 * server and the network's own link in a template; the watchdog replaces them. None is a valid interface name
 * or address. */
export const TUNNEL_PLACEHOLDER = "@TUNNEL@";
export const LINK_PLACEHOLDER = "@LINK@";
export const SUBNET_PLACEHOLDER = "@SUBNET@";
export const AF_PLACEHOLDER = "@AF@";
export const DHCP_SERVER_PLACEHOLDER = "@DHCP@";
/** The link of the network a template is for (its router's interface): where its own exceptions pass. */
export const NETWORK_LINK_PLACEHOLDER = "@NETLINK@";

/**
 * When a line of the anchor applies, for the watchdog's templates (the `#@@` marks at the head of
 * killswitch-root.sh): only with no tunnel up, only with one, once per tunnel, until a time, once per
 * physical link, once per network of that link, for each such network that holds a route into the tunnel,
 * when that link has an on-link DHCP server, or on the link of the network the template was chosen for
 * (until a time, when given).
 */
export type LineCondition =
  | { kind: "tunnels-none" }
  | { kind: "tunnels-some" }
  | { kind: "each-tunnel" }
  | { kind: "until"; seconds: number }
  | { kind: "each-link" }
  | { kind: "each-subnet" }
  | { kind: "subnet-route"; route: string }
  | { kind: "each-dhcp" }
  | { kind: "network-link"; seconds: number | null };

export interface AnchorLine {
  text: string;
  when: LineCondition | null;
}

const plain = (text: string): AnchorLine => ({ text, when: null });
const tagged = (when: LineCondition | null) => (text: string) => ({ text, when });

/** A commented block of rules; `when` applies to its comments and to rules given as text, not to tagged ones. */
function section(
  title: string,
  why: string,
  rules: (string | AnchorLine)[],
  when: LineCondition | null = null,
): AnchorLine[] {
  if (rules.length === 0) return [];
  const line = (rule: string | AnchorLine) => (typeof rule === "string" ? { text: rule, when } : rule);
  return [...["", `# ${commentText(title)}`, `# ${why}`].map(tagged(when)), ...rules.map(line)];
}

function describeNetwork(network: NetworkState): string {
  if (!network.identity) return "an unidentified network";
  const label = network.identity.label ? ` (${network.identity.label})` : "";
  return commentText(`network ${network.identity.id}${label}`);
}

/**
 * The anchor as lines, each with what it depends on. With `template`, the lines of the tunnels the watchdog
 * follows are written once with TUNNEL_PLACEHOLDER and marked, and lines that end at a time are marked with
 * it: the watchdog fills them in later. Without, the same lines come out for `input` as it is.
 */
export function buildAnchorLines(
  input: AnchorInput,
  options: { template: boolean } = { template: false },
): AnchorLine[] {
  const summary = summarizeAnchor(input);
  const { policy } = input;
  const follow = options.template && !policy.tunnelOverride;
  const some: LineCondition | null = follow ? { kind: "tunnels-some" } : null;
  const until = (at: Date): LineCondition | null =>
    options.template ? { kind: "until", seconds: Math.floor(at.getTime() / 1000) } : null;
  const tunnels = follow ? [TUNNEL_PLACEHOLDER] : summary.tunnels;
  const servers = endpointsToAllow(policy, input.network, input.rememberedServers);
  // A template is filled in with the links of the moment (the Mac may move from Wi-Fi to Ethernet).
  const links: NetworkInterface[] = options.template
    ? [{ name: LINK_PLACEHOLDER, ipv4: [], ipv6: [] }]
    : input.network.physical;
  const eachLink: LineCondition | null = options.template ? { kind: "each-link" } : null;
  // The router's interface is the network's link; a template leaves it to the watchdog, which found the network there.
  const networkLink = options.template ? NETWORK_LINK_PLACEHOLDER : (input.network.gateway?.interface ?? null);
  const exceptionCondition = (exception: ResolvedException): LineCondition | null => {
    const ends = exception.expiresAt ? new Date(exception.expiresAt) : null;
    if (!options.template || exception.scope === "all") return ends ? until(ends) : null;
    return { kind: "network-link", seconds: ends ? Math.floor(ends.getTime() / 1000) : null };
  };

  const lines: AnchorLine[] = [
    plain("# VPN Kill Switch: no packet leaves this Mac outside the VPN tunnel, except what is passed below."),
    plain(`# Built ${input.now.toISOString()} for ${describeNetwork(input.network)}.`),
  ];
  const blocking = "# No VPN tunnel is up: blocking mode, only link plumbing and the VPN servers can be reached.";
  if (follow) {
    lines.push(
      { text: blocking, when: { kind: "tunnels-none" } },
      { text: `# VPN tunnel: ${TUNNEL_PLACEHOLDER}.`, when: some },
    );
  } else {
    lines.push(plain(summary.blockingMode ? blocking : `# VPN tunnel: ${summary.tunnels.join(", ")}.`));
  }

  lines.push(
    ...section("Loopback", "Local services talk to each other through lo0; nothing there leaves the Mac.", [
      // `flags any`: connections already open when the rules load have no state and must not be cut.
      "pass quick on lo0 all flags any keep state",
    ]),
    ...section(
      "VPN tunnel",
      "Everything sent into the tunnel is protected by the VPN (IPv4 and IPv6); answers ride on the states.",
      tunnels.map((tunnel) =>
        tagged(follow ? { kind: "each-tunnel" } : null)(`pass out quick on ${tunnel} all flags any ${BOUND_STATE}`),
      ),
      some,
    ),
  );
  // Every template passes every server, the no-VPN one too: after a restart the VPN must reach its server.
  lines.push(
    ...section(
      "VPN servers",
      "The tunnel's own packets, out only and on their protocol and port, so the VPN can connect and reconnect.",
      servers.flatMap(endpointRules),
    ),
    ...links.flatMap((link) =>
      section(
        `Link plumbing on ${link.name}`,
        "DHCP and IPv6 neighbour discovery, so the Mac can join or rejoin this network; nothing routed.",
        linkPlumbingRules(link.name, link.dhcpServer, options.template),
        eachLink,
      ),
    ),
  );

  if (summary.captivePortal && input.captivePortalUntil) {
    lines.push(
      ...section(
        `Captive portal window (until ${input.captivePortalUntil.toISOString()})`,
        "Open for a few minutes so a hotel or airport sign-in page can load; closed again by a timer.",
        [
          `pass out quick proto { tcp, udp } from any to any port 53 flags any keep state`,
          `pass out quick proto tcp from any to any port { 80, 443 } flags any keep state`,
        ],
        until(input.captivePortalUntil),
      ),
    );
  }

  lines.push(
    ...section(
      "DNS resolvers allowed outside the tunnel",
      "Only the resolvers named in the settings may be asked directly.",
      policy.dnsResolvers.map(
        (r) => `pass out quick ${af(r)} proto { tcp, udp } from any to ${r} port ${DNS_PORTS} flags any keep state`,
      ),
    ),
    ...section(
      "No other DNS outside the tunnel",
      "Refused before any LAN or exception pass, so names never leak to the router or a hotspot.",
      [`block return out log (user) quick proto { tcp, udp } from any to any port ${DNS_PORTS}`],
    ),
    ...section(
      "Bonjour (mDNS)",
      "Printers, AirPlay and shared Macs on this network announce themselves on the mDNS multicast groups.",
      input.policy.allowDiscovery
        ? [
            "pass out quick inet proto udp from any to 224.0.0.251 port 5353 keep state",
            "pass in quick inet proto udp from any to 224.0.0.251 port 5353 no state",
            "pass out quick inet6 proto udp from any to ff02::fb port 5353 keep state",
            "pass in quick inet6 proto udp from any to ff02::fb port 5353 no state",
          ]
        : [],
    ),
    ...section(
      "AirDrop and Continuity",
      "Link-local IPv6 to nearby Apple devices only. In, without state (answers leave by the pass out, which keeps it): Bonjour to find them, neighbour discovery, AirDrop's receiver and the dynamic ports Continuity listens on.",
      summary.peerToPeer.flatMap(peerToPeerRules),
    ),
    ...links.flatMap((link) =>
      section(
        `Local network on ${link.name}`,
        "Allowed in the settings: only the private networks this link is attached to, and link-local, both ways; never what the VPN routes into the tunnel.",
        summary.allowLan ? localNetworkRules(link, summary.routedIntoTunnel, options.template) : [],
        eachLink,
      ),
    ),
    ...summary.exceptions.flatMap((exception) =>
      section(
        `Exception: ${exception.label || exception.target}${exception.scope === "all" ? " (all networks)" : " (this network)"}`,
        `Allowed by the user${exception.expiresAt ? ` until ${exception.expiresAt}` : ""}${exception.scope === "all" ? "" : ", on this network's link only, to private and link-local addresses only"}.`,
        exceptionRules(exception, networkLink),
        exceptionCondition(exception),
      ),
    ),
    ...section(
      "Everything else",
      "Refused at once going out (apps fail fast instead of hanging), dropped coming in; on every interface, new ones too.",
      ["block return out log (user) quick all", "block drop in log (user) quick all"],
    ),
  );
  return lines;
}

/**
 * The rules the watchdog loads when those it should load are missing, corrupt or refused by pf: loopback, the
 * VPN servers (the settings', and those found in the routes or recorded) and link plumbing, nothing else, so
 * nothing leaks and the VPN can still reach its server. No tunnel passes: the VPN connects, and the status
 * says to enable again.
 */
export function buildFailClosedAnchor(
  input: AnchorInput,
  options: { template: boolean } = { template: false },
): string {
  const { policy, network } = input;
  const lines = buildAnchorLines(
    {
      now: input.now,
      policy: {
        ...policy,
        endpoints: endpointsToAllow(policy, network, input.rememberedServers),
        tunnelOverride: null,
        trustedTunnels: [],
        allowLan: false,
        allowDiscovery: false,
        allowAirDrop: false,
        dnsResolvers: [],
        exceptions: [],
      },
      network: { ...network, tunnels: [], vpnInterface: null, endpoints: [], serverConnections: [] },
    },
    options,
  );
  const head = [
    "# VPN Kill Switch, fail-closed rules: loaded by the watchdog only when the rules it should load are missing,",
    "# corrupt or refused. Only the VPN servers and link plumbing pass; enable the kill switch again to repair.",
  ];
  return `${[...head, ...lines.slice(2).map(templateLine)].join("\n")}\n`;
}

/** A line as a template holds it: marked `#@@ CONDITION:` when it depends on something the watchdog fills in. */
export function templateLine(line: AnchorLine): string {
  if (!line.when) return line.text;
  const { when } = line;
  const kind =
    when.kind === "until"
      ? `until=${when.seconds}`
      : when.kind === "subnet-route"
        ? `subnet-route=${when.route}`
        : when.kind === "network-link"
          ? `network-link${when.seconds === null ? "" : `-until=${when.seconds}`}`
          : when.kind;
  return `#@@ ${kind}:${line.text}`;
}

/** Builds the text of our pf anchor: deterministic for the same input, ends with a newline, `quick` everywhere. */
export function buildKillSwitchAnchor(input: AnchorInput): string {
  return `${buildAnchorLines(input)
    .map((line) => line.text)
    .join("\n")}\n`;
}
