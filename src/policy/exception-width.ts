/**
 * How much of the Internet one exception may open. An exception is a pass outside the tunnel, so a wide one
 * is a hole in the kill switch: a prefix wider than /8 (IPv4) or /32 (IPv6) is refused outright, one wider
 * than /24 or /64 must be confirmed (`"wide": true`), and together the exceptions may open no more public space
 * than one of the widest would (private, link-local and unique-local space is not counted).
 */
import { type AddressFamily, type Cidr, addressToBigInt } from "../address/ip";
import { publicAddressCount } from "../address/local-space";

/** The widest prefix an exception may have at all. */
export const WIDEST_PREFIX: Readonly<Record<AddressFamily, number>> = { inet: 8, inet6: 32 };
/** Wider than this needs `"wide": true`: more than a home or office subnet. */
export const WIDE_PREFIX: Readonly<Record<AddressFamily, number>> = { inet: 24, inet6: 64 };

const BITS: Readonly<Record<AddressFamily, number>> = { inet: 32, inet6: 128 };
const FAMILY_NAME: Readonly<Record<AddressFamily, string>> = { inet: "IPv4", inet6: "IPv6" };

export type ExceptionWidth = "narrow" | "wide" | "too-wide";

export function exceptionWidth(cidr: Cidr): ExceptionWidth {
  if (cidr.prefix < WIDEST_PREFIX[cidr.family]) return "too-wide";
  if (cidr.prefix < WIDE_PREFIX[cidr.family]) return "wide";
  return "narrow";
}

/** How many addresses a network holds: 2^(bits - prefix). */
export function addressCount(cidr: Cidr): bigint {
  return 1n << BigInt(BITS[cidr.family] - cidr.prefix);
}

/** "65,536 addresses", "2^96 addresses" (IPv6 counts are unreadable as digits). */
export function describeAddressCount(cidr: Cidr): string {
  const exponent = BITS[cidr.family] - cidr.prefix;
  if (exponent === 0) return "1 address";
  if (exponent > 32) return `2^${exponent} addresses`;
  return `${addressCount(cidr).toLocaleString("en-US")} addresses`;
}

/** Why a prefix is refused, or needs confirming; null when it is narrow. */
export function exceptionWidthProblem(cidr: Cidr, wideConfirmed: boolean): string | null {
  const width = exceptionWidth(cidr);
  const family = FAMILY_NAME[cidr.family];
  if (width === "too-wide") {
    const what = cidr.prefix === 0 ? ` (the whole ${family} Internet: a default route)` : "";
    return `opens ${describeAddressCount(cidr)}${what}; an exception may be at most a /${WIDEST_PREFIX.inet} (IPv4) or a /${WIDEST_PREFIX.inet6} (IPv6)`;
  }
  if (width === "wide" && !wideConfirmed) {
    return `opens ${describeAddressCount(cidr)}; an exception wider than a /${WIDE_PREFIX[cidr.family]} (${family}) needs "wide": true`;
  }
  return null;
}

/** The first and last address of a network, as integers. */
function bounds(cidr: Cidr): [bigint, bigint] {
  const span = addressCount(cidr);
  const first = (addressToBigInt(cidr.address) / span) * span;
  return [first, first + span - 1n];
}

/**
 * The index in `cidrs` at which, taken in order, they first cover every address of a family (as
 * `0.0.0.0/1` + `128.0.0.0/1` do): from there on the exceptions are a default route. Null when they never do.
 */
export function indexCompletingDefaultRoute(cidrs: readonly (Cidr | null)[]): number | null {
  const seen: Record<AddressFamily, [bigint, bigint][]> = { inet: [], inet6: [] };
  for (const [index, cidr] of cidrs.entries()) {
    if (!cidr) continue;
    const ranges = seen[cidr.family];
    ranges.push(bounds(cidr));
    if (coversAll(ranges, (1n << BigInt(BITS[cidr.family])) - 1n)) return index;
  }
  return null;
}

function coversAll(ranges: [bigint, bigint][], last: bigint): boolean {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let next = 0n;
  for (const [first, end] of sorted) {
    if (first > next) return false;
    if (end + 1n > next) next = end + 1n;
    if (next > last) return true;
  }
  return false;
}

/** The most public space all exceptions together may open: a /8's worth of IPv4, a /32's worth of IPv6. */
export const PUBLIC_SPACE_CAP: Readonly<Record<AddressFamily, bigint>> = {
  inet: 1n << BigInt(BITS.inet - WIDEST_PREFIX.inet),
  inet6: 1n << BigInt(BITS.inet6 - WIDEST_PREFIX.inet6),
};

/** A count as people read it: digits up to 2^32, then a power of two ("2^96", "more than 2^96"). */
export function describeCount(count: bigint): string {
  if (count <= 1n << 32n) return count.toLocaleString("en-US");
  const exponent = count.toString(2).length - 1;
  return count === 1n << BigInt(exponent) ? `2^${exponent}` : `more than 2^${exponent}`;
}

/** Where the exceptions, taken in order, first open more public space than the cap allows, and why. */
export interface PublicSpaceExcess {
  index: number;
  message: string;
}

/**
 * The first of `cidrs` (null: not a network, or not counted) at which their union, overlaps once and local space
 * left out, opens more public addresses of a family than PUBLIC_SPACE_CAP; null when they never do.
 */
export function findPublicSpaceExcess(cidrs: readonly (Cidr | null)[]): PublicSpaceExcess | null {
  const taken: Cidr[] = [];
  for (const [index, cidr] of cidrs.entries()) {
    if (!cidr) continue;
    taken.push(cidr);
    const count = publicAddressCount(taken.filter((c) => c.family === cidr.family))[cidr.family];
    const cap = PUBLIC_SPACE_CAP[cidr.family];
    if (count <= cap) continue;
    return { index, message: describePublicSpaceExcess(cidr.family, count, "the exceptions") };
  }
  return null;
}

/** "would make the exceptions open 33,554,432 public IPv4 addresses; together they may open at most 16,777,216 (a /8)" */
export function describePublicSpaceExcess(family: AddressFamily, count: bigint, what: string): string {
  const cap = PUBLIC_SPACE_CAP[family];
  return `would make ${what} open ${describeCount(count)} public ${FAMILY_NAME[family]} addresses; together they may open at most ${describeCount(cap)} (a /${WIDEST_PREFIX[family]})`;
}
