import { isIPv4, isIPv6 } from "node:net";

export type AddressFamily = "inet" | "inet6";

/** An address or network in CIDR form; `prefix` is 32/128 for a single host. */
export interface Cidr {
  family: AddressFamily;
  address: string;
  prefix: number;
}

/** Drops a `%scope` suffix (`fe80::1%en0`) that pf and comparisons do not want. */
export function stripZone(address: string): string {
  const at = address.indexOf("%");
  return at === -1 ? address : address.slice(0, at);
}

export function familyOf(address: string): AddressFamily | null {
  const bare = stripZone(address);
  if (isIPv4(bare)) return "inet";
  if (isIPv6(bare)) return "inet6";
  return null;
}

export function isIpAddress(address: string): boolean {
  return familyOf(address) !== null;
}

/**
 * The one text of an address (no zone): IPv4 without leading zeros, IPv6 in lower case with its longest run of zero
 * groups (two or more, the first of equals) shortened, as RFC 5952 writes it; null for anything else.
 */
export function canonicalAddress(address: string): string | null {
  const family = familyOf(address);
  if (family === null || address.includes("%")) return null;
  if (family === "inet") return address.split(".").map(Number).join(".");
  const value = ipv6ToBigInt(address);
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(16 * (7 - i))) & 0xffffn).toString(16));
  let best = -1;
  let longest = 1;
  for (let i = 0; i < 8;) {
    let run = 0;
    while (i + run < 8 && groups[i + run] === "0") run++;
    if (run > longest) [best, longest] = [i, run];
    i += Math.max(run, 1);
  }
  if (best === -1) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + longest).join(":")}`;
}

/** Parses `A`, `A/N` (IPv4 or IPv6); returns null for anything else. */
export function parseCidr(text: string): Cidr | null {
  const [address, prefixText, ...rest] = text.trim().split("/");
  if (rest.length > 0 || address === undefined) return null;
  const family = familyOf(address);
  if (!family || address.includes("%")) return null;
  const max = family === "inet" ? 32 : 128;
  if (prefixText === undefined) return { family, address, prefix: max };
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > max) return null;
  return { family, address, prefix };
}

export function formatCidr(cidr: Cidr): string {
  const max = cidr.family === "inet" ? 32 : 128;
  return cidr.prefix === max ? cidr.address : `${cidr.address}/${cidr.prefix}`;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigInt(address: string): bigint {
  let text = stripZone(address);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]);
    text = text.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const headParts = head ? head.split(":") : [];
  const tailParts = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array(missing).fill("0"), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part || "0", 16)), 0n);
}

/** The address as an unsigned integer (32 or 128 bits), for range checks. */
export function addressToBigInt(address: string): bigint {
  return familyOf(address) === "inet" ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
}

/** The first host of a network (its base address plus one), or the address itself for a /31, /32, /127 or /128. */
export function firstHost(cidr: Cidr): string {
  const bits = cidr.family === "inet" ? 32 : 128;
  if (cidr.prefix >= bits - 1) return cidr.address;
  const shift = BigInt(bits - cidr.prefix);
  const n = ((addressToBigInt(cidr.address) >> shift) << shift) + 1n;
  if (cidr.family === "inet") return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  return [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => ((n >> s) & 0xffffn).toString(16)).join(":");
}

/** The same address however written (`2001:DB8::1` and `2001:db8:0::1`); false across families or for non-addresses. */
export function sameAddress(a: string, b: string): boolean {
  const family = familyOf(a);
  return family !== null && family === familyOf(b) && addressToBigInt(a) === addressToBigInt(b);
}

/** True when `address` lies inside `cidr` (same family only). */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const family = familyOf(address);
  if (family !== cidr.family) return false;
  const bits = family === "inet" ? 32n : 128n;
  const shift = bits - BigInt(cidr.prefix);
  return addressToBigInt(cidr.address) >> shift === addressToBigInt(address) >> shift;
}

/** The network address of `address/prefix` (IPv4 only), e.g. 192.168.1.0 for 192.168.1.7/24. */
export function ipv4Network(address: string, prefix: number): string {
  const mask = prefix === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n);
  const n = ipv4ToBigInt(address) & mask;
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
}

/** Converts a netmask (`0xffffff00` or `255.255.255.0`) to a prefix length; null when not contiguous. */
export function netmaskToPrefix(mask: string): number | null {
  let n: bigint;
  if (/^0x[0-9a-f]{8}$/i.test(mask)) n = BigInt(mask);
  else if (isIPv4(mask)) n = ipv4ToBigInt(mask);
  else return null;
  const bin = n.toString(2).padStart(32, "0");
  return /^1*0*$/.test(bin) ? (bin.indexOf("0") === -1 ? 32 : bin.indexOf("0")) : null;
}
