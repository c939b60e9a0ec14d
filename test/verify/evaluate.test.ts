import { describe, expect, it } from "vitest";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import { type Packet, createEvaluator, describePacket, evaluatePacket } from "../../src/verify/evaluate";
import { type PfRule, parsePfRules } from "../../src/verify/parse-rules";
import { policyProbes } from "../../src/verify/verify-policy";
import { NETWORKS, NOW, policyOf } from "./scenarios";

const web: Packet = {
  direction: "out",
  interface: "en0",
  family: "inet",
  protocol: "tcp",
  source: "192.168.1.23",
  destination: "203.0.113.50",
  sourcePort: 49152,
  destinationPort: 443,
};

function decide(rules: string, packet: Packet = web) {
  const parsed = parsePfRules(`${rules}\n`);
  expect(parsed.errors).toEqual([]);
  return evaluatePacket(parsed, packet);
}

describe("evaluatePacket", () => {
  it("passes what no rule matches, with no deciding rule", () => {
    expect(decide("block in quick all")).toMatchObject({ action: "pass", rule: null, quick: false, walked: 1 });
  });

  it("lets the last matching rule win", () => {
    const result = decide("pass out all\nblock return out all\nblock in all");
    expect(result).toMatchObject({ action: "block", quick: false, returns: true, walked: 3 });
    expect(result.rule?.line).toBe(2);
  });

  it("stops at the first quick match", () => {
    const result = decide("pass out quick all\nblock out quick all\nblock out all");
    expect(result).toMatchObject({ action: "pass", quick: true, walked: 1 });
  });

  it("matches interfaces by exact name: `on utun` is not utun4", () => {
    expect(decide("pass quick on utun all\nblock quick all", { ...web, interface: "utun4" }).action).toBe("block");
    expect(decide("pass quick on utun4 all\nblock quick all", { ...web, interface: "utun4" }).action).toBe("pass");
    expect(decide("pass quick on ! en0 all\nblock quick all").action).toBe("block");
  });

  it("checks direction, family and protocol", () => {
    expect(decide("block in quick all").action).toBe("pass");
    expect(decide("block quick inet6 all").action).toBe("pass");
    expect(decide("block quick proto udp all").action).toBe("pass");
    expect(decide("block quick inet proto tcp all").action).toBe("block");
  });

  it("matches addresses, networks and negation", () => {
    expect(decide("block quick to 203.0.113.0/24").action).toBe("block");
    expect(decide("block quick to ! 203.0.113.0/24").action).toBe("pass");
    expect(decide("block quick from ! 10.0.0.0/8 to any").action).toBe("block");
    expect(decide("block quick to 2001:db8::/32").action).toBe("pass");
  });

  it("looks addresses up in tables, the longest prefix deciding and ! entries excluding", () => {
    const table = "table <t> persist { 203.0.113.0/24, !203.0.113.50 }";
    expect(decide(`${table}\nblock quick to <t>`).action).toBe("pass");
    expect(decide(`${table}\nblock quick to <t>`, { ...web, destination: "203.0.113.51" }).action).toBe("block");
    expect(decide(`${table}\nblock quick to ! <t>`).action).toBe("block");
    expect(decide("block quick to <undefined>").action).toBe("pass");
  });

  it("applies every port operator, to TCP and UDP only", () => {
    const at = (op: string, port: number) =>
      decide(`block quick proto tcp to any port ${op}`, { ...web, destinationPort: port }).action;
    expect([at("= 443", 443), at("= 443", 80)]).toEqual(["block", "pass"]);
    expect([at("!= 443", 443), at("!= 443", 80)]).toEqual(["pass", "block"]);
    expect([at("< 443", 442), at("< 443", 443)]).toEqual(["block", "pass"]);
    expect([at("<= 443", 443), at("<= 443", 444)]).toEqual(["block", "pass"]);
    expect([at("> 443", 444), at("> 443", 443)]).toEqual(["block", "pass"]);
    expect([at(">= 443", 443), at(">= 443", 442)]).toEqual(["block", "pass"]);
    expect([at("400:443", 400), at("400:443", 443), at("400:443", 444)]).toEqual(["block", "block", "pass"]);
    expect([at("400 >< 443", 400), at("400 >< 443", 401), at("400 >< 443", 443)]).toEqual(["pass", "block", "pass"]);
    expect([at("400 <> 443", 400), at("400 <> 443", 399), at("400 <> 443", 444)]).toEqual(["pass", "block", "block"]);
    const icmpPacket: Packet = {
      ...web,
      protocol: "icmp",
      sourcePort: undefined,
      destinationPort: undefined,
      icmpType: 8,
    };
    expect(decide("block quick to any port 443", icmpPacket).action).toBe("pass");
  });

  it("matches source ports", () => {
    const dhcp: Packet = {
      ...web,
      protocol: "udp",
      sourcePort: 68,
      destinationPort: 67,
      destination: "255.255.255.255",
    };
    expect(decide("block quick proto udp from any port 68 to any port 67", dhcp).action).toBe("block");
    expect(decide("block quick proto udp from any port 67 to any port 68", dhcp).action).toBe("pass");
  });

  it("reads `flags S/SA` as: a TCP packet that is not an initial SYN does not match", () => {
    const rules = "pass out quick proto tcp all flags S/SA keep state\nblock return out quick all";
    expect(decide(rules).action).toBe("pass");
    expect(decide(rules, { ...web, tcpFlags: "A" }).action).toBe("block");
    expect(decide(rules, { ...web, tcpFlags: "SA" }).action).toBe("block");
    expect(decide("pass out quick all\nblock return out quick all", { ...web, tcpFlags: "A" }).action).toBe("block");
    expect(decide("pass out quick all flags any\nblock return out quick all", { ...web, tcpFlags: "A" }).action).toBe(
      "pass",
    );
    expect(decide("pass out quick all\nblock return out quick all", { ...web, protocol: "udp" }).action).toBe("pass");
  });

  it("matches ICMP and ICMPv6 types and codes", () => {
    const ns: Packet = {
      direction: "out",
      interface: "en0",
      family: "inet6",
      protocol: "icmp6",
      source: "fe80::1",
      destination: "ff02::1:ff00:1",
      icmpType: 135,
    };
    expect(
      decide("pass quick inet6 proto ipv6-icmp all icmp6-type neighbrsol no state\nblock quick all", ns).action,
    ).toBe("pass");
    expect(decide("pass quick inet6 proto icmp6 all icmp6-type 136 no state\nblock quick all", ns).action).toBe(
      "block",
    );
    const unreach: Packet = {
      ...web,
      protocol: "icmp",
      sourcePort: undefined,
      destinationPort: undefined,
      icmpType: 3,
      icmpCode: 3,
    };
    expect(decide("block quick proto icmp all icmp-type unreach code 3", unreach).action).toBe("block");
    expect(decide("block quick proto icmp all icmp-type unreach code 1", unreach).action).toBe("pass");
  });

  it("knows which block policies answer the sender", () => {
    expect(decide("block return quick all").returns).toBe(true);
    expect(decide("block return-rst quick all").returns).toBe(true);
    expect(decide("block return-rst quick all", { ...web, protocol: "udp" }).returns).toBe(false);
    expect(decide("block return-icmp quick all", { ...web, protocol: "udp" }).returns).toBe(true);
    expect(decide("block drop quick all").returns).toBe(false);
    expect(decide("block quick all").returns).toBe(false);
  });

  it("never matches no-route, fragment-only rules", () => {
    expect(decide("block quick to no-route").action).toBe("pass");
    expect(decide("block quick to ! no-route").action).toBe("block");
    expect(decide("block quick all fragment").action).toBe("pass");
  });

  it("evaluates an inline anchor block only when its own match applies, and its quick ends everything", () => {
    const rules = [
      'anchor "a" out on en1 all {',
      "  block quick all",
      "}",
      'anchor "b" out on en0 all {',
      "  pass quick all",
      "}",
      "block quick all",
    ].join("\n");
    const result = decide(rules);
    expect(result).toMatchObject({ action: "pass", quick: true });
    expect(result.rule?.line).toBe(5);
    // gate a (skipping its rule), gate b, its rule
    expect(result.walked).toBe(3);
  });

  it("counts the rules walked", () => {
    expect(decide("pass in quick all\npass in quick all\nblock out quick all\npass out quick all").walked).toBe(3);
  });

  it("rejects a malformed packet with the field named", () => {
    expect(() => decide("pass all", { ...web, destination: "2001:db8::1" })).toThrow(
      /destination "2001:db8::1" is not an IPv4 address/,
    );
    expect(() => decide("pass all", { ...web, protocol: "bogus" })).toThrow(/unknown protocol "bogus"/);
  });

  it("describes a packet in one line", () => {
    expect(describePacket(web)).toBe("out en0 inet tcp 192.168.1.23:49152 -> 203.0.113.50:443");
    expect(
      describePacket({ ...web, family: "inet6", source: "fe80::1", destination: "2001:db8::1", tcpFlags: "A" }),
    ).toBe("out en0 inet6 tcp [fe80::1]:49152 -> [2001:db8::1]:443 flags A");
  });
});

describe("the evaluator's index of rules by destination host", () => {
  it("gives the verdict, the deciding rule and the rules walked of pf's linear walk, over many exceptions", async () => {
    const exceptions = Array.from({ length: 300 }, (_, i) => ({
      address: `10.${(i >> 8) & 255}.${i & 255}.7`,
      protocol: "tcp" as const,
      port: 443,
    }));
    const policy = await policyOf({ vpnServers: ["198.51.100.7:1194/udp"], allowLan: true, exceptions });
    const input = { policy, network: NETWORKS.vpnUp, now: NOW };
    const parsed = parsePfRules(buildKillSwitchAnchor(input));
    const indexed = createEvaluator(parsed);
    // pf's walk, one rule at a time: a rule matches when a ruleset of it alone decides by it.
    const linear = (packet: Packet) => {
      let decided: PfRule | null = null;
      let walked = 0;
      for (const rule of parsed.rules) {
        walked++;
        if (evaluatePacket({ rules: [rule], tables: [] }, packet).rule === null) continue;
        decided = rule;
        if (rule.quick) break;
      }
      return { line: decided?.line ?? null, walked: decided?.quick ? walked : parsed.rules.length };
    };
    const probes = policyProbes(input).probes.filter((probe) => !probe.packet.after);
    expect(probes.length).toBeGreaterThan(600);
    for (const { packet, description } of probes.filter((_, i) => i % 3 === 0)) {
      const fast = indexed(packet);
      expect({ line: fast.rule?.line ?? null, walked: fast.walked }, description).toEqual(linear(packet));
    }
  });
});
