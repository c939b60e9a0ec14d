import { describe, expect, it } from "vitest";
import { buildKillSwitchAnchor, summarizeAnchor } from "../../src/pf/anchor";
import { EMPTY_NETWORK_STATE, type NetworkState } from "../../src/network/state";
import { resolvePolicy, type KillSwitchPolicy } from "../../src/policy/policy";
import { parseSettings, type SettingsInput } from "../../src/policy/settings";

const NOW = new Date("2026-11-22T12:00:00Z");
const HOME = "gw=192.168.1.1,mac=f8:ce:21:39:5b:f4,net=192.168.1.0/24";
const CAFE = "gw=10.0.0.1,mac=00:11:22:33:44:55,net=10.0.0.0/24";

const wifi = { name: "en0", ipv4: ["192.168.1.23"], ipv6: ["fe80::1c2a:5ff:fe3b:1"] };
const homeIdentity = {
  id: HOME,
  gatewayIpv4: "192.168.1.1",
  gatewayMac: "f8:ce:21:39:5b:f4",
  subnet: "192.168.1.0/24",
  label: null,
};

const states: Record<string, NetworkState> = {
  noVpn: { ...EMPTY_NETWORK_STATE, physical: [wifi], defaultInterface: "en0", identity: homeIdentity },
  splitUtun: {
    ...EMPTY_NETWORK_STATE,
    physical: [wifi],
    tunnels: [{ name: "utun4", ipv4: ["10.8.0.2"], ipv6: [] }],
    defaultInterface: "utun4",
    vpnInterface: "utun4",
    endpoints: ["198.51.100.7"],
    identity: homeIdentity,
  },
  ikev2: {
    ...EMPTY_NETWORK_STATE,
    physical: [wifi],
    tunnels: [{ name: "ipsec0", ipv4: ["10.10.0.5"], ipv6: [] }],
    defaultInterface: "ipsec0",
    vpnInterface: "ipsec0",
    identity: homeIdentity,
  },
  twoPhysical: {
    ...EMPTY_NETWORK_STATE,
    physical: [wifi, { name: "en8", ipv4: ["10.1.2.3"], ipv6: [] }],
    tunnels: [{ name: "utun5", ipv4: ["10.8.0.2"], ipv6: ["fd00:8::2"] }],
    defaultInterface: "utun5",
    vpnInterface: "utun5",
    identity: homeIdentity,
  },
  ipv6: {
    ...EMPTY_NETWORK_STATE,
    physical: [{ ...wifi, ipv6: [...wifi.ipv6, "2001:db8:1::23"] }],
    tunnels: [{ name: "utun7", ipv4: [], ipv6: ["2001:db8:ffff::2"] }],
    defaultInterface: "utun7",
    vpnInterface: "utun7",
    identity: homeIdentity,
  },
};

async function policyOf(input: SettingsInput): Promise<KillSwitchPolicy> {
  const parsed = parseSettings(input);
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  const resolved = await resolvePolicy(parsed.settings, async (host) =>
    host === "vpn.example.net" ? ["198.51.100.20", "2001:db8::20"] : [],
  );
  if (!resolved.ok) throw new Error(resolved.errors.join("; "));
  return resolved.policy;
}

const ruleLines = (text: string) => text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));

describe("buildKillSwitchAnchor: invariants over every state", () => {
  it.each(Object.entries(states))(
    "%s: quick everywhere, no options, no bare families, final newline",
    async (_, network) => {
      const policy = await policyOf({ vpnServers: ["203.0.113.5:51820/udp"], allowLan: true });
      const text = buildKillSwitchAnchor({ policy, network, now: NOW });
      expect(text.endsWith("\n")).toBe(true);
      for (const line of ruleLines(text)) {
        expect(line, line).toMatch(/^(pass|block) .*\bquick\b/);
        expect(line).not.toMatch(/^set /);
        expect(line).not.toMatch(/\bon (utun|tun|tap|ipsec|ppp|en)(\s|$)/);
      }
      const rules = ruleLines(text);
      expect(rules.slice(-2)).toEqual(["block return out quick all", "block drop in quick all"]);
      expect(buildKillSwitchAnchor({ policy, network, now: NOW })).toBe(text);
    },
  );
});

describe("buildKillSwitchAnchor: settings x network states", () => {
  it("no VPN yet: blocking mode, only the configured server and plumbing leave", async () => {
    const policy = await policyOf({ vpnServers: ["203.0.113.5:51820/udp"] });
    const text = buildKillSwitchAnchor({ policy, network: states.noVpn, now: NOW });
    expect(text).toContain("blocking mode");
    expect(text).not.toMatch(/pass quick on (utun|ipsec|ppp)/);
    expect(text).toContain("pass out quick inet proto udp from any to 203.0.113.5 port 51820 keep state");
    expect(text).toContain("pass in quick inet proto udp from 203.0.113.5 port 51820 to any no state");
    expect(summarizeAnchor({ policy, network: states.noVpn, now: NOW }).blockingMode).toBe(true);
  });

  it("VPN on a utun with split routes: the tunnel named exactly, the endpoint from the routes allowed", async () => {
    const policy = await policyOf({});
    const text = buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW });
    expect(text).toContain("pass quick on utun4 all");
    expect(text).toContain("pass out quick inet from any to 198.51.100.7 flags any keep state");
    expect(text).toContain("pass in quick inet from 198.51.100.7 to any no state");
  });

  it("IKEv2 on ipsec0: the tunnel passes and a server without port is reachable over any protocol (ESP too)", async () => {
    const policy = await policyOf({ vpnServers: ["vpn.example.net"] });
    const text = buildKillSwitchAnchor({ policy, network: states.ikev2, now: NOW });
    expect(text).toContain("pass quick on ipsec0 all");
    expect(text).toContain("pass out quick inet from any to 198.51.100.20 flags any keep state");
    expect(text).toContain("pass out quick inet6 from any to 2001:db8::20 flags any keep state");
  });

  it("two physical interfaces: nothing is passed per physical interface; the final block covers both", async () => {
    const policy = await policyOf({});
    const text = buildKillSwitchAnchor({ policy, network: states.twoPhysical, now: NOW });
    expect(text).not.toMatch(/ on en\d/);
    expect(text).toContain("pass quick on utun5 all");
  });

  it("IPv6 present: IPv6 tunnel passes; DHCPv6 and neighbour discovery stay link-scoped", async () => {
    const policy = await policyOf({ vpnServers: ["[2001:db8::9]:443/tcp"] });
    const text = buildKillSwitchAnchor({ policy, network: states.ipv6, now: NOW });
    expect(text).toContain("pass quick on utun7 all");
    expect(text).toContain("pass out quick inet6 proto tcp from any to 2001:db8::9 port 443 flags any keep state");
    expect(text).toContain(
      "pass out quick inet6 proto udp from fe80::/10 port 546 to { ff02::1:2, ff05::1:3 } port 547 keep state",
    );
    expect(text).toMatch(
      /pass out quick inet6 proto icmp6 from any to \{ fe80::\/10, ff02::\/16 \} icmp6-type \{ 133, 134, 135, 136, 137, 143 \} no state/,
    );
  });

  it("LAN allowed and not", async () => {
    const on = buildKillSwitchAnchor({
      policy: await policyOf({ allowLan: true }),
      network: states.splitUtun,
      now: NOW,
    });
    const off = buildKillSwitchAnchor({
      policy: await policyOf({ allowLan: false }),
      network: states.splitUtun,
      now: NOW,
    });
    expect(on).toContain("pass out quick inet from any to 192.168.0.0/16 keep state");
    expect(on).toContain("pass in quick inet6 from fc00::/7 to any keep state");
    expect(off).not.toContain("192.168.0.0/16 keep state");
  });

  it("DNS outside the tunnel is blocked before LAN and exceptions; configured resolvers come first", async () => {
    const policy = await policyOf({
      allowLan: true,
      dnsResolvers: ["9.9.9.9"],
      exceptions: [{ address: "192.168.1.1" }],
    });
    const lines = ruleLines(buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW }));
    const dnsBlock = lines.indexOf("block return out quick proto { tcp, udp } from any to any port { 53, 853 }");
    const resolver = lines.findIndex((l) => l.includes("to 9.9.9.9 port { 53, 853 }"));
    const lan = lines.indexOf("pass out quick inet from any to 192.168.0.0/16 keep state");
    const exception = lines.findIndex((l) => l.includes("to 192.168.1.1 keep state"));
    expect(resolver).toBeGreaterThan(-1);
    expect(resolver).toBeLessThan(dnsBlock);
    expect(dnsBlock).toBeLessThan(lan);
    expect(dnsBlock).toBeLessThan(exception);
  });

  it("exceptions: this network and all networks present; another network, expired and disabled absent", async () => {
    const policy = await policyOf({
      exceptions: [
        { address: "192.168.1.20", port: 631, protocol: "tcp", scope: HOME, label: "Printer" },
        { address: "192.0.2.44", label: "Everywhere" },
        { address: "10.0.0.50", scope: CAFE, label: "Cafe NAS" },
        { address: "192.168.1.30", expiresAt: "2026-11-22T11:59:00Z", label: "Expired" },
        { address: "192.168.1.31", expiresAt: "2026-11-22T13:00:00Z", label: "Still valid" },
        { address: "192.168.1.40", enabled: false, label: "Off" },
      ],
    });
    const text = buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW });
    expect(text).toContain("pass out quick inet proto tcp from any to 192.168.1.20 port 631 keep state");
    expect(text).toContain("pass out quick inet from any to 192.0.2.44 keep state");
    expect(text).toContain("pass out quick inet from any to 192.168.1.31 keep state");
    expect(text).not.toContain("10.0.0.50");
    expect(text).not.toContain("192.168.1.30");
    expect(text).not.toContain("192.168.1.40");
    // On an unidentified network only the all-networks exceptions apply.
    const unknown = buildKillSwitchAnchor({ policy, network: { ...states.splitUtun, identity: null }, now: NOW });
    expect(unknown).not.toContain("192.168.1.20");
    expect(unknown).toContain("192.0.2.44");
  });

  it("an exception with ports but no protocol covers tcp and udp; ranges use pf's inclusive form", async () => {
    const policy = await policyOf({ exceptions: [{ address: "192.168.1.0/24", port: "8000-8080,9100" }] });
    const text = buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW });
    expect(text).toContain(
      "pass out quick inet proto tcp from any to 192.168.1.0/24 port { 8000:8080, 9100 } keep state",
    );
    expect(text).toContain(
      "pass out quick inet proto udp from any to 192.168.1.0/24 port { 8000:8080, 9100 } keep state",
    );
  });

  it("discovery and AirDrop can be turned off", async () => {
    const on = buildKillSwitchAnchor({ policy: await policyOf({}), network: states.splitUtun, now: NOW });
    const off = buildKillSwitchAnchor({
      policy: await policyOf({ allowDiscovery: false, allowAirDrop: false }),
      network: states.splitUtun,
      now: NOW,
    });
    expect(on).toContain("224.0.0.251 port 5353");
    expect(on).toContain("pass out quick on awdl0 inet6 from any to { fe80::/10, ff02::/16 } keep state");
    expect(off).not.toContain("5353");
    expect(off).not.toContain("awdl0");
  });

  it("a tunnel override replaces detection", async () => {
    const policy = await policyOf({ tunnelInterface: "utun9" });
    const text = buildKillSwitchAnchor({ policy, network: states.noVpn, now: NOW });
    expect(text).toContain("pass quick on utun9 all");
  });

  it("the captive portal window opens web and DNS only while it lasts", async () => {
    const policy = await policyOf({});
    const open = buildKillSwitchAnchor({
      policy,
      network: states.noVpn,
      now: NOW,
      captivePortalUntil: new Date(NOW.getTime() + 120_000),
    });
    const closed = buildKillSwitchAnchor({
      policy,
      network: states.noVpn,
      now: NOW,
      captivePortalUntil: new Date(NOW.getTime() - 1),
    });
    expect(open).toContain("pass out quick proto tcp from any to any port { 80, 443 } keep state");
    expect(closed).not.toContain("port { 80, 443 }");
  });

  it("user text in comments stays one comment line (a label cannot inject a rule)", async () => {
    const policy = await policyOf({ exceptions: [{ address: "192.168.1.20", label: "Printer\npass out quick all" }] });
    const text = buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW });
    expect(text.split("\n")).not.toContain("pass out quick all");
    expect(text).toContain("# Exception: Printer pass out quick all (all networks)");
  });

  it("DHCPv4 is limited to broadcast and local servers, plus a gateway outside private ranges", async () => {
    const policy = await policyOf({});
    const carrier = { ...states.noVpn, gateway: { ipv4: "100.64.0.1", mac: null, interface: "en0" } };
    const text = buildKillSwitchAnchor({ policy, network: carrier, now: NOW });
    expect(text).toContain(
      "pass out quick inet proto udp from any port 68 to { 255.255.255.255, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, 100.64.0.1 } port 67 keep state",
    );
  });
});
