/**
 * Allow Local Network passes private address space on the link, never what the network merely calls local,
 * and never a range the VPN routes into the tunnel, whichever of the two holds the other.
 */
import { describe, expect, it } from "vitest";
import { deriveNetworkState } from "../../src/network/derive";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { buildKillSwitchAnchor, localNetworkOf, summarizeAnchor } from "../../src/pf/anchor";
import { type KillSwitchPolicy, resolvePolicy } from "../../src/policy/policy";
import { parseSettings } from "../../src/policy/settings";
import { ULA_LAN, ULA_VPN_ROUTE, lanInsideVpnRoutesSnapshot, publicLanSnapshot } from "../fakes/hostile-lan";

const NOW = new Date("2026-11-22T12:00:00Z");

/** The rules alone: the comments name the network by its identity, which keeps the network's own prefix. */
const rulesOf = (text: string) =>
  text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .join("\n");

async function lanPolicy(): Promise<KillSwitchPolicy> {
  const parsed = parseSettings({ allowLan: true });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  const resolved = await resolvePolicy(parsed.settings, async () => []);
  if (!resolved.ok) throw new Error(resolved.errors.join("; "));
  return resolved.policy;
}

/** The passes of the local network section(s): what goes to or comes from the LAN. */
const lanPasses = (text: string) =>
  text
    .split("\n")
    .filter((line) =>
      /^pass (out|in) quick on en0 inet6? (from any to|from) [^ ]+( to any)? flags any keep state$/.test(line),
    );

/** The sample Mac with en0's IPv4 address and netmask replaced. */
function withAddress(address: string, mask: string): NetworkSnapshot {
  return {
    ...SAMPLE_SNAPSHOT,
    ifconfig: (SAMPLE_SNAPSHOT.ifconfig ?? "").replace(
      "inet 192.168.1.23 netmask 0xffffff00 broadcast 192.168.1.255",
      `inet ${address} netmask ${mask}`,
    ),
  };
}

describe("Allow Local Network: private address space on the link", () => {
  it("passes nothing of a public /8 and a global /64 the network calls local (case 2)", async () => {
    const policy = await lanPolicy();
    const network = deriveNetworkState(publicLanSnapshot());
    // The identity keeps the network's own word; the link's network is cut to the /16 around the address.
    expect(network.identity?.subnet).toBe("104.0.0.0/8");
    expect(network.physical[0].subnets).toEqual(["104.16.0.0/16", "2001:db8:1a2b:10::/64"]);
    const text = rulesOf(buildKillSwitchAnchor({ policy, network, now: NOW }));
    expect(text).not.toMatch(/104\.0\.0\.0\/8|104\.16\.0\.0\/16|2001:db8:1a2b:10::\/64/);
    expect(lanPasses(text)).toEqual([
      "pass out quick on en0 inet from any to 169.254.0.0/16 flags any keep state",
      "pass in quick on en0 inet from 169.254.0.0/16 to any flags any keep state",
      "pass out quick on en0 inet6 from any to fe80::/10 flags any keep state",
      "pass in quick on en0 inet6 from fe80::/10 to any flags any keep state",
    ]);
    expect(summarizeAnchor({ policy, network, now: NOW }).localNetwork.notLocal).toEqual([
      "104.16.0.0/16",
      "2001:db8:1a2b:10::/64",
    ]);
  });

  it("passes the /16 around the Mac's own address of a private netmask wider than /16", async () => {
    const policy = await lanPolicy();
    for (const [address, mask, lan] of [
      ["10.1.2.3", "0xff000000", "10.1.0.0/16"],
      ["172.20.5.5", "0xfff00000", "172.20.0.0/16"],
      ["192.168.7.9", "0xffff0000", "192.168.0.0/16"],
      ["10.200.1.1", "0x80000000", "10.200.0.0/16"],
    ]) {
      const network = deriveNetworkState(withAddress(address, mask));
      const text = buildKillSwitchAnchor({ policy, network, now: NOW });
      expect(text, address).toContain(`pass out quick on en0 inet from any to ${lan} flags any keep state`);
      expect(text, address).toContain(`pass in quick on en0 inet from ${lan} to any flags any keep state`);
      expect(text, address).not.toMatch(/ 10\.0\.0\.0\/8 | 172\.16\.0\.0\/12 | 0\.0\.0\.0\/1 /);
    }
    // A public address with a mask that reaches into private space is still not local: the /16 around it is public.
    const straddling = deriveNetworkState(withAddress("11.3.4.5", "0xfe000000"));
    expect(summarizeAnchor({ policy, network: straddling, now: NOW }).localNetwork.notLocal).toContain("11.3.0.0/16");
  });

  it("leaves out a LAN that a VPN route holds, with the VPN up and remembered with it down (case 8)", async () => {
    const policy = await lanPolicy();
    const up = deriveNetworkState(lanInsideVpnRoutesSnapshot());
    expect(up.physical[0].subnets).toEqual(["10.20.30.0/24", ULA_LAN, "2001:db8:1a2b:10::/64"]);
    expect(up.tunnelRoutes?.map((route) => route.network)).toEqual(
      expect.arrayContaining(["10.0.0.0/8", ULA_VPN_ROUTE]),
    );
    const text = rulesOf(buildKillSwitchAnchor({ policy, network: up, now: NOW }));
    expect(text).not.toMatch(/10\.20\.30\.0\/24|fd12:3456:789a:1::\/64/);
    expect(summarizeAnchor({ policy, network: up, now: NOW }).localNetwork.routedIntoTunnel).toEqual([
      { network: "10.20.30.0/24", route: "10.0.0.0/8" },
      { network: ULA_LAN, route: ULA_VPN_ROUTE },
    ]);
    // VPN down: the routes recorded at Enable stand in.
    const down = { ...up, tunnels: [], vpnInterface: null, tunnelRoutes: [], endpoints: [] };
    const remembered = ["10.0.0.0/8", ULA_VPN_ROUTE];
    const blocking = rulesOf(
      buildKillSwitchAnchor({ policy, network: down, now: NOW, rememberedTunnelRoutes: remembered }),
    );
    expect(blocking).not.toMatch(/10\.20\.30\.0\/24|fd12:3456:789a:1::\/64/);
    // Without those routes the same LAN is private space on the link, and passed.
    const free = buildKillSwitchAnchor({ policy, network: down, now: NOW });
    expect(free).toContain("pass out quick on en0 inet from any to 10.20.30.0/24 flags any keep state");
    expect(free).toContain(`pass out quick on en0 inet6 from any to ${ULA_LAN} flags any keep state`);
  });

  it("is not cancelled by the routes that carry the Internet (0/1 + 128.0/1, ::/1 + 8000::/1, default)", async () => {
    const policy = await lanPolicy();
    const snapshot = SAMPLE_SNAPSHOT.netstatRoutes ?? "";
    const fullTunnel = {
      ...SAMPLE_SNAPSHOT,
      netstatRoutes: snapshot.replace(
        /^(default {10,}fe80::3ea6)/m,
        "::/1                                    fe80::1%utun4                           UGSc                utun4\n" +
          "8000::/1                                fe80::1%utun4                           UGSc                utun4\n$1",
      ),
    };
    const network = deriveNetworkState(fullTunnel);
    expect(network.tunnelRoutes?.map((route) => route.network)).toEqual(["10.8.0.0/24"]);
    expect(buildKillSwitchAnchor({ policy, network, now: NOW })).toContain(
      "pass out quick on en0 inet from any to 192.168.1.0/24 flags any keep state",
    );
  });

  it("carves out a route inside the LAN, and names exactly what it does with each network", () => {
    expect(
      localNetworkOf(
        ["192.168.1.0/24", "10.20.30.0/24", "104.16.0.0/16", "fd00:1::/64", "192.168.2.0/24"],
        ["192.168.1.128/25", "10.0.0.0/8", "fd00::/16", "192.168.2.0/24", "172.16.0.0/12"],
      ),
    ).toEqual({
      passed: [{ network: "192.168.1.0/24", carvedOut: ["192.168.1.128/25"] }],
      notLocal: ["104.16.0.0/16"],
      routedIntoTunnel: [
        { network: "10.20.30.0/24", route: "10.0.0.0/8" },
        { network: "fd00:1::/64", route: "fd00::/16" },
        { network: "192.168.2.0/24", route: "192.168.2.0/24" },
      ],
    });
  });
});
