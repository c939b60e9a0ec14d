import { type AddressFamily, type Cidr, addressToBigInt, familyOf, parseCidr } from "../address/ip";
import type { NetworkState } from "../network/state";
import type { AnchorSummary } from "../pf/anchor";
import type { StateKill } from "../privileged/root-protocol";

/**
 * Which pf states to kill when the kill switch goes on, as (source, destination) pairs for
 * `pfctl -k SRC -k DST`.
 *
 * pf keeps a connection that was approved before our rules through its state entry, so a download
 * started before Enable would keep leaking. macOS's pf states are floating (`pfctl -s states` shows
 * `ALL`, not an interface), so `pfctl -i en0 -k ...` would match nothing: the states are picked by
 * address instead. Killed: every state from a physical interface's address to a destination the new
 * rules do not pass as a whole, and every inbound state to it. Kept: the VPN servers (cutting the VPN's
 * own connection would drop the tunnel), plus exceptions without port limits and, when allowed, the
 * networks the links are attached to.
 * Link-local IPv6 sources are left alone: they only reach the link, and pf stores them with a scope.
 */
export function stateKillsFor(network: NetworkState, summary: AnchorSummary): StateKill[] {
  const keep: Cidr[] = [
    ...summary.endpoints.flatMap((endpoint) => parseCidr(endpoint.address) ?? []),
    ...summary.exceptions
      .filter((exception) => exception.ports.length === 0 && exception.protocol === "any")
      .flatMap((exception) => exception.addresses),
    // The local network as the rules pass it: the private networks the links are attached to, and IPv4 link-local.
    ...(summary.allowLan
      ? [...summary.localNetwork.passed.map((part) => part.network), "169.254.0.0/16"].flatMap(
          (range) => parseCidr(range) ?? [],
        )
      : []),
  ];
  const kills: StateKill[] = [];
  const sources = new Set<string>();
  for (const physical of network.physical) {
    for (const address of [...physical.ipv4, ...physical.ipv6]) {
      const family = familyOf(address);
      if (!family || sources.has(address) || /^fe[89ab][0-9a-f]:/i.test(address)) continue;
      sources.add(address);
      const any = family === "inet" ? "0.0.0.0/0" : "::/0";
      const destinations = complementOf(
        family,
        keep.filter((cidr) => cidr.family === family),
      );
      kills.push(...destinations.map((destination) => ({ source: address, destination })));
      kills.push({ source: any, destination: address });
    }
  }
  return kills;
}

const BITS: Record<AddressFamily, number> = { inet: 32, inet6: 128 };

/** The fewest CIDR networks that cover the whole address space of `family` except `keep`. */
export function complementOf(family: AddressFamily, keep: readonly Cidr[]): string[] {
  const bits = BITS[family];
  const ranges = keep.map((cidr) => {
    const size = 1n << BigInt(bits - cidr.prefix);
    const start = (addressToBigInt(cidr.address) / size) * size;
    return { start, end: start + size };
  });
  const result: string[] = [];
  const walk = (base: bigint, prefix: number) => {
    const end = base + (1n << BigInt(bits - prefix));
    if (ranges.some((r) => r.start <= base && end <= r.end)) return;
    if (!ranges.some((r) => r.start < end && base < r.end)) {
      result.push(`${formatAddress(family, base)}/${prefix}`);
      return;
    }
    walk(base, prefix + 1);
    walk(base + (1n << BigInt(bits - prefix - 1)), prefix + 1);
  };
  walk(0n, 0);
  return result;
}

function formatAddress(family: AddressFamily, value: bigint): string {
  if (family === "inet") return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // Shorten the longest run of zero groups to "::", as people and pfctl write IPv6.
  let best = { at: -1, length: 0 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i > 1) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at === -1) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.length).join(":")}`;
}
