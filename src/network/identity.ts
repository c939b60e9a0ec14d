import { familyOf, ipv4Network, parseCidr, cidrContains } from "../address/ip";
import type { IpconfigSummary } from "./ipconfig-summary";
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
  return { id, gatewayIpv4: match[1], gatewayMac, subnet, label: null, security: null };
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
  /** `ipconfig getsummary` of `gateway.interface`, when read. */
  summary?: IpconfigSummary;
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
    security: linkSecurity(input.summary),
  };
}

/** A link that is not Wi-Fi: no security mode to read, and no stranger can join it from the street. */
export const WIRED_LINK = "wired";
/** What an exception saved before security modes were recorded needs: a wired link or a protected Wi-Fi. */
export const ANY_PROTECTED_LINK = "protected";

/**
 * How the link is protected: the Wi-Fi security mode (`WPA2_PSK`, upper case), `wired` when ipconfig names
 * another interface type, null when unknown (no summary, Wi-Fi without a readable mode). The root script's
 * `link_security` reads the same.
 */
export function linkSecurity(summary: IpconfigSummary | undefined): string | null {
  if (!summary?.interfaceType) return null;
  return summary.interfaceType === "WiFi" ? summary.security : WIRED_LINK;
}

/**
 * Whether a link protected as `current` meets `required` (an exception's recorded mode, or `protected`): the
 * same mode, or for `protected` a wired link or a Wi-Fi mode that needs a key (WEP, WPA, 802.1X). Open and
 * OWE ("Enhanced Open") networks need none: anyone can run one under any name. Unknown meets nothing. The
 * root script's `security_meets` decides the same.
 */
export function securityMeets(required: string, current: string | null): boolean {
  if (current === null) return false;
  if (required === current) return true;
  if (required !== ANY_PROTECTED_LINK) return false;
  return (
    current === WIRED_LINK ||
    (/WPA|WEP|PSK|SAE|EAP|8021X|PERSONAL|ENTERPRISE/.test(current) && !/OWE|OPEN|NONE/.test(current))
  );
}
