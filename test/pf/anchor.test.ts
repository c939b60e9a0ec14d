import { describe, expect, it } from "vitest";
import { buildKillSwitchAnchor, summarizeAnchor } from "../../src/pf/anchor";
import { buildRuleTemplates } from "../../src/watchdog/templates";
import { EMPTY_NETWORK_STATE, type NetworkState } from "../../src/network/state";
import { resolvePolicy, type KillSwitchPolicy } from "../../src/policy/policy";
import { parseSettings, type SettingsInput } from "../../src/policy/settings";

const NOW = new Date("2026-11-22T12:00:00Z");
const HOME = "gw=192.168.1.1,mac=f8:ce:21:39:5b:f4,net=192.168.1.0/24";
const CAFE = "gw=10.0.0.1,mac=00:11:22:33:44:55,net=10.0.0.0/24";

const wifi = { name: "en0", ipv4: ["192.168.1.23"], ipv6: ["fe80::1c2a:5ff:fe3b:1"], subnets: ["192.168.1.0/24"] };
const homeIdentity = {
  id: HOME,
  gatewayIpv4: "192.168.1.1",
  gatewayMac: "f8:ce:21:39:5b:f4",
  subnet: "192.168.1.0/24",
  label: null,
  security: "WPA2_PSK",
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
    physical: [wifi, { name: "en8", ipv4: ["10.1.2.3"], ipv6: [], subnets: ["10.1.2.0/24"] }],
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
      expect(rules.slice(-2)).toEqual(["block return out log (user) quick all", "block drop in log (user) quick all"]);
      // Every block logs with the socket's user and process (pf's pflog header); no pass logs.
      for (const line of rules) expect(line, line).toMatch(/^block .* log \(user\) quick |^pass (?!.*\blog\b)/);
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
    expect(text).toContain("pass out quick inet proto udp from any to 203.0.113.5 port 51820 keep state (if-bound)");
    // Out only: an inbound pass would let anyone spoofing the server reach every local port.
    expect(text).not.toMatch(/pass in .*203\.0\.113\.5/);
    expect(summarizeAnchor({ policy, network: states.noVpn, now: NOW }).blockingMode).toBe(true);
  });

  it("VPN on a utun with split routes: the tunnel named exactly, the endpoint from the routes allowed", async () => {
    const policy = await policyOf({});
    const text = buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW });
    expect(text).toContain("pass out quick on utun4 all flags any keep state (if-bound)");
    expect(text).toContain("pass out quick inet from any to 198.51.100.7 flags any keep state (if-bound)");
    expect(text).not.toMatch(/pass in .*198\.51\.100\.7/);
  });

  it("a server seen in the routes gets the protocol and port of the VPN's connection to it", async () => {
    const policy = await policyOf({});
    const network = {
      ...states.splitUtun,
      serverConnections: [{ address: "198.51.100.7", protocol: "udp" as const, port: 1194 }],
    };
    const rules = ruleLines(buildKillSwitchAnchor({ policy, network, now: NOW }));
    expect(rules.filter((line) => line.includes("198.51.100.7"))).toEqual([
      "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)",
    ]);
    // Without that evidence, every protocol to it, out only.
    const unknown = ruleLines(buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW }));
    expect(unknown.filter((line) => line.includes("198.51.100.7"))).toEqual([
      "pass out quick inet from any to 198.51.100.7 flags any keep state (if-bound)",
    ]);
  });

  it("a server the settings name is passed on their port only, even when the routes show it too", async () => {
    const policy = await policyOf({ vpnServers: ["198.51.100.7:1194/udp"] });
    const rules = ruleLines(buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW }));
    expect(rules.filter((line) => line.includes("198.51.100.7"))).toEqual([
      "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)",
    ]);
  });

  it("IKEv2: udp 500 and 4500 and ESP to the server, nothing else; an ipsec tunnel makes a seen server IKEv2", async () => {
    const policy = await policyOf({ vpnServers: ["vpn.example.net/ikev2"] });
    const text = buildKillSwitchAnchor({ policy, network: states.ikev2, now: NOW });
    expect(text).toContain("pass out quick on ipsec0 all flags any keep state (if-bound)");
    expect(text).toContain(
      "pass out quick inet proto udp from any to 198.51.100.20 port { 500, 4500 } keep state (if-bound)",
    );
    expect(text).toContain("pass out quick inet proto esp from any to 198.51.100.20 keep state (if-bound)");
    expect(text).toContain("pass out quick inet6 proto esp from any to 2001:db8::20 keep state (if-bound)");
    expect(text).not.toMatch(/to 198\.51\.100\.20 flags any/);
    const seen = buildKillSwitchAnchor({
      policy: await policyOf({}),
      network: { ...states.ikev2, endpoints: ["198.51.100.30"] },
      now: NOW,
    });
    expect(seen).toContain("pass out quick inet proto esp from any to 198.51.100.30 keep state (if-bound)");
  });

  it("two physical interfaces: link plumbing on each by name, nothing routed; the final block covers both", async () => {
    const policy = await policyOf({});
    const text = buildKillSwitchAnchor({ policy, network: states.twoPhysical, now: NOW });
    for (const link of ["en0", "en8"]) {
      expect(text).toContain(`# Link plumbing on ${link}`);
      expect(text).toContain(
        `pass out quick on ${link} inet proto udp from any port 68 to 255.255.255.255 port 67 keep state`,
      );
    }
    expect(text).toContain("pass out quick on utun5 all flags any keep state (if-bound)");
    expect(text).not.toMatch(/^pass (in )?quick on utun5/m);
  });

  it("trusts the tunnel carrying the default route and the ones the settings name, no other", async () => {
    const tailscale = { name: "utun6", ipv4: ["100.101.102.103"], ipv6: [] };
    const network = { ...states.splitUtun, tunnels: [...states.splitUtun.tunnels, tailscale] };
    const text = buildKillSwitchAnchor({ policy: await policyOf({}), network, now: NOW });
    expect(text).toContain("pass out quick on utun4 all");
    expect(text).not.toContain("on utun6");
    expect(summarizeAnchor({ policy: await policyOf({}), network, now: NOW }).untrustedTunnels).toEqual(["utun6"]);
    const named = buildKillSwitchAnchor({ policy: await policyOf({ trustedTunnels: ["utun6"] }), network, now: NOW });
    expect(named).toContain("pass out quick on utun6 all flags any keep state (if-bound)");
    // A split tunnel that carries no default route is not the VPN until it is named.
    const split = { ...network, vpnInterface: null, defaultInterface: "en0" };
    expect(buildKillSwitchAnchor({ policy: await policyOf({}), network: split, now: NOW })).toContain("blocking mode");
  });

  it("IPv6 present: IPv6 tunnel passes; DHCPv6 and neighbour discovery stay link-scoped", async () => {
    const policy = await policyOf({ vpnServers: ["[2001:db8::9]:443/tcp"] });
    const text = buildKillSwitchAnchor({ policy, network: states.ipv6, now: NOW });
    expect(text).toContain("pass out quick on utun7 all flags any keep state (if-bound)");
    expect(text).toContain(
      "pass out quick inet6 proto tcp from any to 2001:db8::9 port 443 flags any keep state (if-bound)",
    );
    expect(text).toContain(
      "pass out quick on en0 inet6 proto udp from fe80::/10 port 546 to ff02::1:2 port 547 keep state",
    );
    expect(text).toMatch(
      /pass out quick on en0 inet6 proto icmp6 from any to \{ fe80::\/10, ff02::\/16 \} icmp6-type \{ 133, 134, 135, 136, 137, 143 \} no state/,
    );
    // MLD queries (130) come in; nothing but neighbour discovery types does.
    expect(text).toContain(
      "pass in quick on en0 inet6 proto icmp6 from any to any icmp6-type { 130, 133, 134, 135, 136, 137 } no state",
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
    // Only the network en0 is attached to, and link-local; never all of RFC 1918 or ULA.
    expect(on).toContain("pass out quick on en0 inet from any to 192.168.1.0/24 flags any keep state");
    expect(on).toContain("pass in quick on en0 inet from 192.168.1.0/24 to any flags any keep state");
    expect(on).toContain("pass out quick on en0 inet6 from any to fe80::/10 flags any keep state");
    expect(on).not.toMatch(/192\.168\.0\.0\/16|10\.0\.0\.0\/8|fc00::\/7/);
    expect(ruleLines(off).join("\n")).not.toContain("192.168.1.0/24");
    // An interface whose subnets are unknown gets link-local only.
    const unknown = { ...states.splitUtun, physical: [{ ...wifi, subnets: undefined }] };
    const linkLocalOnly = buildKillSwitchAnchor({
      policy: await policyOf({ allowLan: true }),
      network: unknown,
      now: NOW,
    });
    expect(ruleLines(linkLocalOnly).join("\n")).not.toContain("192.168.1.0/24");
  });

  it("keeps a part of the LAN that the VPN routes into the tunnel off the link, also once the VPN is down", async () => {
    const policy = await policyOf({ vpnServers: ["198.51.100.7:1194/udp"], allowLan: true });
    // The VPN routes 192.168.1.128/25 (its own network) and 10/8 into utun4; the Mac's LAN is 192.168.1.0/24.
    const tunnelRoutes = ["192.168.1.128/25", "10.0.0.0/8", "10.8.0.0/24"].map((network) => ({
      network,
      tunnel: "utun4",
    }));
    const network = { ...states.splitUtun, tunnelRoutes };
    const lines = ruleLines(buildKillSwitchAnchor({ policy, network, now: NOW }));
    const out = lines.indexOf("block return out log (user) quick on en0 inet from any to 192.168.1.128/25");
    const into = lines.indexOf("block drop in log (user) quick on en0 inet from 192.168.1.128/25 to any");
    const lan = lines.indexOf("pass out quick on en0 inet from any to 192.168.1.0/24 flags any keep state");
    expect(out).toBeGreaterThan(-1);
    expect(into).toBe(out + 1);
    expect(lan).toBe(out + 2);
    // A route wider than the LAN does not take it over (the kernel sends the LAN to the link); others are no LAN.
    expect(lines.join("\n")).not.toMatch(/10\.0\.0\.0\/8|10\.8\.0\.0\/24/);
    expect(summarizeAnchor({ policy, network, now: NOW }).routedIntoTunnel).toEqual([
      "192.168.1.128/25",
      "10.0.0.0/8",
      "10.8.0.0/24",
    ]);
    // With the VPN down the routes are gone: those recorded at Enable stand in. Another app's tunnel does not count.
    const down = { ...states.noVpn, tunnelRoutes: [] };
    const remembered = ruleLines(
      buildKillSwitchAnchor({ policy, network: down, now: NOW, rememberedTunnelRoutes: ["192.168.1.128/25"] }),
    );
    expect(remembered).toContain("block return out log (user) quick on en0 inet from any to 192.168.1.128/25");
    const tailscale = {
      ...states.splitUtun,
      tunnels: [...states.splitUtun.tunnels, { name: "utun9", ipv4: ["100.101.1.2"], ipv6: [] }],
      tunnelRoutes: [{ network: "192.168.1.0/26", tunnel: "utun9" }],
    };
    expect(ruleLines(buildKillSwitchAnchor({ policy, network: tailscale, now: NOW })).join("\n")).not.toContain(
      "192.168.1.0/26",
    );
  });

  it("DNS outside the tunnel is blocked before LAN and exceptions; configured resolvers come first", async () => {
    const policy = await policyOf({
      allowLan: true,
      dnsResolvers: ["9.9.9.9"],
      exceptions: [{ address: "192.168.1.1" }],
    });
    const lines = ruleLines(buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW }));
    const dnsBlock = lines.indexOf(
      "block return out log (user) quick proto { tcp, udp } from any to any port { 53, 853 }",
    );
    const resolver = lines.findIndex((l) => l.includes("to 9.9.9.9 port { 53, 853 }"));
    const lan = lines.indexOf("pass out quick on en0 inet from any to 192.168.1.0/24 flags any keep state");
    const exception = lines.findIndex((l) => l.includes("to 192.168.1.1 flags any keep state"));
    expect(lan).toBeGreaterThan(-1);
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
    const onEn0 = {
      ...states.splitUtun,
      gateway: { ipv4: "192.168.1.1", mac: homeIdentity.gatewayMac, interface: "en0" },
    };
    const text = buildKillSwitchAnchor({ policy, network: onEn0, now: NOW });
    // This network's exception passes on its link only (the router's interface, en0).
    expect(text).toContain(
      "pass out quick on en0 inet proto tcp from any to 192.168.1.20 port 631 flags any keep state",
    );
    expect(text).toContain("pass out quick inet from any to 192.0.2.44 flags any keep state");
    expect(text).toContain("pass out quick inet from any to 192.168.1.31 flags any keep state");
    expect(text).not.toContain("10.0.0.50");
    expect(text).not.toContain("192.168.1.30");
    expect(text).not.toContain("192.168.1.40");
    // On an unidentified network only the all-networks exceptions apply.
    const unknown = buildKillSwitchAnchor({ policy, network: { ...onEn0, identity: null }, now: NOW });
    expect(unknown).not.toContain("192.168.1.20");
    expect(unknown).toContain("192.0.2.44");
  });

  it("an exception with ports but no protocol covers tcp and udp; ranges use pf's inclusive form", async () => {
    const policy = await policyOf({ exceptions: [{ address: "192.168.1.0/24", port: "8000-8080,9100" }] });
    const text = buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW });
    expect(text).toContain(
      "pass out quick inet proto tcp from any to 192.168.1.0/24 port { 8000:8080, 9100 } flags any keep state",
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
    expect(on).toContain("pass out quick on awdl0 inet6 from any to { fe80::/10, ff02::/16 } flags any keep state");
    expect(off).not.toContain("5353");
    expect(off).not.toContain("awdl0");
  });

  it("AirDrop and Continuity take in, without state, only Bonjour, neighbour discovery and their own ports", async () => {
    const text = buildKillSwitchAnchor({ policy: await policyOf({}), network: states.splitUtun, now: NOW });
    for (const name of ["awdl0", "llw0"]) {
      expect(text.split("\n").filter((line) => line.startsWith(`pass in quick on ${name} `))).toEqual([
        `pass in quick on ${name} inet6 proto udp from fe80::/10 to { fe80::/10, ff02::fb } port 5353 no state`,
        `pass in quick on ${name} inet6 proto icmp6 from fe80::/10 to { fe80::/10, ff02::/16 } icmp6-type { 135, 136 } no state`,
        `pass in quick on ${name} inet6 proto tcp from fe80::/10 to fe80::/10 port { 8770, 49152:65535 } no state`,
      ]);
    }
  });

  it("a tunnel override replaces detection", async () => {
    const policy = await policyOf({ tunnelInterface: "utun9" });
    const text = buildKillSwitchAnchor({ policy, network: states.noVpn, now: NOW });
    expect(text).toContain("pass out quick on utun9 all flags any keep state (if-bound)");
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
    expect(open).toContain("pass out quick proto tcp from any to any port { 80, 443 } flags any keep state");
    expect(closed).not.toContain("port { 80, 443 }");
  });

  it("user text in comments stays one comment line (a label cannot inject a rule)", async () => {
    const policy = await policyOf({ exceptions: [{ address: "192.168.1.20", label: "Printer\npass out quick all" }] });
    const text = buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW });
    expect(text.split("\n")).not.toContain("pass out quick all");
    expect(text).toContain("# Exception: Printer pass out quick all (all networks)");
  });

  it("DHCPv4 goes to the broadcast address only, on the physical links: port 68 is no path to routed hosts", async () => {
    const policy = await policyOf({});
    const carrier = { ...states.noVpn, gateway: { ipv4: "100.64.0.1", mac: null, interface: "en0" } };
    const text = buildKillSwitchAnchor({ policy, network: carrier, now: NOW });
    const dhcp = ruleLines(text).filter((line) => line.includes("port 67"));
    expect(dhcp).toEqual([
      "pass out quick on en0 inet proto udp from any port 68 to 255.255.255.255 port 67 keep state",
      "pass in quick on en0 inet proto udp from any port 67 to any port 68 no state",
    ]);
  });
});

describe("VPN servers found at an earlier Enable", () => {
  const remembered = [{ address: "198.51.100.7", protocol: "udp" as const, port: 1194 }];
  const serverPass = "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)";

  it("are passed while the routes show no server, and give way to the VPN's connection when there is one", async () => {
    const policy = await policyOf({});
    const down = buildKillSwitchAnchor({ policy, network: states.noVpn, now: NOW, rememberedServers: remembered });
    expect(ruleLines(down)).toContain(serverPass);
    expect(summarizeAnchor({ policy, network: states.noVpn, now: NOW, rememberedServers: remembered })).toMatchObject({
      blockingMode: true,
      endpoints: remembered,
    });
    // The routes show the server now with no connection to read its transport from: the recorded one stands.
    const up = buildKillSwitchAnchor({ policy, network: states.splitUtun, now: NOW, rememberedServers: remembered });
    expect(ruleLines(up)).toContain(serverPass);
    expect(ruleLines(up).join("\n")).not.toContain("pass out quick inet from any to 198.51.100.7 flags any");
    // The VPN's open connection is evidence, and replaces the record.
    const connected = {
      ...states.splitUtun,
      serverConnections: [{ address: "198.51.100.7", protocol: "tcp" as const, port: 443 }],
    };
    const seen = ruleLines(
      buildKillSwitchAnchor({ policy, network: connected, now: NOW, rememberedServers: remembered }),
    );
    expect(seen).not.toContain(serverPass);
    expect(seen).toContain(
      "pass out quick inet proto tcp from any to 198.51.100.7 port 443 flags any keep state (if-bound)",
    );
  });

  it("are left to the settings when the settings name the same address", async () => {
    const policy = await policyOf({ vpnServers: ["198.51.100.7:443/tcp"] });
    const rules = ruleLines(
      buildKillSwitchAnchor({ policy, network: states.noVpn, now: NOW, rememberedServers: remembered }),
    );
    expect(rules.filter((line) => line.includes("198.51.100.7"))).toEqual([
      "pass out quick inet proto tcp from any to 198.51.100.7 port 443 flags any keep state (if-bound)",
    ]);
  });

  it("every watchdog template passes every server, the no-tunnel variant too", async () => {
    const policy = await policyOf({});
    const templates = buildRuleTemplates({ policy, network: states.splitUtun, now: NOW });
    const serverLine = "pass out quick inet from any to 198.51.100.7 flags any keep state (if-bound)";
    expect(templates.other.split("\n")).toContain(serverLine);
    expect(templates.other).not.toMatch(/^#@@ [a-z-]+:pass out quick inet from any to 198\.51\.100\.7/m);
  });
});
