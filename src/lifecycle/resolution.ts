import { type HostLookup, type PolicyResult, resolvePolicy } from "../policy/policy";
import type { Settings } from "../policy/settings";

export interface ResolutionOutcome {
  result: PolicyResult;
  /** Every host name that now has addresses, and those addresses: what the root script records. */
  resolved: Record<string, string[]>;
  /** Host names that did not resolve now, for which the recorded addresses were used. */
  fromRecord: string[];
}

/**
 * Resolves the host names of the settings, falling back to the addresses recorded when they last resolved.
 * While the kill switch blocks (no VPN), DNS outside the tunnel is refused, so a reload would otherwise fail
 * on every host name; the recorded addresses are what the rules in force already allow.
 */
export async function resolveWithRecord(
  settings: Settings,
  lookup: HostLookup,
  recorded: Readonly<Record<string, readonly string[]>>,
): Promise<ResolutionOutcome> {
  const resolved: Record<string, string[]> = {};
  const fromRecord: string[] = [];
  const remembering: HostLookup = async (host) => {
    try {
      const addresses = await lookup(host);
      if (addresses.length > 0) {
        resolved[host] = addresses;
        return addresses;
      }
      if (!recorded[host]?.length) return addresses;
    } catch (error) {
      if (!recorded[host]?.length) throw error;
    }
    const known = [...(recorded[host] ?? [])];
    resolved[host] = known;
    if (!fromRecord.includes(host)) fromRecord.push(host);
    return known;
  };
  const result = await resolvePolicy(settings, remembering);
  return { result, resolved, fromRecord };
}

/** The note for people when recorded addresses stood in for a lookup. */
export function describeFromRecord(hosts: readonly string[]): string | null {
  if (hosts.length === 0) return null;
  return `${hosts.join(", ")} could not be resolved now (DNS outside the VPN is blocked while the kill switch is on), so the addresses recorded when ${
    hosts.length === 1 ? "it" : "they"
  } last resolved were used.`;
}
