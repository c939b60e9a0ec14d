import { beforeAll, describe, expect, it } from "vitest";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import type { KillSwitchPolicy } from "../../src/policy/policy";
import { type VerificationResult, type VerifyInput, verifyRuleset } from "../../src/verify/verify-policy";
import { HOME, NETWORKS, NOW, policyOf } from "./scenarios";

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
      { address: "203.0.113.80", protocol: "tcp", port: 443, scope: HOME, label: "work portal" },
      { address: "203.0.113.9", scope: "gw=10.0.0.1,mac=00:11:22:33:44:55,net=10.0.0.0/24", label: "cafe portal" },
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
    const text = replaceLine(original, "pass quick on utun4 all flags any keep state", [
      "pass quick on utun all flags any keep state",
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
      "block return out quick proto { tcp, udp } from any to any port { 53, 853 }",
      [],
    );
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["dns"]);
    const toRouter = leaks(result, "dns").find((f) => f.packet.destination === "192.168.1.1");
    expect(toRouter?.rule?.text).toBe("pass out quick inet from any to 192.168.0.0/16 keep state");
    expect(
      leaks(result, "dns").some((f) => f.packet.destination === "203.0.113.80" && f.packet.destinationPort === 853),
    ).toBe(false);
    expect(leaks(result, "dns").some((f) => f.packet.destination === "9.9.9.9")).toBe(false);
  });

  it("DHCP removed: the plumbing clause fails (the Mac could not rejoin Wi-Fi)", () => {
    const dhcp = lines(original).filter((l) => /port (67|68|546|547)\b/.test(l));
    expect(dhcp).toHaveLength(4);
    const text = lines(original)
      .filter((l) => !dhcp.includes(l))
      .join("\n");
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["link-plumbing"]);
    expect(result.clauses.find((c) => c.id === "link-plumbing")?.failures.every((f) => !f.leak)).toBe(true);
  });

  it("the final block turned non-quick: a later ruleset could re-open everything", () => {
    const text = replaceLine(original, "block return out quick all", ["block return out all"]);
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
    expect(failing(result)).toEqual(["exceptions"]);
    expect(leaks(result, "exceptions")[0].packet.destination).toBe("203.0.113.9");
  });

  it("an exception widened to every port: only its port may pass", () => {
    const text = replaceLine(original, "pass out quick inet proto tcp from any to 203.0.113.80 port 443 keep state", [
      "pass out quick inet from any to 203.0.113.80 keep state",
    ]);
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["exceptions"]);
  });

  it("the VPN server rule without its port: other ports to the server leak", () => {
    const text = replaceLine(original, "pass out quick inet proto udp from any to 198.51.100.10 port 1194 keep state", [
      "pass out quick inet from any to 198.51.100.10 keep state",
    ]);
    const result = verifyRuleset(text, input);
    expect(failing(result)).toEqual(["vpn-endpoints"]);
    expect(leaks(result, "vpn-endpoints")[0].packet.destination).toBe("198.51.100.10");
  });

  it("mDNS passed although discovery is off", () => {
    const text = replaceLine(original, "block return out quick all", [
      "pass out quick inet proto udp from any to 224.0.0.251 port 5353 keep state",
      "block return out quick all",
    ]);
    expect(failing(verifyRuleset(text, input))).toEqual(["discovery"]);
  });

  it("AirDrop widened to routed addresses", () => {
    const text = replaceLine(
      original,
      "pass out quick on awdl0 inet6 from any to { fe80::/10, ff02::/16 } keep state",
      ["pass out quick on awdl0 all"],
    );
    const result = verifyRuleset(text, input);
    expect(failing(result)).toContain("airdrop");
    expect(failing(result)).toContain("outside-blocked");
  });

  it("outbound blocked silently instead of refused: apps would hang (not a leak, still a failure)", () => {
    const text = replaceLine(original, "block return out quick all", ["block drop out quick all"]);
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
