import { Resolver, lookup } from "node:dns/promises";
import { type Cidr, isIpAddress, parseCidr } from "../address/ip";
import { isLocalAddress } from "../address/local-space";
import { ANY_PROTECTED_LINK, securityMeets } from "../network/identity";
import type { NetworkIdentity } from "../network/state";
import {
  type PortRange,
  type ServerProtocol,
  type Settings,
  type Transport,
  parsePorts,
  parseVpnServer,
} from "./settings";

/** A VPN server address the tunnel's own packets go to; port and protocol narrow the rule when known. */
export interface Endpoint {
  address: string;
  port?: number;
  protocol?: ServerProtocol;
  /** The host name the address was resolved from, through the DNS of the network the Mac was on. */
  host?: string;
}

/** An endpoint as the settings write a VPN server (`IP`, `IP:port/proto`, `[IPv6]:port/proto`, `IP/ikev2`). */
export function formatEndpoint(endpoint: Endpoint): string {
  const { address, port, protocol } = endpoint;
  if (protocol === "ikev2") return `${address}/ikev2`;
  if (port === undefined) return address;
  const host = address.includes(":") ? `[${address}]` : address;
  return `${host}:${port}${protocol ? `/${protocol}` : ""}`;
}

/** A server the root script recorded (formatEndpoint's text) back as an endpoint; null unless an address form. */
export function parseRecordedEndpoint(text: string): Endpoint | null {
  const spec = parseVpnServer(text);
  if (!spec || !isIpAddress(spec.host)) return null;
  const endpoint: Endpoint = { address: spec.host };
  if (spec.port !== undefined) endpoint.port = spec.port;
  if (spec.protocol !== undefined) endpoint.protocol = spec.protocol;
  return formatEndpoint(endpoint) === text ? endpoint : null;
}

/**
 * Why a recorded server is trusted: `process`, a VPN program owned a connection to it; `user`, the user
 * answered for it. `declined`: the user said it is no VPN server (never passed, not asked again).
 */
export type ServerEvidence = "process" | "user";
export type RecordedServer =
  | { kind: "trusted"; endpoint: Endpoint; evidence: ServerEvidence }
  | { kind: "declined"; address: string }
  /** Recorded by an earlier version, which took a route for proof: asked about again, passed only once answered. */
  | { kind: "unconfirmed"; endpoint: Endpoint };

/** As the root script records it: `198.51.100.7:1194/udp@process`, `203.0.113.9@declined`. */
export function formatRecordedServer(server: Exclude<RecordedServer, { kind: "unconfirmed" }>): string {
  return server.kind === "declined"
    ? `${server.address}@declined`
    : `${formatEndpoint(server.endpoint)}@${server.evidence}`;
}

/** A recorded server back; without `@evidence` it was written by an earlier version: unconfirmed. */
export function parseRecordedServer(text: string): RecordedServer | null {
  const at = text.lastIndexOf("@");
  if (at === -1) {
    const endpoint = parseRecordedEndpoint(text);
    return endpoint ? { kind: "unconfirmed", endpoint } : null;
  }
  const spec = text.slice(0, at);
  const evidence = text.slice(at + 1);
  if (evidence === "declined") return isIpAddress(spec) ? { kind: "declined", address: spec } : null;
  const endpoint = parseRecordedEndpoint(spec);
  if (!endpoint || (evidence !== "process" && evidence !== "user")) return null;
  return { kind: "trusted", endpoint, evidence };
}

/** The answer that a candidate is no VPN server: `IP/none`. Null for anything else. */
export function parseServerDecline(text: string): string | null {
  const match = /^(.+)\/none$/.exec(text);
  if (!match) return null;
  const host = match[1].startsWith("[") && match[1].endsWith("]") ? match[1].slice(1, -1) : match[1];
  return isIpAddress(host) ? host : null;
}

/**
 * How the VPN talks to a server, as the user answers when nothing on the Mac says: `IP:port/proto`, `IP:port`
 * (TCP and UDP) or `IP/ikev2`. Null for anything else, a bare address or a host name included.
 */
export function parseServerTransport(text: string): Endpoint | null {
  const spec = parseVpnServer(text);
  if (!spec || !isIpAddress(spec.host) || (spec.port === undefined && spec.protocol !== "ikev2")) return null;
  const endpoint: Endpoint = { address: spec.host };
  if (spec.port !== undefined) endpoint.port = spec.port;
  if (spec.protocol !== undefined) endpoint.protocol = spec.protocol;
  return endpoint;
}

/** An answer to Enable's question: how the VPN reaches the server, or `IP/none`, it is no VPN server. */
export type ServerAnswer = { kind: "transport"; endpoint: Endpoint } | { kind: "declined"; address: string };

export function parseServerAnswer(text: string): ServerAnswer | null {
  const declined = parseServerDecline(text);
  if (declined !== null) return { kind: "declined", address: declined };
  const endpoint = parseServerTransport(text);
  return endpoint ? { kind: "transport", endpoint } : null;
}

/** The answers split as Enable takes them. */
export function splitServerAnswers(answers: readonly ServerAnswer[]): {
  serverTransports: Endpoint[];
  declinedServers: string[];
} {
  return {
    serverTransports: answers.flatMap((a) => (a.kind === "transport" ? [a.endpoint] : [])),
    declinedServers: answers.flatMap((a) => (a.kind === "declined" ? [a.address] : [])),
  };
}

/** True when the endpoint says how to reach the server: a port, or IKEv2. */
export const hasTransport = (endpoint: Endpoint): boolean =>
  endpoint.port !== undefined || endpoint.protocol === "ikev2";

export interface ResolvedException {
  id: string;
  /** What the user typed (address, CIDR or host name). */
  target: string;
  label: string;
  addresses: Cidr[];
  protocol: Transport | "any";
  ports: PortRange[];
  /** `all`, or the network identity id it belongs to. */
  scope: string;
  /** How that network's link was protected when the exception was added (`WPA2_PSK`, `wired`); absent: unknown. */
  scopeSecurity?: string;
  expiresAt: string | null;
  enabled: boolean;
}

/** Settings with every host name resolved: what the ruleset builder needs, and nothing that needs the network. */
export interface KillSwitchPolicy {
  endpoints: Endpoint[];
  tunnelOverride: string | null;
  /** Tunnels trusted besides the one carrying the default route. */
  trustedTunnels: string[];
  allowLan: boolean;
  allowDiscovery: boolean;
  allowAirDrop: boolean;
  dnsResolvers: string[];
  exceptions: ResolvedException[];
}

/** An mDNS name (`printer.local`): answered by the local network, so it must stay on it. */
export const isLocalName = (name: string) => /\.local\.?$/i.test(name);

/** Resolves a host name to all its addresses; injectable so tests and previews need no DNS. */
export type HostLookup = (host: string) => Promise<string[]>;

export const systemHostLookup: HostLookup = async (host) => {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

/**
 * Asks the DNS servers themselves (`/etc/resolv.conf`'s), never /etc/hosts: the answer for a name the kill switch
 * pins there itself, which getaddrinfo would read back. One try, briefly: while the kill switch blocks, pf refuses
 * the query at once, and the recorded addresses stand in.
 */
export const dnsServerLookup: HostLookup = async (host) => {
  const resolver = new Resolver({ timeout: 3000, tries: 1 });
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses = [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
  if (addresses.length === 0 && v4.status === "rejected") throw v4.reason;
  return addresses;
};

/** A stable id for an exception saved without one, so edits and toggles can find it again. */
export function exceptionKey(e: { address: string; protocol: string; port?: number | string; scope: string }): string {
  return [e.address.trim(), e.protocol, e.port ?? "", e.scope].join("|");
}

export type PolicyResult = { ok: true; policy: KillSwitchPolicy } | { ok: false; errors: string[] };

/**
 * Turns validated settings into a policy. Host names are resolved here, before anything is blocked,
 * because once the kill switch is on, DNS outside the tunnel is refused.
 */
export async function resolvePolicy(
  settings: Settings,
  resolveHost: HostLookup = systemHostLookup,
): Promise<PolicyResult> {
  const errors: string[] = [];
  const resolve = async (field: string, host: string): Promise<string[]> => {
    try {
      const addresses = await resolveHost(host);
      if (addresses.length === 0) errors.push(`${field}: "${host}" did not resolve to any address`);
      return addresses;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      errors.push(`${field}: "${host}" could not be resolved (${reason})`);
      return [];
    }
  };

  const endpoints: Endpoint[] = [];
  for (const [index, text] of settings.vpnServers.entries()) {
    const spec = parseVpnServer(text);
    if (!spec) continue; // the schema already rejected it
    const addresses = parseCidr(spec.host) ? [spec.host] : await resolve(`vpnServers[${index}]`, spec.host);
    for (const address of addresses) {
      const endpoint: Endpoint = address === spec.host ? { address } : { address, host: spec.host };
      if (spec.port !== undefined) endpoint.port = spec.port;
      if (spec.protocol !== undefined) endpoint.protocol = spec.protocol;
      endpoints.push(endpoint);
    }
  }

  const exceptions: ResolvedException[] = [];
  for (const [index, e] of settings.exceptions.entries()) {
    const target = e.address.trim();
    const cidr = parseCidr(target);
    const field = `exceptions[${index}].address`;
    const addresses = cidr ? [cidr] : (await resolve(field, target)).flatMap((a) => parseCidr(a) ?? []);
    // mDNS answers come from the local network, which may be hostile: a .local name must stay on it.
    const offLink = isLocalName(target) ? addresses.filter((a) => !isLocalAddress(a.address)) : [];
    if (offLink.length > 0) {
      errors.push(
        `${field}: "${target}" resolved to ${offLink.map((a) => a.address).join(", ")}, which is not a private or link-local address; a .local name is accepted only on the local network`,
      );
    }
    exceptions.push({
      id: e.id ?? exceptionKey(e),
      target,
      label: e.label,
      addresses,
      protocol: e.protocol,
      ports: e.port === undefined ? [] : (parsePorts(e.port) ?? []),
      scope: e.scope,
      ...(e.scope !== "all" && e.scopeSecurity ? { scopeSecurity: e.scopeSecurity } : {}),
      expiresAt: e.expiresAt ?? null,
      enabled: e.enabled,
    });
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    policy: {
      endpoints,
      ...tunnelTrust(settings),
      allowLan: settings.allowLan,
      allowDiscovery: settings.allowDiscovery,
      allowAirDrop: settings.allowAirDrop,
      dnsResolvers: settings.dnsResolvers.map((r) => r.trim()),
      exceptions,
    },
  };
}

/** Which tunnels the settings trust: the one they fix (alone), else those named besides the default route's. */
export function tunnelTrust(
  settings: Pick<Settings, "tunnelInterface" | "trustedTunnels">,
): Pick<KillSwitchPolicy, "tunnelOverride" | "trustedTunnels"> {
  return {
    tunnelOverride: settings.tunnelInterface.trim() || null,
    trustedTunnels: [...new Set(settings.trustedTunnels.map((name) => name.trim()))],
  };
}

/** What a network-scoped exception's link must be protected as: the mode recorded with it, else any protected one. */
export const requiredSecurity = (exception: Pick<ResolvedException, "scopeSecurity">): string =>
  exception.scopeSecurity ?? ANY_PROTECTED_LINK;

/**
 * Whether an exception applies on the network `identity` (null: unknown network) at `now`. One scoped to a
 * network needs its id and a link protected as it requires (network/identity.ts `securityMeets`): a copy of the
 * router on an open Wi-Fi does not get it.
 */
export function isExceptionActive(
  exception: Pick<ResolvedException, "scope" | "scopeSecurity" | "expiresAt" | "enabled">,
  identity: Pick<NetworkIdentity, "id" | "security"> | null,
  now: Date,
): boolean {
  if (!exception.enabled) return false;
  if (exception.expiresAt !== null && Date.parse(exception.expiresAt) <= now.getTime()) return false;
  if (exception.scope === "all") return true;
  return (
    identity !== null &&
    exception.scope === identity.id &&
    securityMeets(requiredSecurity(exception), identity.security)
  );
}
