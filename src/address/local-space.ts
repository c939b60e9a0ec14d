/**
 * Address space that is local by definition, whatever a network says: private IPv4 (RFC 1918), link-local
 * (IPv4 and IPv6) and unique-local IPv6 (RFC 4193). A network may call any prefix its own; only these parts
 * of it are ever treated as the local network. The root script's `local_space` (05-awk.sh) lists the same.
 */
import { type Cidr, cidrContains, parseCidr } from "./ip";

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
  return LOCAL_RANGES.some((range) => cidrContains(range, address));
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
