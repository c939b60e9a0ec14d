/**
 * Address space no one routes on the Internet: private IPv4 (RFC 1918), link-local (169.254/16, fe80::/10) and
 * unique-local IPv6 (fc00::/7). A pass limited to it reaches only what sits on a local network.
 */
import { type Cidr, cidrContains, parseCidr } from "./ip";

export const PRIVATE_SPACE: readonly Cidr[] = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "169.254.0.0/16",
  "fe80::/10",
  "fc00::/7",
].map((range) => parseCidr(range) as Cidr);

/** True when every address of `cidr` lies in one private, link-local or unique-local range. */
export function inPrivateSpace(cidr: Cidr): boolean {
  return PRIVATE_SPACE.some(
    (range) => range.family === cidr.family && cidr.prefix >= range.prefix && cidrContains(range, cidr.address),
  );
}
