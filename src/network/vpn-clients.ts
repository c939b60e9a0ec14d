/**
 * The processes whose connections prove a VPN server: what the network cannot forge is which program on the
 * Mac owns a socket. A name is matched as netstat (macOS 26) prints it, or as the last part of the path
 * `ps -o comm=` prints on earlier versions.
 */
export const KNOWN_VPN_CLIENTS: readonly { name: string; why: string }[] = [
  { name: "openvpn", why: "OpenVPN 2, run under this name by the command line, Tunnelblick and Viscosity" },
  { name: "wireguard-go", why: "WireGuard in user space, which wg-quick runs (macOS has no kernel WireGuard)" },
  { name: "WireGuardNetworkExtension", why: "the WireGuard app's packet tunnel provider (a Network Extension)" },
  { name: "NEIKEv2Provider", why: "macOS's own IKEv2 client, a Network Extension provider" },
  { name: "racoon", why: "macOS's IKEv1 daemon, for L2TP over IPsec and Cisco IPsec" },
  { name: "charon", why: "strongSwan's IKE daemon" },
  { name: "openconnect", why: "the OpenConnect client (AnyConnect, GlobalProtect, Pulse servers)" },
  { name: "openfortivpn", why: "the Fortinet SSL VPN client" },
];

/** The kernel keeps 16 characters of a program's name (MAXCOMLEN): a cut name still names its client. */
const MAXCOMLEN = 16;

/** The known client a process name stands for, or null: `/usr/local/sbin/openvpn` -> `openvpn`. */
export function vpnClientOf(processName: string): string | null {
  const name = processName.slice(processName.lastIndexOf("/") + 1);
  for (const client of KNOWN_VPN_CLIENTS) {
    if (name === client.name) return client.name;
    if (name.length === MAXCOMLEN && client.name.startsWith(name)) return client.name;
  }
  return null;
}
