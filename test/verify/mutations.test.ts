import { beforeAll, describe, expect, it } from "vitest";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import type { KillSwitchPolicy } from "../../src/policy/policy";
import { type VerificationResult, type VerifyInput, verifyRuleset } from "../../src/verify/verify-policy";
import { HOME, NETWORKS, NOW, SETTINGS, policyOf } from "./scenarios";
import type { NetworkState } from "../../src/network/state";

/** Every weakened ruleset must fail verification, in the clause that names the weakness. */
let input: VerifyInput;
let original: string;

beforeAll(async () => {
  const policy = await policyOf({
    vpnServers: ["198.51.100.10:1194/udp"],
    allowLan: true,
    allowDiscovery: false,
    dnsResolvers: ["1.1.1.1"],
    exceptions: [
      { address: "203.0.113.80", protocol: "tcp", port: 443, scope: "all", label: "work portal" },
      { address: "192.168.1.60", protocol: "tcp", port: 445, scope: HOME, label: "home NAS" },
      { address: "10.0.0.9", scope: "gw=10.0.0.1,mac=00:11:22:33:44:55,net=10.0.0.0/24", label: "cafe portal" },
    ],
  });
  input = { policy, network: NETWORKS.vpnUp, now: NOW };
  original = buildKillSwitchAnchor(input);
});

function lines(text: string): string[] {
  return text.split("\n");
}

/** Replaces one exact line (which must exist, so a change in the builder cannot make a mutation vacuous). */
function replaceLine(text: string, line: string, replacement: string[]): string {
  const all = lines(text);
  const index = all.indexOf(line);
  expect(index, `line not found: ${line}`).toBeGreaterThanOrEqual(0);
  return [...all.slice(0, index), ...replacement, ...all.slice(index + 1)].join("\n");
}

function failing(result: VerificationResult) {
  return result.clauses.filter((c) => !c.passed).map((c) => c.id);
}

function leaks(result: VerificationResult, clause: string) {
  return result.clauses.find((c) => c.id === clause)?.failures.filter((f) => f.leak) ?? [];
}

describe("the unmodified ruleset", () => {
  it("passes, so each failure below comes from its mutation", () => {
    const result = verifyRuleset(original, input);
    expect(result.passed).toBe(true);
    expect(failing(result)).toEqual([]);
  });
});

describe("weakened rulesets fail verification", () => {
  it("`pass out quick on en0 all` inserted early: outside-blocked leaks through that line", () => {
    const text = replaceLine(original, "pass quick on lo0 all flags any keep state", [
      "pass quick on lo0 all flags any keep state",
      "pass out quick on en0 all",
    ]);
    const result = verifyRuleset(text, input);
    expect(result.passed).toBe(false);
    expect(failing(result)).toContain("outside-blocked");
    const leak = leaks(result, "outside-blocked")[0];
    expect(leak.packet.interface).toBe("en0");
    expect(leak.rule).toEqual({
      line: lines(text).indexOf("pass out quick on en0 all") + 1,
      text: "pass out quick on en0 all",
    });
    expect(failing(result)).toContain("dns");
  });

  it("`pass out on en0 all` (not quick) inserted: the lint fails it, the quick block still holds", () => {
    const text = replaceLine(original, "pass quick on lo0 all flags any keep state", [
      "pass quick on lo0 all flags any keep state",
      "pass out on en0 all",
    ]);
    const result = verifyRuleset(text, input);
    expect(result.passed).toBe(false);
    expect(failing(result)).toEqual([]);
    const line = lines(text).indexOf("pass out on en0 all") + 1;
    expect(result.lint).toContainEqual(expect.objectContaining({ id: "not-quick", severity: "error", line }));
  });

  it("`pass out on en0 all` appended after the final block: unreachable and not quick", () => {
    const text = `${original}pass out on en0 all\n`;
    const result = verifyRuleset(text, input);
    expect(result.passed).toBe(false);
    const line = lines(text).indexOf("pass out on en0 all") + 1;
    expect(result.lint.filter((f) => f.line === line).map((f) => f.id)).toEqual(["not-quick", "unreachable"]);
  });

  it("`pass quick on utun` replacing the tunnel rule: the tunnel is blocked and the lint names the bare family", () => {
    const text = replaceLine(original, "pass out quick on utun4 all flags any keep state (if-bound)", [
      "pass out quick on utun all flags any keep state (if-bound)",
    ]);
    const result = verifyRuleset(text, input);
    expect(result.passed).toBe(false);
    expect(failing(result)).toEqual(["tunnel"]);
    expect(result.clauses.find((c) => c.id === "tunnel")?.failures[0].actual).toMatch(/^block/);
    expect(result.lint).toContainEqual(expect.objectContaining({ id: "bare-interface", severity: "error" }));
  });

  it("the DNS block removed: DNS to the router leaks through the LAN pass", () => {
    const text = replaceLine(
      original,
      "block return out log (user) quick proto { tcp, udp } from any to any port { 53, 853 }",
      [],
    );
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["dns"]);
    const toRouter = leaks(result, "dns").find((f) => f.packet.destination === "192.168.1.1");
    expect(toRouter?.rule?.text).toBe("pass out quick on en0 inet from any to 192.168.1.0/24 flags any keep state");
    expect(
      leaks(result, "dns").some((f) => f.packet.destination === "203.0.113.80" && f.packet.destinationPort === 853),
    ).toBe(false);
    expect(leaks(result, "dns").some((f) => f.packet.destination === "9.9.9.9")).toBe(false);
  });

  it("DHCP removed: the plumbing clause fails (the Mac could not rejoin Wi-Fi)", () => {
    const dhcp = lines(original).filter((l) => /^pass .*port (67|68|546|547)\b/.test(l));
    expect(dhcp).toHaveLength(4);
    const text = lines(original)
      .filter((l) => !dhcp.includes(l))
      .join("\n");
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["link-plumbing"]);
    expect(result.clauses.find((c) => c.id === "link-plumbing")?.failures.every((f) => !f.leak)).toBe(true);
  });

  it("the final block turned non-quick: a later ruleset could re-open everything", () => {
    const text = replaceLine(original, "block return out log (user) quick all", ["block return out all"]);
    const result = verifyRuleset(text, input);
    expect(failing(result)).toContain("outside-blocked");
    expect(leaks(result, "outside-blocked")[0].actual).toMatch(/not quick/);
    expect(result.lint).toContainEqual(expect.objectContaining({ id: "not-quick" }));
  });

  it("an exception for another network left in: the exceptions clause leaks to it", () => {
    const cafe = input.policy.exceptions.find((e) => e.label === "cafe portal");
    const stale: KillSwitchPolicy = {
      ...input.policy,
      exceptions: input.policy.exceptions.map((e) => (e === cafe ? { ...e, scope: "all" } : e)),
    };
    const text = buildKillSwitchAnchor({ ...input, policy: stale });
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["exceptions", "rule-destinations"]);
    expect(leaks(result, "exceptions")[0].packet.destination).toBe("10.0.0.9");
  });

  it("this network's exception passed on every interface: it leaks on another link", () => {
    const text = replaceLine(
      original,
      "pass out quick on en0 inet proto tcp from any to 192.168.1.60 port 445 flags any keep state",
      ["pass out quick inet proto tcp from any to 192.168.1.60 port 445 flags any keep state"],
    );
    const result = verifyRuleset(text, input);
    expect(failing(result)).toContain("exceptions");
    expect(leaks(result, "exceptions").map((f) => f.packet.interface)).toContain("en7");
  });

  it("an exception widened to every port: only its port may pass", () => {
    const text = replaceLine(
      original,
      "pass out quick inet proto tcp from any to 203.0.113.80 port 443 flags any keep state",
      ["pass out quick inet from any to 203.0.113.80 flags any keep state"],
    );
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["exceptions"]);
  });

  it("the VPN server rule without its port: other ports to the server leak", () => {
    const text = replaceLine(
      original,
      "pass out quick inet proto udp from any to 198.51.100.10 port 1194 keep state (if-bound)",
      ["pass out quick inet from any to 198.51.100.10 keep state (if-bound)"],
    );
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["vpn-endpoints", "attacker", "rule-destinations"]);
    expect(leaks(result, "vpn-endpoints")[0].packet.destination).toBe("198.51.100.10");
    expect(leaks(result, "attacker").map((f) => f.description)).toContain(
      "out en0 inet tcp 192.168.1.23:49152 -> 198.51.100.10:22",
    );
  });

  it("the old stateless inbound pass from the VPN server: a spoofed server reaches local ports", () => {
    const text = replaceLine(original, "block return out log (user) quick all", [
      "pass in quick inet from 198.51.100.10 to any no state",
      "block return out log (user) quick all",
    ]);
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["attacker"]);
    const spoofed = leaks(result, "attacker").map((f) => f.description);
    expect(spoofed).toContain("in en0 inet tcp 198.51.100.10:1194 -> 192.168.1.23:22");
    expect(spoofed).toContain("in en0 inet udp 198.51.100.10:1194 -> 192.168.1.23:5353");
    expect(result.lint).toContainEqual(expect.objectContaining({ id: "stateless-inbound", severity: "error" }));
  });

  it("floating tunnel states: a tunnel connection pushed out of en0 matches its old state", () => {
    const text = replaceLine(original, "pass out quick on utun4 all flags any keep state (if-bound)", [
      "pass out quick on utun4 all flags any keep state",
    ]);
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["attacker"]);
    const moved = leaks(result, "attacker")[0];
    expect(moved.description).toMatch(/^out en0 inet tcp 10\.8\.0\.2:49152 -> \S+:443 flags A \(after out utun4 /);
    expect(moved.actual).toMatch(/a floating state/);
    expect(result.lint).toContainEqual(expect.objectContaining({ id: "floating-tunnel-state" }));
  });

  it("the old DHCP pass to every private range: port 68 becomes a path to routed hosts", () => {
    const text = replaceLine(
      original,
      "pass out quick on en0 inet proto udp from any port 68 to 255.255.255.255 port 67 keep state",
      [
        "pass out quick inet proto udp from any port 68 to { 255.255.255.255, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 } port 67 keep state",
      ],
    );
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["link-plumbing", "attacker", "rule-destinations"]);
    expect(leaks(result, "attacker").map((f) => f.packet.destination)).toEqual(
      expect.arrayContaining(["10.1.2.3", "192.168.77.1"]),
    );
  });

  it("the plumbing and local-network passes widened in: the attacker's packets get through and are named", () => {
    const widened = [
      [
        "pass in quick on en0 inet6 proto udp from fe80::/10 port 547 to fe80::/10 port 546 no state",
        "pass in quick on en0 inet6 proto udp from any port 547 to any port 546 no state",
        "in en0 inet6 udp [2001:db8:ffff::50]:547",
      ],
      [
        "pass in quick on en0 inet6 proto icmp6 from any to any icmp6-type { 130, 133, 134, 135, 136, 137 } no state",
        "pass in quick on en0 inet6 proto icmp6 all no state",
        "in en0 inet6 icmp6 type 128",
      ],
      [
        "pass in quick on en0 inet from 192.168.1.0/24 to any flags any keep state",
        "pass in quick on en0 inet from 10.0.0.0/8 to any flags any keep state",
        "in en0 inet tcp 10.20.30.40:49152 -> 192.168.1.23:22",
      ],
      [
        "pass out quick on en0 inet from any to 192.168.1.0/24 flags any keep state",
        "pass out quick inet from any to 192.168.1.0/24 flags any keep state",
        "out en7 inet tcp",
      ],
    ];
    for (const [line, wider, packet] of widened) {
      const result = verifyRuleset(replaceLine(original, line, [wider]), input);
      expect(failing(result), wider).toContain("attacker");
      expect(
        leaks(result, "attacker")
          .map((f) => f.description)
          .join("\n"),
        wider,
      ).toContain(packet);
    }
  });

  it("the old local-network pass for all of RFC 1918: a range the VPN routes leaks out of en0", () => {
    const text = replaceLine(original, "block return out log (user) quick all", [
      "pass out quick inet from any to 10.0.0.0/8 keep state",
      "block return out log (user) quick all",
    ]);
    const result = verifyRuleset(text, input);
    expect(failing(result)).toContain("lan");
    expect(leaks(result, "lan").map((f) => f.packet.destination)).toContain("10.20.30.40");
  });

  it("an exception to /0 (or its two halves) fails verification even though the settings asked for it", () => {
    const wide: KillSwitchPolicy = {
      ...input.policy,
      exceptions: [
        ...input.policy.exceptions,
        {
          ...input.policy.exceptions[0],
          id: "wide",
          label: "Printer",
          target: "192.168.1.20/0",
          addresses: [{ family: "inet", address: "192.168.1.20", prefix: 0 }],
          protocol: "any",
          ports: [],
          scope: "all",
        },
      ],
    };
    const text = buildKillSwitchAnchor({ ...input, policy: wide });
    const result = verifyRuleset(text, { ...input, policy: wide });
    expect(result.passed).toBe(false);
    expect(result.lint).toContainEqual(expect.objectContaining({ id: "pass-to-everything", severity: "error" }));
    expect(failing(result)).toContain("outside-blocked");
    const halves = text.replace(
      "block return out log (user) quick all",
      "pass out quick inet from any to 0.0.0.0/1 keep state\npass out quick inet from any to 128.0.0.0/1 keep state\nblock return out log (user) quick all",
    );
    expect(failing(verifyRuleset(halves, input))).toContain("outside-blocked");
  });

  it("mDNS passed although discovery is off", () => {
    const text = replaceLine(original, "block return out log (user) quick all", [
      "pass out quick inet proto udp from any to 224.0.0.251 port 5353 keep state",
      "block return out log (user) quick all",
    ]);
    expect(failing(verifyRuleset(text, input))).toEqual(["discovery", "rule-destinations"]);
  });

  it("AirDrop widened to routed addresses", () => {
    const text = replaceLine(
      original,
      "pass out quick on awdl0 inet6 from any to { fe80::/10, ff02::/16 } flags any keep state",
      ["pass out quick on awdl0 all"],
    );
    const result = verifyRuleset(text, input);
    expect(failing(result)).toContain("airdrop");
    expect(failing(result)).toContain("outside-blocked");
  });

  it("AirDrop's inbound pass widened back to every protocol and port, with state", () => {
    const inbound = original.split("\n").filter((line) => line.startsWith("pass in quick on awdl0 "));
    expect(inbound.length).toBeGreaterThan(0);
    let text = original;
    for (const line of inbound.slice(1)) text = replaceLine(text, line, []);
    text = replaceLine(text, inbound[0], ["pass in quick on awdl0 inet6 from fe80::/10 to any flags any keep state"]);
    expect(failing(verifyRuleset(text, input))).toContain("airdrop");
  });

  it("outbound blocked silently instead of refused: apps would hang (not a leak, still a failure)", () => {
    const text = replaceLine(original, "block return out log (user) quick all", ["block drop out quick all"]);
    const result = verifyRuleset(text, input);
    expect(failing(result)).toContain("outside-blocked");
    expect(result.clauses.flatMap((c) => c.failures).some((f) => f.leak)).toBe(false);
    expect(result.lint).toContainEqual(expect.objectContaining({ id: "silent-outbound-block", severity: "warning" }));
  });

  it("a missing final newline fails the lint", () => {
    const result = verifyRuleset(original.trimEnd(), input);
    expect(result.passed).toBe(false);
    expect(result.lint).toContainEqual(expect.objectContaining({ id: "final-newline" }));
  });
});

describe("passes the policy's probes never try", () => {
  it("a pass to a host nobody named (an attacker's server on udp 1194) is a leak", async () => {
    const policy = await policyOf(SETTINGS.base);
    const input = { policy, network: NETWORKS.vpnDown as NetworkState, now: NOW };
    const text = buildKillSwitchAnchor(input).replace(
      "block return out log (user) quick all",
      "pass out quick inet proto udp from any to 203.0.113.66 port 1194 keep state\nblock return out log (user) quick all",
    );
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["rule-destinations"]);
    expect(leaks(result, "rule-destinations")[0].packet).toMatchObject({
      destination: "203.0.113.66",
      destinationPort: 1194,
    });
  });
});

describe("DHCP renewals to the lease's server, weakened", () => {
  const server = "192.168.1.1";
  const renewal = `pass out quick on en0 inet proto udp from any port 68 to ${server} port 67 keep state`;
  const withServer = (network: NetworkState): NetworkState => ({
    ...network,
    physical: network.physical.map((link) => (link.name === "en0" ? { ...link, dhcpServer: server } : link)),
  });

  it("the builder's renewal pass holds; widened to any destination or moved off its link, it leaks", async () => {
    const policy = await policyOf(SETTINGS.base);
    const input = { policy, network: withServer(NETWORKS.newPhysical), now: NOW };
    const text = buildKillSwitchAnchor(input);
    expect(lines(text)).toContain(renewal);
    expect(verifyRuleset(text, input).passed).toBe(true);

    const anywhere = replaceLine(text, renewal, [
      "pass out quick on en0 inet proto udp from any port 68 to any port 67 keep state",
    ]);
    const wide = verifyRuleset(anywhere, input);
    expect(leaks(wide, "attacker").map((f) => f.packet.destination)).toEqual(
      expect.arrayContaining(["10.1.2.3", "192.168.77.1"]),
    );

    // From any port, or over TCP too, it carries an app's data to the server: the attacker's probes say so.
    for (const widened of [
      "pass out quick on en0 inet proto udp from any to 192.168.1.1 port 67 keep state",
      "pass out quick on en0 inet proto { tcp, udp } from any port 68 to 192.168.1.1 flags any keep state",
    ]) {
      const result = verifyRuleset(replaceLine(text, renewal, [widened]), input);
      expect(leaks(result, "attacker").length, widened).toBeGreaterThan(0);
    }

    // The same server reached from the USB adapter, where the lease is not: a way off that link.
    const elsewhere = replaceLine(text, renewal, [renewal, renewal.replace("on en0", "on en7")]);
    const moved = verifyRuleset(elsewhere, input);
    expect(leaks(moved, "attacker").map((f) => `${f.packet.interface} ${f.packet.destination}`)).toEqual([
      `en7 ${server}`,
    ]);
  });

  it("a lease's server that is not on the link gets no pass, and one added is a leak", async () => {
    const policy = await policyOf(SETTINGS.base);
    const input = { policy, network: NETWORKS.vpnUp as NetworkState, now: NOW };
    const text = buildKillSwitchAnchor(input);
    expect(text).not.toMatch(/port 68 to (?!255\.255\.255\.255 )\d/);
    const added = text.replace(
      "block return out log (user) quick all",
      "pass out quick on en0 inet proto udp from any port 68 to 10.33.79.254 port 67 keep state\nblock return out log (user) quick all",
    );
    expect(
      verifyRuleset(added, input)
        .clauses.flatMap((c) => c.failures)
        .some((f) => f.leak),
    ).toBe(true);
  });
});
