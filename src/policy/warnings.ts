/**
 * What people should know about what the rules trust, in the words preview, verify, the CLI and the HUD show:
 * VPN servers named by host name (the network's DNS chose their address) and tunnels that are up but not
 * trusted as the VPN.
 */
import type { AnchorSummary } from "../pf/anchor";
import { namedSetting } from "../words/settings";

export function trustWarnings(summary: Pick<AnchorSummary, "endpoints" | "untrustedTunnels">): string[] {
  const byHost = new Map<string, string[]>();
  for (const endpoint of summary.endpoints) {
    if (!endpoint.host) continue;
    byHost.set(endpoint.host, [...new Set([...(byHost.get(endpoint.host) ?? []), endpoint.address])]);
  }
  const servers = [...byHost].map(
    ([host, addresses]) =>
      `VPN server ${host} was resolved through this network's DNS, to ${addresses.join(", ")}: the network can point it at any site and relay the VPN through it, which then passes outside the tunnel. Prefer IP:port/proto.`,
  );
  const tunnels = summary.untrustedTunnels.map(
    (name) =>
      `${name} is up but not trusted as the VPN (it does not carry the routes to the Internet, or it is a ppp link no connected VPN service accounts for, such as PPPoE), so it is blocked like Wi-Fi. To let it through, add it to ${namedSetting("trustedTunnels")}.`,
  );
  return [...servers, ...tunnels];
}
