import type { NetworkState } from "../network/state";
import {
  type NameToConfirm,
  fieldsNaming,
  isConfirmed,
  publicAddresses,
  resolvesThroughTunnel,
} from "../policy/name-trust";
import { type HostLookup, type PolicyResult, isLocalName, resolvePolicy } from "../policy/policy";
import type { Settings } from "../policy/settings";

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

/** The note for people when recorded addresses stood in for a lookup. */
export function describeFromRecord(hosts: readonly string[]): string | null {
  if (hosts.length === 0) return null;
  return `${hosts.join(", ")} could not be resolved now (DNS outside the VPN is blocked while the kill switch is on), so the addresses recorded when ${
    hosts.length === 1 ? "it" : "they"
  } last resolved were used.`;
}
