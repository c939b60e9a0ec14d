/**
 * The leak policy: which packets may leave or enter the Mac while the kill switch is on.
 *
 * Everything is decided here, in one pure function, so it can be read, tested and verified in one place.
 * Every rule is `quick`: inside an anchor a quick match ends evaluation of the whole ruleset, so no
 * later rule (Apple's or anyone's) can re-open what we block. The final block catches every interface,
 * including ones that appear after the rules were built (a new USB adapter).
 */
import { type Cidr, cidrContains, familyOf, formatCidr, parseCidr } from "../address/ip";
import { type Endpoint, type KillSwitchPolicy, type ResolvedException, isExceptionActive } from "../policy/policy";
import type { NetworkState } from "../network/state";

/** Ports DNS is spoken on outside a tunnel: plain DNS and DNS over TLS. */
const DNS_PORTS = "{ 53, 853 }";
/** ICMPv6 the link needs: router/neighbour solicitation and advertisement, redirect (133-137), MLDv2 report (143). */
const NEIGHBOUR_DISCOVERY_TYPES = [133, 134, 135, 136, 137, 143];
/** Private, link-local and unique-local ranges (RFC 1918, RFC 3927, RFC 4193, RFC 4291). */
export const LAN_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fe80::/10", "fc00::/7"];
/** Interfaces macOS uses for AirDrop, Sidecar and Continuity: link-local only. */
export const PEER_TO_PEER_INTERFACES = ["awdl0", "llw0"];

export interface AnchorInput {
  policy: KillSwitchPolicy;
  network: NetworkState;
  now: Date;
  /** While set and in the future, DNS and web ports are open outside the tunnel so a captive portal can be signed in to. */
  captivePortalUntil?: Date | null;
}

/** What the ruleset lets through, in words and values, for `preview` and the Raycast HUD. */
export interface AnchorSummary {
  tunnels: string[];
  endpoints: Endpoint[];
  dnsResolvers: string[];
  exceptions: ResolvedException[];
  allowLan: boolean;
  allowDiscovery: boolean;
  peerToPeer: string[];
  captivePortal: boolean;
  blockingMode: boolean;
}

/** The tunnels to let through: the user's override, else every VPN tunnel detected (named exactly: pf has no interface families). */
export function tunnelsToAllow(policy: KillSwitchPolicy, network: NetworkState): string[] {
  if (policy.tunnelOverride) return [policy.tunnelOverride];
  return network.tunnels.map((tunnel) => tunnel.name);
}

/** Configured VPN servers plus those seen in the routing table, without duplicates. */
export function endpointsToAllow(policy: KillSwitchPolicy, network: NetworkState): Endpoint[] {
  const seen = new Set<string>();
  const result: Endpoint[] = [];
  const detected = network.endpoints.map((address): Endpoint => ({ address }));
  for (const endpoint of [...policy.endpoints, ...detected]) {
    const key = `${endpoint.address}|${endpoint.port ?? ""}|${endpoint.protocol ?? ""}`;
    // A detected address with no port is covered by a configured one for the same address only if that one is as wide.
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(endpoint);
  }
  return result;
}

export function summarizeAnchor(input: AnchorInput): AnchorSummary {
  const { policy, network, now } = input;
  const tunnels = tunnelsToAllow(policy, network);
  return {
    tunnels,
    endpoints: endpointsToAllow(policy, network),
    dnsResolvers: policy.dnsResolvers,
    exceptions: policy.exceptions.filter((e) => isExceptionActive(e, network.identity?.id ?? null, now)),
    allowLan: policy.allowLan,
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

/** DHCP requests go to the broadcast address, or on renewal to the server: local in practice, the gateway otherwise. */
function dhcpServerList(network: NetworkState): string {
  const targets = ["255.255.255.255", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"];
  const gateway = network.gateway?.ipv4;
  const local = gateway ? targets.slice(1).some((range) => cidrContains(parseCidr(range) as Cidr, gateway)) : true;
  if (gateway && !local) targets.push(gateway);
  return `{ ${targets.join(", ")} }`;
}

function endpointRules(endpoint: Endpoint): string[] {
  const family = af(endpoint.address);
  const host = endpoint.address;
  if (endpoint.protocol && endpoint.port !== undefined) {
    const p = endpoint.protocol;
    // `flags any` and a stateless inbound pass keep a VPN connection that predates the rules alive.
    const flags = p === "tcp" ? " flags any" : "";
    return [
      `pass out quick ${family} proto ${p} from any to ${host} port ${endpoint.port}${flags} keep state`,
      `pass in quick ${family} proto ${p} from ${host} port ${endpoint.port} to any no state`,
    ];
  }
  if (endpoint.port !== undefined) {
    return ["tcp", "udp"].flatMap((p) => [
      `pass out quick ${family} proto ${p} from any to ${host} port ${endpoint.port}${p === "tcp" ? " flags any" : ""} keep state`,
      `pass in quick ${family} proto ${p} from ${host} port ${endpoint.port} to any no state`,
    ]);
  }
  // No port known: any protocol to the server (covers IKEv2's udp 500/4500 and ESP).
  return [
    `pass out quick ${family} from any to ${host} flags any keep state`,
    `pass in quick ${family} from ${host} to any no state`,
  ];
}

function exceptionRules(exception: ResolvedException): string[] {
  const protocols =
    exception.protocol === "any" ? (exception.ports.length > 0 ? ["tcp", "udp"] : [null]) : [exception.protocol];
  return exception.addresses.flatMap((cidr) =>
    protocols.map((p) => {
      const proto = p ? ` proto ${p}` : "";
      return `pass out quick ${cidrAf(cidr)}${proto} from any to ${formatCidr(cidr)}${portClause(exception.ports)} keep state`;
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

function section(title: string, why: string, rules: string[]): string[] {
  if (rules.length === 0) return [];
  return ["", `# ${commentText(title)}`, `# ${why}`, ...rules];
}

function describeNetwork(network: NetworkState): string {
  if (!network.identity) return "an unidentified network";
  const label = network.identity.label ? ` (${network.identity.label})` : "";
  return commentText(`network ${network.identity.id}${label}`);
}

/** Builds the text of our pf anchor: deterministic for the same input, ends with a newline, `quick` everywhere. */
export function buildKillSwitchAnchor(input: AnchorInput): string {
  const summary = summarizeAnchor(input);
  const { policy } = input;
  const lines: string[] = [
    "# VPN Kill Switch: no packet leaves this Mac outside the VPN tunnel, except what is passed below.",
    `# Built ${input.now.toISOString()} for ${describeNetwork(input.network)}.`,
    summary.blockingMode
      ? "# No VPN tunnel is up: blocking mode, only link plumbing and the VPN servers can be reached."
      : `# VPN tunnel: ${summary.tunnels.join(", ")}.`,
  ];

  lines.push(
    ...section("Loopback", "Local services talk to each other through lo0; nothing there leaves the Mac.", [
      // `flags any`: connections already open when the rules load have no state and must not be cut.
      "pass quick on lo0 all flags any keep state",
    ]),
    ...section(
      "VPN tunnel",
      "Everything inside the tunnel is protected by the VPN (IPv4 and IPv6).",
      summary.tunnels.map((tunnel) => `pass quick on ${tunnel} all flags any keep state`),
    ),
    ...section(
      "VPN servers",
      "The tunnel's own packets, so the VPN can connect and reconnect (also a connection older than these rules).",
      summary.endpoints.flatMap(endpointRules),
    ),
    ...section("DHCP", "So the Mac can join or rejoin a network (after sleep, on a Wi-Fi change); servers are local.", [
      `pass out quick inet proto udp from any port 68 to ${dhcpServerList(input.network)} port 67 keep state`,
      "pass in quick inet proto udp from any port 67 to any port 68 no state",
      "pass out quick inet6 proto udp from fe80::/10 port 546 to { ff02::1:2, ff05::1:3 } port 547 keep state",
      "pass in quick inet6 proto udp from fe80::/10 port 547 to fe80::/10 port 546 no state",
    ]),
    ...section(
      "IPv6 neighbour discovery",
      "Router and neighbour discovery, sent only to link-local and link-scope multicast: IPv6 cannot work without them.",
      [
        `pass out quick inet6 proto icmp6 from any to { fe80::/10, ff02::/16 } icmp6-type { ${NEIGHBOUR_DISCOVERY_TYPES.join(", ")} } no state`,
        `pass in quick inet6 proto icmp6 from any to any icmp6-type { ${NEIGHBOUR_DISCOVERY_TYPES.join(", ")} } no state`,
      ],
    ),
  );

  if (summary.captivePortal) {
    lines.push(
      ...section(
        `Captive portal window (until ${input.captivePortalUntil?.toISOString()})`,
        "Open for a few minutes so a hotel or airport sign-in page can load; closed again by a timer.",
        [
          `pass out quick proto { tcp, udp } from any to any port 53 keep state`,
          `pass out quick proto tcp from any to any port { 80, 443 } keep state`,
        ],
      ),
    );
  }

  lines.push(
    ...section(
      "DNS resolvers allowed outside the tunnel",
      "Only the resolvers named in the settings may be asked directly.",
      policy.dnsResolvers.map(
        (r) => `pass out quick ${af(r)} proto { tcp, udp } from any to ${r} port ${DNS_PORTS} keep state`,
      ),
    ),
    ...section(
      "No other DNS outside the tunnel",
      "Refused before any LAN or exception pass, so names never leak to the router or a hotspot.",
      [`block return out quick proto { tcp, udp } from any to any port ${DNS_PORTS}`],
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
      "awdl0 and llw0 carry only link-local IPv6 to nearby Apple devices; nothing routed passes there.",
      summary.peerToPeer.flatMap((name) => [
        `pass out quick on ${name} inet6 from any to { fe80::/10, ff02::/16 } keep state`,
        `pass in quick on ${name} inet6 from fe80::/10 to any keep state`,
      ]),
    ),
    ...section(
      "Local network",
      "Allowed in the settings: private, link-local and unique-local ranges, both ways.",
      summary.allowLan
        ? LAN_RANGES.flatMap((range) => [
            `pass out quick ${af(range.split("/")[0])} from any to ${range} keep state`,
            `pass in quick ${af(range.split("/")[0])} from ${range} to any keep state`,
          ])
        : [],
    ),
    ...summary.exceptions.flatMap((exception) =>
      section(
        `Exception: ${exception.label || exception.target}${exception.scope === "all" ? " (all networks)" : " (this network)"}`,
        exception.expiresAt ? `Allowed by the user until ${exception.expiresAt}.` : "Allowed by the user.",
        exceptionRules(exception),
      ),
    ),
    ...section(
      "Everything else",
      "Refused at once going out (apps fail fast instead of hanging), dropped coming in; on every interface, new ones too.",
      ["block return out quick all", "block drop in quick all"],
    ),
  );

  return `${lines.join("\n")}\n`;
}
