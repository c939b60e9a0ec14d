import type { NetworkState } from "../network/state";
import {
  type NameToConfirm,
  fieldsNaming,
  isConfirmed,
  publicAddresses,
  resolvesThroughTunnel,
} from "../policy/name-trust";
import { canonicalAddress, isIpAddress } from "../address/ip";
import { type HostLookup, type PolicyResult, isLocalName, resolvePolicy } from "../policy/policy";
import { type Settings, parseVpnServer } from "../policy/settings";

/** What the last Enable recorded for each host name, and whether the record says those answers were confirmed. */
export interface ResolvedRecord {
  hosts: Readonly<Record<string, readonly string[]>>;
  /** Written by a version that passes a name only confirmed (or answered through the VPN); an older record is not. */
  confirmed: boolean;
}

/** What tells a believable answer from the network's: where lookups go now, and the user's confirmations. */
export interface NameTrustInput {
  network: NetworkState;
  /** The user's answers: this time's, and those kept in the settings (`confirmedAddresses`). */
  confirmations?: Readonly<Record<string, readonly string[]>>;
}

export interface ResolutionOutcome {
  result: PolicyResult;
  /** Every host name that now has addresses, and those addresses: what the root script records. */
  resolved: Record<string, string[]>;
  /** Host names that did not resolve now, for which the recorded addresses were used. */
  fromRecord: string[];
  /** Names resolved outside the VPN to public addresses nobody confirmed: not to be passed yet. */
  toConfirm: NameToConfirm[];
}

/**
 * Resolves the host names of the settings, falling back to the addresses recorded when they last resolved.
 * While the kill switch blocks (no VPN), DNS outside the tunnel is refused, so a reload would otherwise fail
 * on every host name; the recorded addresses are what the rules in force already allow. With `trust`, each answer
 * is also judged: one from the network's DNS to a public address stands only if the user confirmed it.
 */
export async function resolveWithRecord(
  settings: Settings,
  lookup: HostLookup,
  record: ResolvedRecord,
  trust?: NameTrustInput,
): Promise<ResolutionOutcome> {
  const recorded = record.hosts;
  const resolved: Record<string, string[]> = {};
  const fromRecord: string[] = [];
  const toConfirm: NameToConfirm[] = [];
  const tunnelOverride = settings.tunnelInterface.trim() || null;
  const judge = (host: string, answer: readonly string[], fresh: boolean) => {
    // A .local name must resolve to the link already (resolvePolicy refuses anything else).
    if (!trust || isLocalName(host) || toConfirm.some((n) => n.host === host)) return;
    if (fresh && resolvesThroughTunnel(host, trust.network, tunnelOverride)) return;
    const confirmed = [
      ...(trust.confirmations?.[host] ?? []),
      ...(record.confirmed ? (recorded[host] ?? []) : []),
      ...(settings.confirmedAddresses[host] ?? []),
    ];
    if (isConfirmed(answer, confirmed)) return;
    const field = fieldsNaming(settings, host)[0] ?? host;
    toConfirm.push({ field, host, addresses: publicAddresses(answer) });
  };
  const remembering: HostLookup = async (host) => {
    try {
      const addresses = await lookup(host);
      if (addresses.length > 0) {
        resolved[host] = addresses;
        judge(host, addresses, true);
        return addresses;
      }
      if (!recorded[host]?.length) return addresses;
    } catch (error) {
      if (!recorded[host]?.length) throw error;
    }
    const known = [...(recorded[host] ?? [])];
    resolved[host] = known;
    if (!fromRecord.includes(host)) fromRecord.push(host);
    judge(host, known, false);
    return known;
  };
  const result = await resolvePolicy(settings, remembering);
  return { result, resolved, fromRecord, toConfirm };
}

/**
 * The VPN servers' host names the Mac is to answer itself while the kill switch is on (lower case), each with the
 * addresses it resolved to that the rules pass (canonical): from `vpnServers`, never an exception's name.
 */
export function serverNamesToPin(
  settings: Pick<Settings, "vpnServers">,
  resolved: Readonly<Record<string, readonly string[]>>,
  passed: readonly string[],
): Record<string, string[]> {
  const names: Record<string, string[]> = {};
  for (const text of settings.vpnServers) {
    const host = parseVpnServer(text)?.host;
    if (host === undefined || isIpAddress(host) || isLocalName(host)) continue;
    const addresses = (resolved[host] ?? []).flatMap((address) => {
      const canonical = canonicalAddress(address);
      return canonical !== null && passed.includes(canonical) ? [canonical] : [];
    });
    const name = host.toLowerCase();
    if (addresses.length > 0) names[name] = [...new Set([...(names[name] ?? []), ...addresses])];
  }
  return names;
}

/**
 * A lookup that never reads the Mac's own answers back: names the kill switch pins in /etc/hosts (`pinned`) go to
 * `direct` (the DNS servers themselves), so a server that moved is learnt; any other name goes to `lookup`.
 */
export function lookupPastPins(lookup: HostLookup, direct: HostLookup, pinned: readonly string[]): HostLookup {
  return (host) => (pinned.includes(host.toLowerCase()) ? direct(host) : lookup(host));
}

/** For people: which names the Mac answers itself, and why. Null when none. */
export function describePinnedNames(names: Readonly<Record<string, readonly string[]>>): string | null {
  const list = Object.entries(names).map(([name, addresses]) => `${name} is ${addresses.join(", ")}`);
  if (list.length === 0) return null;
  return `While the kill switch is on, this Mac answers for the VPN server${list.length === 1 ? "" : "s"} itself (${list.join("; ")}), so the VPN app finds ${list.length === 1 ? "it" : "them"} again with DNS blocked.`;
}

/** The note for people when recorded addresses stood in for a lookup. */
export function describeFromRecord(hosts: readonly string[]): string | null {
  if (hosts.length === 0) return null;
  return `${hosts.join(", ")} could not be resolved now (DNS outside the VPN is blocked while the kill switch is on), so the addresses recorded when ${
    hosts.length === 1 ? "it" : "they"
  } last resolved were used.`;
}
