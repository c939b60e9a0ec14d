/**
 * Address space that is local by definition, whatever a network says: private IPv4 (RFC 1918), link-local
 * (IPv4 and IPv6) and unique-local IPv6 (RFC 4193). A network may call any prefix its own; only these parts
 * of it are ever treated as the local network. The root script's `local_space` (05-awk.sh) lists the same.
 */
import { type AddressFamily, type Cidr, addressToBigInt, cidrContains, familyOf, parseCidr } from "./ip";

export const LOCAL_RANGES: readonly Cidr[] = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "169.254.0.0/16",
  "fe80::/10",
  "fc00::/7",
].map((range) => parseCidr(range) as Cidr);

/** True when the address lies in private, link-local or unique-local space. */
export function isLocalAddress(address: string): boolean {
  return familyOf(address) !== null && LOCAL_RANGES.some((range) => cidrContains(range, address.split("%")[0]));
}

/** True when the whole network lies in one local range (a network wider than the range is not local). */
export function isLocalNetwork(network: Cidr): boolean {
  return LOCAL_RANGES.some(
    (range) =>
      range.family === network.family && network.prefix >= range.prefix && cidrContains(range, network.address),
  );
}

/** True when one network holds the other (or they are the same): the only way two CIDR networks overlap. */
export function networksOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  return a.prefix <= b.prefix ? cidrContains(a, b.address) : cidrContains(b, a.address);
}

const cidrs = (texts: readonly string[]): readonly Cidr[] => texts.map((text) => parseCidr(text) as Cidr);

/** Multicast: link- or site-scoped groups, never a host on the Internet a pass could leak to. */
export const MULTICAST_RANGES: readonly Cidr[] = cidrs(["224.0.0.0/4", "ff00::/8"]);

export const FAMILY_BITS: Readonly<Record<AddressFamily, number>> = { inet: 32, inet6: 128 };

/** A network's first and last address, as integers. */
export function cidrBounds(cidr: Cidr): [bigint, bigint] {
  const span = 1n << BigInt(FAMILY_BITS[cidr.family] - cidr.prefix);
  const first = (addressToBigInt(cidr.address) / span) * span;
  return [first, first + span - 1n];
}

type Interval = [bigint, bigint];

function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: Interval[] = [];
  for (const [first, last] of sorted) {
    const previous = merged[merged.length - 1];
    if (previous && first <= previous[1] + 1n) previous[1] = last > previous[1] ? last : previous[1];
    else merged.push([first, last]);
  }
  return merged;
}

/** `intervals` (merged) without `removed` (merged). */
function subtract(intervals: Interval[], removed: Interval[]): Interval[] {
  const result: Interval[] = [];
  for (const [first, last] of intervals) {
    let from = first;
    for (const [cutFirst, cutLast] of removed) {
      if (cutLast < from || cutFirst > last) continue;
      if (cutFirst > from) result.push([from, cutFirst - 1n]);
      from = cutLast + 1n;
      if (from > last) break;
    }
    if (from <= last) result.push([from, last]);
  }
  return result;
}

/** How many addresses of each family the union of `networks` holds (overlaps once), outside local space and `also`. */
export function publicAddressCount(
  networks: readonly Cidr[],
  also: readonly Cidr[] = [],
): Record<AddressFamily, bigint> {
  const count = (family: AddressFamily): bigint => {
    const union = merge(networks.filter((c) => c.family === family).map(cidrBounds));
    const excluded = merge([...LOCAL_RANGES, ...also].filter((c) => c.family === family).map(cidrBounds));
    return subtract(union, excluded).reduce((sum, [first, last]) => sum + (last - first + 1n), 0n);
  };
  return { inet: count("inet"), inet6: count("inet6") };
}
