/**
 * How much of the Internet one exception may open. An exception is a pass outside the tunnel, so a wide one
 * is a hole in the kill switch: a prefix wider than /8 (IPv4) or /32 (IPv6) is refused outright, one wider
 * than /24 or /64 must be confirmed (`"wide": true`), and exceptions may never add up to a default route.
 */
import { type AddressFamily, type Cidr, addressToBigInt } from "../address/ip";

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
