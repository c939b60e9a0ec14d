import { describe, expect, it } from "vitest";
import { buildFailClosedAnchor, buildKillSwitchAnchor } from "../../src/pf/anchor";
import type { NetworkState } from "../../src/network/state";
import type { KillSwitchPolicy } from "../../src/policy/policy";
import { type Packet, evaluatePacket } from "../../src/verify/evaluate";
import { lintRuleset } from "../../src/verify/lint";
import { parsePfRules } from "../../src/verify/parse-rules";
import { type ClauseId, policyProbes, verifyRuleset } from "../../src/verify/verify-policy";
import { NETWORKS, NOW, type NetworkName, SETTINGS, type SettingsName, policyOf } from "./scenarios";

const settingsNames = Object.keys(SETTINGS) as SettingsName[];
const networkNames = Object.keys(NETWORKS) as NetworkName[];

async function build(settings: SettingsName, network: NetworkName, captivePortalUntil?: Date) {
  const policy = await policyOf(SETTINGS[settings]);
  const input = { policy, network: NETWORKS[network] as NetworkState, now: NOW, captivePortalUntil };
  return { input, text: buildKillSwitchAnchor(input) };
}

function failuresOf(result: ReturnType<typeof verifyRuleset>): string[] {
  return result.clauses.flatMap((c) =>
    c.failures.map((f) => `${c.id}: ${f.description} expected ${f.expected}, got ${f.actual}`),
  );
}

describe("the builder's rulesets over settings x network states", () => {
  for (const settings of settingsNames) {
    for (const network of networkNames) {
      it(`${settings} on ${network}: every clause holds and the text lints clean`, async () => {
        const { input, text } = await build(settings, network);
        const result = verifyRuleset(text, input);
        expect(result.parseErrors).toEqual([]);
        // A server seen in the routes with no connection to read its port from gets every protocol, with a
        // warning; nothing else is found.
        expect(lintRuleset(text).filter((finding) => finding.id !== "every-protocol-to-host")).toEqual([]);
        expect(failuresOf(result)).toEqual([]);
        expect(result.passed).toBe(true);
        const checked = Object.fromEntries(result.clauses.map((c) => [c.id, c.checked]));
        for (const id of [
          "loopback",
          "outside-blocked",
          "link-plumbing",
          "dns",
          "discovery",
          "lan",
          "airdrop",
        ] as ClauseId[]) {
          expect(checked[id], id).toBeGreaterThan(0);
        }
        const hasTunnel = input.policy.tunnelOverride !== null || input.network.tunnels.length > 0;
        expect(checked.tunnel > 0).toBe(hasTunnel);
        expect(checked["blocking-mode"] > 0).toBe(!hasTunnel);
      });
    }
  }

  it("while a captive portal window is open: DNS and web ports pass, everything else stays blocked", async () => {
    const until = new Date(NOW.getTime() + 5 * 60_000);
    const { input, text } = await build("base", "vpnDown", until);
    const result = verifyRuleset(text, input);
    expect(failuresOf(result)).toEqual([]);
    expect(result.clauses.find((c) => c.id === "captive-portal")?.checked).toBeGreaterThan(0);
  });

  it("covers every interface kind, direction, family and protocol in the matrix", async () => {
    const probes = [];
    for (const settings of [SETTINGS.exceptions, SETTINGS.resolvers]) {
      const policy = await policyOf(settings);
      probes.push(...policyProbes({ policy, network: NETWORKS.vpnUp, now: NOW }).probes);
    }
    const interfaces = new Set(probes.map((p) => p.packet.interface));
    for (const name of ["lo0", "utun4", "en0", "en7", "bridge100", "awdl0", "llw0", "utun5", "ipsec0", "ppp0"]) {
      expect(interfaces, name).toContain(name);
    }
    const shapes = new Set(probes.map((p) => `${p.packet.direction} ${p.packet.family} ${p.packet.protocol}`));
    for (const shape of [
      "out inet tcp",
      "out inet udp",
      "out inet icmp",
      "out inet esp",
      "in inet tcp",
      "in inet udp",
      "out inet6 tcp",
      "out inet6 udp",
      "out inet6 icmp6",
      "in inet6 icmp6",
      "in inet6 udp",
    ]) {
      expect(shapes, shape).toContain(shape);
    }
    const destinations = new Set(probes.map((p) => p.packet.destination));
    for (const address of [
      "198.51.100.10",
      "198.51.100.7",
      "10.8.0.1",
      "192.168.1.1",
      "203.0.113.50",
      "2001:db8:ffff::50",
      "224.0.0.251",
      "ff02::fb",
      "255.255.255.255",
      "ff02::1:2",
      "ff02::2",
      "192.168.1.50",
      "10.0.0.9",
      "9.9.9.9",
      "1.1.1.1",
    ]) {
      expect(destinations, address).toContain(address);
    }
  });
});

/** Hand-written expectations for the cases users ask about, independent of the verifier's own policy model. */
describe("explicit packets on the builder's rules", () => {
  const pkt = (p: Partial<Packet> & Pick<Packet, "direction" | "interface" | "destination">): Packet => ({
    family: p.destination.includes(":") ? "inet6" : "inet",
    protocol: "tcp",
    source: p.destination.includes(":") ? "2001:db8:1::23" : "192.168.1.23",
    sourcePort: 49152,
    destinationPort: 443,
    ...p,
  });
  const cases: [string, SettingsName, NetworkName, Packet, "pass" | "block"][] = [
    [
      "web over the tunnel",
      "base",
      "vpnUp",
      pkt({ direction: "out", interface: "utun4", source: "10.8.0.2", destination: "203.0.113.50" }),
      "pass",
    ],
    [
      "IPv6 over the tunnel",
      "base",
      "ipv6",
      pkt({ direction: "out", interface: "utun7", source: "2001:db8:77::2", destination: "2001:db8:ffff::50" }),
      "pass",
    ],
    [
      "web on Wi-Fi with the VPN up",
      "base",
      "vpnUp",
      pkt({ direction: "out", interface: "en0", destination: "203.0.113.50" }),
      "block",
    ],
    [
      "web on Wi-Fi with the VPN down",
      "base",
      "vpnDown",
      pkt({ direction: "out", interface: "en0", destination: "203.0.113.50" }),
      "block",
    ],
    [
      "IPv6 web on Wi-Fi",
      "base",
      "ipv6",
      pkt({ direction: "out", interface: "en0", destination: "2001:db8:ffff::50" }),
      "block",
    ],
    [
      "a new USB adapter",
      "base",
      "newPhysical",
      pkt({ direction: "out", interface: "en7", source: "10.1.2.3", destination: "203.0.113.50" }),
      "block",
    ],
    [
      "the old tunnel after renumbering",
      "base",
      "renumbered",
      pkt({ direction: "out", interface: "utun4", source: "10.8.0.2", destination: "203.0.113.50" }),
      "block",
    ],
    [
      "OpenVPN to its server while the VPN is down",
      "base",
      "vpnDown",
      pkt({ direction: "out", interface: "en0", protocol: "udp", destination: "198.51.100.10", destinationPort: 1194 }),
      "pass",
    ],
    [
      "TCP to the OpenVPN server's udp port",
      "base",
      "vpnDown",
      pkt({ direction: "out", interface: "en0", destination: "198.51.100.10", destinationPort: 1194 }),
      "block",
    ],
    [
      "DNS to the router, LAN allowed",
      "lanAllowed",
      "vpnUp",
      pkt({ direction: "out", interface: "en0", protocol: "udp", destination: "192.168.1.1", destinationPort: 53 }),
      "block",
    ],
    [
      "DNS over TLS to a public resolver",
      "base",
      "vpnDown",
      pkt({ direction: "out", interface: "en0", destination: "9.9.9.9", destinationPort: 853 }),
      "block",
    ],
    [
      "DNS to a configured resolver",
      "resolvers",
      "vpnDown",
      pkt({ direction: "out", interface: "en0", protocol: "udp", destination: "1.1.1.1", destinationPort: 53 }),
      "pass",
    ],
    [
      "the printer, LAN not allowed, exception here",
      "exceptions",
      "vpnUp",
      pkt({ direction: "out", interface: "en0", destination: "192.168.1.50", destinationPort: 631 }),
      "pass",
    ],
    [
      "the printer on another port",
      "exceptions",
      "vpnUp",
      pkt({ direction: "out", interface: "en0", destination: "192.168.1.50", destinationPort: 80 }),
      "block",
    ],
    [
      "the printer exception on the cafe network",
      "exceptions",
      "cafe",
      pkt({
        direction: "out",
        interface: "en0",
        source: "10.0.0.23",
        destination: "192.168.1.50",
        destinationPort: 631,
      }),
      "block",
    ],
    [
      "the cafe exception at home",
      "exceptions",
      "vpnUp",
      pkt({ direction: "out", interface: "en0", destination: "10.0.0.9" }),
      "block",
    ],
    [
      "the cafe exception at the cafe",
      "exceptions",
      "cafe",
      pkt({ direction: "out", interface: "en0", source: "10.0.0.23", destination: "10.0.0.9" }),
      "pass",
    ],
    [
      "an expired exception",
      "exceptions",
      "vpnUp",
      pkt({ direction: "out", interface: "en0", destination: "198.51.100.200" }),
      "block",
    ],
    [
      "a disabled exception",
      "exceptions",
      "vpnUp",
      pkt({ direction: "out", interface: "en0", destination: "198.51.100.250" }),
      "block",
    ],
    [
      "LAN not allowed",
      "base",
      "vpnUp",
      pkt({ direction: "out", interface: "en0", destination: "192.168.1.20" }),
      "block",
    ],
    [
      "LAN allowed",
      "lanAllowed",
      "vpnUp",
      pkt({ direction: "out", interface: "en0", destination: "192.168.1.20" }),
      "pass",
    ],
    [
      "mDNS with discovery",
      "base",
      "vpnUp",
      pkt({
        direction: "out",
        interface: "en0",
        protocol: "udp",
        destination: "224.0.0.251",
        sourcePort: 5353,
        destinationPort: 5353,
      }),
      "pass",
    ],
    [
      "mDNS without discovery",
      "quiet",
      "vpnUp",
      pkt({
        direction: "out",
        interface: "en0",
        protocol: "udp",
        destination: "224.0.0.251",
        sourcePort: 5353,
        destinationPort: 5353,
      }),
      "block",
    ],
    [
      "AirDrop link-local",
      "base",
      "vpnUp",
      pkt({
        direction: "out",
        interface: "awdl0",
        source: "fe80::1c2a:5ff:fe3b:1",
        destination: "fe80::a1b2:c3ff:fed4:e5f6",
        destinationPort: 8770,
      }),
      "pass",
    ],
    [
      "a nearby device's connection to ssh over awdl0",
      "base",
      "vpnUp",
      pkt({
        direction: "in",
        interface: "awdl0",
        source: "fe80::a1b2:c3ff:fed4:e5f6",
        destination: "fe80::1c2a:5ff:fe3b:1",
        destinationPort: 22,
        tcpFlags: "S",
      }),
      "block",
    ],
    [
      "a nearby device's UDP to another port over llw0",
      "base",
      "vpnUp",
      pkt({
        direction: "in",
        interface: "llw0",
        protocol: "udp",
        source: "fe80::a1b2:c3ff:fed4:e5f6",
        destination: "fe80::1c2a:5ff:fe3b:1",
        destinationPort: 4500,
      }),
      "block",
    ],
    [
      "a routed source spoofed onto awdl0, to AirDrop's receiver",
      "base",
      "vpnUp",
      pkt({
        direction: "in",
        interface: "awdl0",
        source: "2001:db8:ffff::50",
        destination: "fe80::1c2a:5ff:fe3b:1",
        destinationPort: 8770,
        tcpFlags: "S",
      }),
      "block",
    ],
    [
      "a nearby device sending a file by AirDrop",
      "base",
      "vpnUp",
      pkt({
        direction: "in",
        interface: "awdl0",
        source: "fe80::a1b2:c3ff:fed4:e5f6",
        destination: "fe80::1c2a:5ff:fe3b:1",
        destinationPort: 8770,
        tcpFlags: "S",
      }),
      "pass",
    ],
    [
      "a routed address on awdl0",
      "base",
      "vpnUp",
      pkt({ direction: "out", interface: "awdl0", destination: "2001:db8:ffff::50" }),
      "block",
    ],
    [
      "DHCP discover",
      "base",
      "vpnDown",
      pkt({
        direction: "out",
        interface: "en0",
        protocol: "udp",
        source: "0.0.0.0",
        destination: "255.255.255.255",
        sourcePort: 68,
        destinationPort: 67,
      }),
      "pass",
    ],
    [
      "router solicitation",
      "base",
      "vpnDown",
      pkt({
        direction: "out",
        interface: "en0",
        protocol: "icmp6",
        source: "fe80::1c2a:5ff:fe3b:1",
        destination: "ff02::2",
        icmpType: 133,
        sourcePort: undefined,
        destinationPort: undefined,
      }),
      "pass",
    ],
    [
      "inbound SSH from the Internet",
      "lanAllowed",
      "vpnUp",
      pkt({
        direction: "in",
        interface: "en0",
        source: "203.0.113.50",
        destination: "192.168.1.23",
        destinationPort: 22,
      }),
      "block",
    ],
    [
      "a web server in the public /8 the network calls local",
      "lanAllowed",
      "publicLan",
      pkt({ direction: "out", interface: "en0", source: "104.16.1.23", destination: "104.18.32.7" }),
      "block",
    ],
    [
      "the network's own 'LAN' host, public space",
      "lanAllowed",
      "publicLan",
      pkt({ direction: "out", interface: "en0", source: "104.16.1.23", destination: "104.16.1.40" }),
      "block",
    ],
    [
      "inbound from the public 'LAN'",
      "lanAllowed",
      "publicLan",
      pkt({
        direction: "in",
        interface: "en0",
        source: "104.16.1.40",
        destination: "104.16.1.23",
        destinationPort: 22,
      }),
      "block",
    ],
    [
      "a host of the router-advertised global /64",
      "lanAllowed",
      "publicLan",
      pkt({ direction: "out", interface: "en0", source: "2001:db8:1a2b:10::23", destination: "2001:db8:1a2b:10::40" }),
      "block",
    ],
    [
      "link-local on the public 'LAN'",
      "lanAllowed",
      "publicLan",
      pkt({ direction: "out", interface: "en0", source: "104.16.1.23", destination: "169.254.10.20" }),
      "pass",
    ],
    [
      "a host of the LAN a VPN route (10.0.0.0/8) holds",
      "lanAllowed",
      "lanInVpnRoutes",
      pkt({
        direction: "out",
        interface: "en0",
        source: "10.20.30.23",
        destination: "10.20.30.40",
        destinationPort: 445,
      }),
      "block",
    ],
    [
      "a host of the ULA /64 inside the VPN's /48",
      "lanAllowed",
      "lanInVpnRoutes",
      pkt({ direction: "out", interface: "en0", source: "fd12:3456:789a:1::23", destination: "fd12:3456:789a:1::40" }),
      "block",
    ],
    [
      "the same host through the tunnel",
      "lanAllowed",
      "lanInVpnRoutes",
      pkt({
        direction: "out",
        interface: "utun4",
        source: "10.8.0.2",
        destination: "10.20.30.40",
        destinationPort: 445,
      }),
      "pass",
    ],
    [
      "the tunnel override replaces the detected tunnel",
      "override",
      "vpnUp",
      pkt({ direction: "out", interface: "utun4", source: "10.8.0.2", destination: "203.0.113.50" }),
      "block",
    ],
    [
      "traffic on the overridden tunnel",
      "override",
      "vpnUp",
      pkt({ direction: "out", interface: "utun9", source: "10.8.0.2", destination: "203.0.113.50" }),
      "pass",
    ],
  ];
  for (const [name, settings, network, packet, expected] of cases) {
    it(`${name}: ${expected}`, async () => {
      const { text } = await build(settings, network);
      expect(evaluatePacket(parsePfRules(text), packet).action).toBe(expected);
    });
  }
});

describe("rules built for one state, checked on another", () => {
  async function crossCheck(builtFor: NetworkName, now: NetworkName, policy?: KillSwitchPolicy) {
    const usedPolicy = policy ?? (await policyOf(SETTINGS.exceptions));
    const text = buildKillSwitchAnchor({ policy: usedPolicy, network: NETWORKS[builtFor], now: NOW });
    return verifyRuleset(text, { policy: usedPolicy, network: NETWORKS[now], now: NOW });
  }

  it("a renumbered tunnel fails closed: the new utun is blocked, nothing leaks", async () => {
    const result = await crossCheck("vpnUp", "renumbered");
    const failing = result.clauses.filter((c) => !c.passed);
    expect(failing.map((c) => c.id)).toEqual(["tunnel"]);
    expect(failing[0].failures.every((f) => !f.leak && f.packet.interface === "utun5")).toBe(true);
    expect(failing[0].failures.every((f) => f.rule?.text.startsWith("block "))).toBe(true);
  });

  it("a USB adapter added after the rules were built is covered by the final block", async () => {
    const result = await crossCheck("vpnUp", "newPhysical");
    // Its DHCP and neighbour discovery wait for the rules to be rebuilt (Apply, or the watchdog); nothing leaks.
    expect(result.clauses.filter((c) => !c.passed).map((c) => c.id)).toEqual(["link-plumbing"]);
    const failures = result.clauses.flatMap((c) => c.failures);
    expect(failures.every((f) => f.packet.interface === "en7" && !f.leak)).toBe(true);
  });

  it("rules from the VPN-down state keep blocking when the VPN comes up (until rebuilt): no leak", async () => {
    const result = await crossCheck("vpnDown", "vpnUp");
    // The tunnel and the server seen only in the new routes are blocked until the rules are rebuilt.
    expect(result.clauses.filter((c) => !c.passed).map((c) => c.id)).toEqual(["tunnel", "vpn-endpoints"]);
    expect(result.clauses.flatMap((c) => c.failures).some((f) => f.leak)).toBe(false);
  });

  it("home rules taken to the cafe let the home-only exception through: the verifier says which", async () => {
    const result = await crossCheck("vpnUp", "cafe");
    const exceptions = result.clauses.find((c) => c.id === "exceptions");
    expect(exceptions?.passed).toBe(false);
    expect(exceptions?.failures.some((f) => f.leak && f.packet.destination === "192.168.1.50")).toBe(true);
  });
});

describe("attackers against the passes of blocking mode: remembered servers and the fail-closed rules", () => {
  const remembered = [{ address: "198.51.100.7", protocol: "udp" as const, port: 1194 }];
  const serverPass = "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)";

  it("probes a remembered server like any other: spoofed, other ports and protocols", async () => {
    const policy = await policyOf({});
    const input = { policy, network: NETWORKS.vpnDown as NetworkState, now: NOW, rememberedServers: remembered };
    const text = buildKillSwitchAnchor(input);
    expect(text).toContain(serverPass);
    const probes = policyProbes(input).probes.filter((p) => p.clause === "attacker");
    const toServer = probes.filter(
      (p) => p.packet.destination === "198.51.100.7" || p.packet.source === "198.51.100.7",
    );
    expect(toServer.map((p) => `${p.packet.direction} ${p.packet.protocol}`)).toEqual(
      expect.arrayContaining(["in tcp", "in udp", "out tcp", "out udp", "out icmp"]),
    );
    expect(failuresOf(verifyRuleset(text, input))).toEqual([]);
    // Widened to every protocol and both ways, the attacker's packets get through and the verifier says so.
    const widened = text.replace(
      serverPass,
      "pass quick inet from any to 198.51.100.7 flags any keep state\npass in quick inet from 198.51.100.7 to any no state",
    );
    expect(failuresOf(verifyRuleset(widened, input)).filter((f) => f.startsWith("attacker:")).length).toBeGreaterThan(
      0,
    );
    // Unknown to the verifier, the same pass is a leak: a remembered server is intended only when recorded.
    expect(verifyRuleset(text, { ...input, rememberedServers: [] }).passed).toBe(false);
  });

  it("keeps a part of the LAN routed into the tunnel off the link, with the VPN down too, and says when not", async () => {
    const policy = await policyOf(SETTINGS.lanAllowed);
    const routed = "192.168.1.128/25";
    const block = `block return out log (user) quick on en0 inet from any to ${routed}`;
    for (const [name, input] of [
      ["VPN up", { policy, network: NETWORKS.splitLan as NetworkState, now: NOW }],
      ["VPN down", { policy, network: NETWORKS.vpnDown as NetworkState, now: NOW, rememberedTunnelRoutes: [routed] }],
    ] as const) {
      const text = buildKillSwitchAnchor(input);
      expect(text, name).toContain(block);
      const probes = policyProbes(input).probes.filter(
        (p) => p.clause === "lan" && (p.packet.destination === "192.168.1.129" || p.packet.source === "192.168.1.129"),
      );
      expect(
        probes.map((p) => p.packet.direction),
        name,
      ).toEqual(["out", "in"]);
      expect(failuresOf(verifyRuleset(text, input)), name).toEqual([]);
      // Without the block, traffic meant for the VPN's network goes to whoever answers on this one.
      const opened = text
        .replace(`${block}\n`, "")
        .replace(`block drop in log (user) quick on en0 inet from ${routed} to any\n`, "");
      const failures = verifyRuleset(opened, input).clauses.find((c) => c.id === "lan")?.failures ?? [];
      expect(
        failures.map((f) => f.description),
        name,
      ).toEqual([
        "out en0 inet tcp 192.168.1.23:49152 -> 192.168.1.129:445",
        "in en0 inet tcp 192.168.1.129:49152 -> 192.168.1.23:22",
      ]);
      expect(failures.every((f) => f.leak)).toBe(true);
    }
  });

  it("names a LAN pass of what the network merely calls local, or of what a VPN route holds, as a leak", async () => {
    const policy = await policyOf(SETTINGS.lanAllowed);
    for (const [network, passed, host] of [
      ["publicLan", "104.16.0.0/16", "104.16.0.1"],
      ["publicLan", "2001:db8:1a2b:10::/64", "2001:db8:1a2b:10:0:0:0:1"],
      ["lanInVpnRoutes", "10.20.30.0/24", "10.20.30.1"],
      ["lanInVpnRoutes", "fd12:3456:789a:1::/64", "fd12:3456:789a:1:0:0:0:1"],
    ] as const) {
      const input = { policy, network: NETWORKS[network] as NetworkState, now: NOW };
      const text = buildKillSwitchAnchor(input);
      expect(failuresOf(verifyRuleset(text, input)), passed).toEqual([]);
      const family = passed.includes(":") ? "inet6" : "inet";
      const opened = text.replace(
        "block return out log (user) quick all",
        `pass out quick on en0 ${family} from any to ${passed} flags any keep state\nblock return out log (user) quick all`,
      );
      const failures = verifyRuleset(opened, input).clauses.find((c) => c.id === "lan")?.failures ?? [];
      expect(failures.length, passed).toBeGreaterThan(0);
      expect(
        failures.every((f) => f.leak),
        passed,
      ).toBe(true);
      expect(
        failures.map((f) => (f.packet.direction === "out" ? f.packet.destination : f.packet.source)),
        passed,
      ).toContain(host);
    }
  });

  it("holds the fail-closed rules to the same attacker, against the full policy", async () => {
    const policy = await policyOf(SETTINGS.exceptionsWithLan);
    const input = { policy, network: NETWORKS.vpnDown as NetworkState, now: NOW };
    const text = buildFailClosedAnchor(input);
    const result = verifyRuleset(text, input);
    const leaks = result.clauses.flatMap((c) =>
      c.failures.filter((f) => f.leak).map((f) => `${c.id}: ${f.description}`),
    );
    expect(leaks).toEqual([]);
    expect(result.clauses.find((c) => c.id === "attacker")?.failures).toEqual([]);
  });
});
