/**
 * Which tunnels may be the VPN, by what they are rather than by the routes they carry. A `ppp` interface is
 * also what macOS makes for an ISP's PPPoE link or a modem, which then takes the default route the moment the
 * VPN drops: such a link is only the VPN when a connected VPN service accounts for it. The other tunnel kinds
 * (utun, tun, tap, ipsec) are made by any software on the Mac (a VM, a proxy, a second VPN), so one carrying
 * the routes to the Internet is the VPN only when a VPN is seen running: a connected VPN service, or a socket
 * owned by a known VPN client. The user's own naming (Tunnel Interface, Trusted Tunnels) needs no proof.
 * The root script's `vpn_tunnels` decides the same on the same outputs.
 */
import type { InternetSocket } from "./netstat-sockets";
import { parseProcessNames } from "./process-names";
import type { NetworkConnectionService } from "./scutil-nc";
import { vpnClientOf } from "./vpn-clients";

/**
 * macOS's own PPP VPNs. `scutil --nc list` prints a PPP service's subtype as the type of the interface under
 * it (configd nc.c): L2TP or PPTP for a VPN, the Ethernet, Wi-Fi or modem link for PPPoE and dial-up.
 */
const PPP_VPN_SUBTYPES: ReadonlySet<string> = new Set(["L2TP", "PPTP"]);

const isPppName = (name: string) => /^ppp\d+$/.test(name);

/** A connected L2TP or PPTP service: a VPN that runs over a `ppp` interface. */
export const isConnectedPppVpn = (service: NetworkConnectionService): boolean =>
  service.status === "Connected" && service.type === "PPP" && PPP_VPN_SUBTYPES.has(service.subtype ?? "");

/** A service that is a VPN (System Settings' VPN section), not a PPPoE or dial-up link. */
export const isVpnService = (service: NetworkConnectionService): boolean =>
  service.type === "VPN" ||
  service.type === "IPSec" ||
  (service.type === "PPP" && PPP_VPN_SUBTYPES.has(service.subtype ?? ""));

/** A VPN service `scutil --nc list` shows connected: System Settings' own word that a VPN is up. */
export const hasConnectedVpnService = (services: readonly NetworkConnectionService[] | null): boolean =>
  (services ?? []).some((service) => service.status === "Connected" && isVpnService(service));

/**
 * A socket of any kind owned by a known VPN client: wireguard-go's UDP socket may be unconnected (`*.51820`).
 * The owner is netstat's name (macOS 26) or, where it gives a pid only, what `ps` names that pid.
 */
export function hasVpnClientSocket(sockets: readonly InternetSocket[] | null, processNames: string | null): boolean {
  const names = processNames ? parseProcessNames(processNames) : new Map<number, string>();
  return (sockets ?? []).some((socket) => {
    const comm = socket.owner ? (socket.owner.name ?? names.get(socket.owner.pid) ?? null) : null;
    return comm !== null && vpnClientOf(comm) !== null;
  });
}

/** What shows a VPN running on the Mac, for a utun, ipsec, tun or tap tunnel to be taken for it. */
export interface VpnEvidence {
  services: readonly NetworkConnectionService[] | null;
  sockets: readonly InternetSocket[] | null;
  processNames: string | null;
}

export const vpnSeenRunning = (evidence: VpnEvidence): boolean =>
  hasConnectedVpnService(evidence.services) || hasVpnClientSocket(evidence.sockets, evidence.processNames);

/**
 * The tunnels of `tunnels` (names of those that are up) that may be the VPN: every non-ppp one, and the ppp
 * ones when connected L2TP/PPTP services account for all of them. `scutil --nc list` does not say which
 * interface a service uses, so a PPPoE link beside an L2TP VPN leaves both ppp interfaces unproven: the user
 * names the VPN's in the settings.
 */
export function tunnelsThatMayBeVpn(
  tunnels: readonly string[],
  services: readonly NetworkConnectionService[] | null,
): string[] {
  const ppp = tunnels.filter(isPppName);
  const pppVpns = (services ?? []).filter(isConnectedPppVpn).length;
  const pppProven = ppp.length > 0 && ppp.length <= pppVpns;
  return tunnels.filter((name) => !isPppName(name) || pppProven);
}

/** Why a tunnel carrying the routes to the Internet is not taken for the VPN; null when it may be. */
export function unprovenTunnelNote(name: string, tunnels: readonly string[], evidence: VpnEvidence): string | null {
  const services = evidence.services;
  if (!isPppName(name)) {
    if (vpnSeenRunning(evidence)) return null;
    return `${name} carries the routes to the Internet but nothing shows a VPN behind it (no connected VPN service, no known VPN program's connection); name it in Tunnel Interface or Trusted Tunnels if it is your VPN`;
  }
  if (tunnelsThatMayBeVpn(tunnels, services).includes(name)) return null;
  const ppp = tunnels.filter(isPppName);
  const why =
    services === null
      ? "the VPN services are unknown (scutil --nc list missing)"
      : ppp.length > 1 && services.some(isConnectedPppVpn)
        ? `${ppp.join(", ")} are up and scutil --nc list does not say which one the VPN uses`
        : "no connected L2TP or PPTP VPN service accounts for it";
  return `${name} carries the routes to the Internet but is not taken for the VPN: ${why}; a PPPoE or modem link is blocked like any network (name the VPN's tunnel in Trusted Tunnels if it is one)`;
}
