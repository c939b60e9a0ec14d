import { describe, expect, it } from "vitest";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import { type LintFinding, lintRuleset } from "../../src/verify/lint";
import { NETWORKS, NOW, SETTINGS, policyOf } from "./scenarios";

const ids = (findings: LintFinding[]) => findings.map((f) => `${f.line}:${f.id}:${f.severity}`);
const FINAL = "block return out quick all\nblock drop in quick all\n";

describe("lintRuleset", () => {
  it("finds nothing in the builder's anchor (blocking mode and with every option)", async () => {
    for (const [settings, network] of [
      [SETTINGS.base, NETWORKS.vpnDown],
      [SETTINGS.exceptionsWithLan, NETWORKS.vpnUp],
      [SETTINGS.resolvers, NETWORKS.ipv6],
    ] as const) {
      const policy = await policyOf(settings);
      const until = new Date(NOW.getTime() + 60_000);
      const text = buildKillSwitchAnchor({ policy, network, now: NOW, captivePortalUntil: until });
      // The only finding: the server seen in the routes, whose port no connection shows (a warning).
      expect(lintRuleset(text).filter((finding) => finding.id !== "every-protocol-to-host")).toEqual([]);
    }
  });

  it("warns about a pass of every protocol to one host outside the tunnel, and not with a protocol or on a tunnel", () => {
    const findings = lintRuleset(`pass out quick inet from any to 198.51.100.7 keep state (if-bound)\n${FINAL}`);
    expect(ids(findings)).toEqual(["1:every-protocol-to-host:warning"]);
    expect(findings[0].message).toMatch(/every protocol and port to 198\.51\.100\.7 outside the tunnel/);
    expect(
      lintRuleset(`pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)\n${FINAL}`),
    ).toEqual([]);
    expect(lintRuleset(`pass out quick on utun4 inet from any to 10.8.0.1 keep state (if-bound)\n${FINAL}`)).toEqual(
      [],
    );
    expect(lintRuleset(`pass out quick inet from any to 192.168.1.0/24 keep state\n${FINAL}`)).toEqual([]);
  });

  it("flags a bare interface family: macOS pf has no interface groups", () => {
    for (const family of ["utun", "ipsec", "ppp", "en", "egress"]) {
      const findings = lintRuleset(`pass quick on ${family} all keep state (if-bound)\n${FINAL}`);
      expect(ids(findings)).toEqual(["1:bare-interface:error"]);
      expect(findings[0].message).toContain(`literally named "${family}"`);
    }
    expect(lintRuleset(`pass out quick on utun12 all keep state (if-bound)\n${FINAL}`)).toEqual([]);
  });

  it("flags what a hostile network can use: a pass to /0, a stateless inbound pass, floating tunnel states", () => {
    expect(ids(lintRuleset(`pass out quick inet from any to 192.168.1.20/0 keep state\n${FINAL}`))).toEqual([
      "1:pass-to-everything:error",
    ]);
    expect(ids(lintRuleset(`pass out quick inet6 from any to ::/0 keep state\n${FINAL}`))).toEqual([
      "1:pass-to-everything:error",
    ]);
    expect(ids(lintRuleset(`pass in quick inet from 198.51.100.7 to any no state\n${FINAL}`))).toEqual([
      "1:stateless-inbound:error",
    ]);
    // Narrowed to a port or an ICMP type (DHCP replies, neighbour discovery), a stateless inbound pass is fine.
    expect(
      lintRuleset(`pass in quick on en0 inet proto udp from any port 67 to any port 68 no state\n${FINAL}`),
    ).toEqual([]);
    const floating = lintRuleset(`pass quick on utun4 all flags any keep state\n${FINAL}`);
    expect(ids(floating)).toEqual(["1:floating-tunnel-state:error"]);
    expect(floating[0].message).toContain("keep state (if-bound)");
    expect(ids(lintRuleset(`pass out quick on ipsec0 all\n${FINAL}`))).toEqual(["1:floating-tunnel-state:error"]);
    expect(lintRuleset(`pass out quick on utun4 all no state\n${FINAL}`)).toEqual([]);
  });

  it("flags `set` options inside the anchor", () => {
    expect(ids(lintRuleset(`set skip on lo0\n${FINAL}`))).toEqual(["1:option-in-anchor:error"]);
    expect(ids(lintRuleset(`set block-policy return\n${FINAL}`))).toEqual(["1:option-in-anchor:error"]);
  });

  it("flags a missing final newline", () => {
    expect(ids(lintRuleset(FINAL.trimEnd()))).toEqual(["0:final-newline:error"]);
  });

  it("flags rules that are not quick", () => {
    expect(ids(lintRuleset(`pass out on utun4 all keep state (if-bound)\n${FINAL}`))).toEqual(["1:not-quick:error"]);
  });

  it("flags rules after the final quick block that can never matter", () => {
    expect(ids(lintRuleset(`${FINAL}pass quick on lo0 all\n`))).toEqual(["3:unreachable:error"]);
    expect(
      ids(lintRuleset("block return out quick all\npass out quick on en0 all\npass in quick on en0 all\n")),
    ).toEqual(["2:unreachable:error"]);
    expect(lintRuleset("block return out quick all\npass in quick on en0 all\n")).toEqual([]);
  });

  it("flags includes, loading other anchors and any mention of /etc/pf.conf", () => {
    expect(ids(lintRuleset(`include "/etc/pf.conf"\n${FINAL}`))).toEqual(["1:include:error", "1:include:error"]);
    expect(ids(lintRuleset(`load anchor "x" from "/tmp/x.conf"\n${FINAL}`))).toEqual(["1:include:error"]);
  });

  it("flags scrub, nat, rdr and dummynet, which do not belong in our anchor", () => {
    const text = `scrub in all fragment reassemble\nnat on en0 from 10.0.0.0/8 to any -> 192.168.1.23\nrdr on en0 proto tcp to any port 80 -> 127.0.0.1 port 8080\ndummynet in quick all pipe 1\n${FINAL}`;
    expect(ids(lintRuleset(text))).toEqual([
      "1:not-filtering:error",
      "2:not-filtering:error",
      "3:not-filtering:error",
      "4:not-filtering:error",
    ]);
  });

  it("flags syntax newer than macOS pfctl", () => {
    const cases = [
      "match out on en0 inet from 10.0.0.0/8 nat-to (en0)",
      "pass in quick on en0 received-on en1",
      "pass out quick all set prio 3",
      "pass in quick inet6 all af-to inet from 192.0.2.1",
      "pass in quick proto tcp to any port 80 divert-to 127.0.0.1 port 8080",
      "pass out quick proto tcp all rdr-to 127.0.0.1",
    ];
    for (const line of cases) {
      const findings = lintRuleset(`${line}\n${FINAL}`);
      expect(
        findings.some((f) => f.id === "newer-syntax" && f.line === 1),
        line,
      ).toBe(true);
    }
  });

  it("flags ports without tcp/udp and ICMP types without icmp, which pfctl rejects", () => {
    expect(ids(lintRuleset(`pass out quick to any port 443\n${FINAL}`))).toEqual(["1:port-without-tcp-udp:error"]);
    expect(ids(lintRuleset(`pass out quick proto udp all icmp6-type 135\n${FINAL}`))).toEqual([
      "1:icmp-type-without-icmp:error",
    ]);
  });

  it("warns about outbound drops, anchors, unknown and unused tables", () => {
    expect(ids(lintRuleset("block drop out quick all\nblock drop in quick all\n"))).toEqual([
      "1:silent-outbound-block:warning",
    ]);
    expect(ids(lintRuleset(`anchor "x" all\n${FINAL}`))).toEqual(["1:anchor-in-anchor:warning"]);
    expect(ids(lintRuleset(`pass out quick to <vpn> keep state\n${FINAL}`))).toEqual(["1:undefined-table:warning"]);
    expect(ids(lintRuleset(`table <vpn> persist { 198.51.100.7 }\n${FINAL}`))).toEqual(["1:unused-table:warning"]);
  });
});
