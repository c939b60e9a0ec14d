import { describe, expect, it } from "vitest";
import { summarizeAnchor } from "../../src/pf/anchor";
import { resolvePolicy } from "../../src/policy/policy";
import { parseSettings } from "../../src/policy/settings";
import { trustWarnings } from "../../src/policy/warnings";
import { NETWORKS, NOW } from "../verify/scenarios";

async function summaryOf(input: unknown, network = NETWORKS.vpnUp) {
  const parsed = parseSettings(input);
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  const resolved = await resolvePolicy(parsed.settings, async () => ["198.51.100.20", "2001:db8::20"]);
  if (!resolved.ok) throw new Error(resolved.errors.join("; "));
  return summarizeAnchor({ policy: resolved.policy, network, now: NOW });
}

describe("trustWarnings", () => {
  it("flags a VPN server named by host name, with the addresses this network's DNS gave", async () => {
    const summary = await summaryOf({ vpnServers: ["vpn.example.net:1194/udp", "198.51.100.9:443/tcp"] });
    expect(trustWarnings(summary)).toEqual([
      "VPN server vpn.example.net was resolved through this network's DNS, to 198.51.100.20, 2001:db8::20: the network can point it at any site and relay the VPN through it, which then passes outside the tunnel. Prefer IP:port/proto.",
    ]);
  });

  it("names a tunnel that is up but not trusted, and how to trust it", async () => {
    const tailscale = { name: "utun6", ipv4: ["100.101.102.103"], ipv6: [] };
    const network = { ...NETWORKS.vpnUp, tunnels: [...NETWORKS.vpnUp.tunnels, tailscale] };
    const summary = await summaryOf({}, network);
    expect(trustWarnings(summary)).toEqual([
      "utun6 is up but not trusted as the VPN (it does not carry the routes to the Internet, or it is a ppp link no connected VPN service accounts for, such as PPPoE), so it is blocked like Wi-Fi. To let it through, add it to Trusted Tunnels (trustedTunnels).",
    ]);
    expect(trustWarnings(await summaryOf({ trustedTunnels: ["utun6"] }, network))).toEqual([]);
  });

  it("says nothing when servers are addresses and every tunnel is trusted", async () => {
    expect(trustWarnings(await summaryOf({ vpnServers: ["198.51.100.7:1194/udp"] }))).toEqual([]);
  });
});
