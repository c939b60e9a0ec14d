import { familyOf, ipv4Network, parseCidr, cidrContains } from "../address/ip";
import { normalizeMacAddress } from "./mac-address";
import type { Gateway, NetworkIdentity } from "./state";

/** An IPv4 address of the gateway's interface with its prefix (from `netmask 0x...`). */
export interface InterfaceIpv4 {
  address: string;
  prefix: number | null;
}

/**
 * The printable identity of a network:
 *   gw=<gateway IPv4>,mac=<gateway MAC or unknown>,net=<subnet CIDR or unknown>
 * e.g. `gw=192.168.1.1,mac=7c:10:c9:00:00:90,net=192.168.1.0/24`. The MAC is lower case with two hex digits per
 * octet. A shell watchdog recomputes this string with nothing but `route`, `arp` and `ifconfig`, so the rule has to
 * stay this simple; change it only together with that script.
 */
export function formatNetworkIdentityId(gatewayIpv4: string, gatewayMac: string | null, subnet: string | null): string {
  const mac = (gatewayMac && normalizeMacAddress(gatewayMac)) ?? "unknown";
  return `gw=${gatewayIpv4},mac=${mac},net=${subnet ?? "unknown"}`;
}

const IDENTITY_ID =
  /^gw=(\d{1,3}(?:\.\d{1,3}){3}),mac=([0-9a-f]{2}(?::[0-9a-f]{2}){5}|unknown),net=([0-9./]+|unknown)$/;

/** Reads an identity id back into its parts; null unless it is exactly what network/identity.ts prints. */
export function parseNetworkIdentityId(id: string): NetworkIdentity | null {
  const match = IDENTITY_ID.exec(id);
  if (!match || familyOf(match[1]) !== "inet") return null;
  const gatewayMac = match[2] === "unknown" ? null : match[2];
  const subnet = match[3] === "unknown" ? null : match[3];
  if (formatNetworkIdentityId(match[1], gatewayMac, subnet) !== id) return null;
  return { id, gatewayIpv4: match[1], gatewayMac, subnet, label: null };
}

/**
 * The subnet of the gateway's interface: the network address of its first IPv4 (in `ifconfig` order) whose
 * address/netmask contains the gateway, e.g. `192.168.1.0/24`; null when none does.
 */
export function gatewaySubnet(gatewayIpv4: string, addresses: readonly InterfaceIpv4[]): string | null {
  for (const { address, prefix } of addresses) {
    if (prefix === null || familyOf(address) !== "inet") continue;
    const subnet = `${ipv4Network(address, prefix)}/${prefix}`;
    const cidr = parseCidr(subnet);
    if (cidr && cidrContains(cidr, gatewayIpv4)) return subnet;
  }
  return null;
}

/** Identifies the physical network from its gateway; null when the gateway's IPv4 address is unknown. */
export function computeNetworkIdentity(input: {
  gateway: Gateway | null;
  /** The IPv4 addresses of `gateway.interface`. */
  interfaceAddresses: readonly InterfaceIpv4[];
  /** The Wi-Fi name when readable; shown to people, never part of `id`. */
  label: string | null;
}): NetworkIdentity | null {
  const gatewayIpv4 = input.gateway?.ipv4;
  if (!gatewayIpv4 || familyOf(gatewayIpv4) !== "inet") return null;
  const gatewayMac = input.gateway?.mac ? normalizeMacAddress(input.gateway.mac) : null;
  const subnet = gatewaySubnet(gatewayIpv4, input.interfaceAddresses);
  return {
    id: formatNetworkIdentityId(gatewayIpv4, gatewayMac, subnet),
    gatewayIpv4,
    gatewayMac,
    subnet,
    label: input.label,
  };
}
