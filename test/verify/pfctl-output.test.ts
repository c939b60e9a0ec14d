import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import { createEvaluator } from "../../src/verify/evaluate";
import { lintRuleset } from "../../src/verify/lint";
import { parsePfRules } from "../../src/verify/parse-rules";
import { type VerifyInput, evaluateProbe, policyProbes, verifyRuleset } from "../../src/verify/verify-policy";
import { CAFE, HOME, NETWORKS, NOW, policyOf } from "./scenarios";

const FIXTURES = join(__dirname, "..", "fixtures", "macos", "pfctl");
const read = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

describe("real pfctl output (test/fixtures/macos/pfctl)", () => {
  // Interface listings (`pfctl -s Interfaces`) are no rules: the root script reads them (skipped-interfaces test).
  const files = readdirSync(FIXTURES).filter((name) => name.endsWith(".txt") && !name.includes("-s-Interfaces"));

  it("has the rules outputs to read", () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  for (const name of files) {
    it(`${name}: every line is understood`, () => {
      expect(parsePfRules(read(name)).errors).toEqual([]);
    });
  }

  it("pfctl -s rules (stock macOS): the ALTQ notices, Apple's scrub-anchor and anchor", () => {
    const parsed = parsePfRules(read("pfctl-s-rules_default_apple-stackexchange-221058.txt"));
    expect(parsed.rules).toEqual([]);
    expect(parsed.others.map((o) => `${o.line}:${o.kind}`)).toEqual([
      "1:pfctl-message",
      "2:pfctl-message",
      "3:scrub",
      "4:anchor",
    ]);
  });

  it("pfctl -s all: rule sections read, states and info recognised as not rules", () => {
    for (const name of [
      "pfctl-s-all_macos-13.4.1_sshuttle864_default-anchors_PARTIAL.txt",
      "pfctl-s-all_sshuttle563_INFO-section_PARTIAL.txt",
    ]) {
      const parsed = parsePfRules(read(name));
      const kinds = parsed.others.map((o) => o.kind);
      expect(kinds.filter((k) => k === "section")).toHaveLength(name.includes("INFO") ? 5 : 4);
      expect(kinds.filter((k) => k === "translation")).toHaveLength(4);
      expect(kinds.filter((k) => k === "anchor")).toHaveLength(3);
      expect(parsed.others.find((o) => o.text.startsWith("ALL "))?.kind).toBe("not-rules");
    }
  });

  it("pfctl -vvv: @N numbers, macOS's [ Owner ... ] counter lines and the rdr rule", () => {
    const parsed = parsePfRules(read("pfctl-vvv-f-E_mac-os-x-10.7plus_korean-blog_pf-enabled_Token.txt"));
    const kinds = parsed.others.map((o) => o.kind);
    expect(kinds.filter((k) => k === "counter")).toHaveLength(11);
    expect(parsed.translations.find((t) => t.text.startsWith("@0 rdr pass on bridge0"))).toMatchObject({
      kind: "rdr",
      pass: true,
      number: 0,
    });
    expect(parsed.others.find((o) => o.text.startsWith("Token :"))?.kind).toBe("pfctl-message");
  });

  it("pfctl -a 'com.apple/*' -sr: Apple's DIOCGETRULES bug inside anchor blocks, flagged by the lint", () => {
    const text = read("pfctl-a-com.apple-star-sr_DIOCGETRULES-bug_osquery1521.txt");
    const parsed = parsePfRules(text);
    expect(parsed.rules).toEqual([]);
    expect(
      lintRuleset(text, parsed)
        .filter((f) => f.id === "pfctl-error")
        .map((f) => f.line),
    ).toEqual([2, 5]);
  });

  it("pfctl as a normal user: the error is recognised and flagged, no rules", () => {
    const text = read("pfctl_permission-denied_non-root.txt");
    expect(parsePfRules(text).rules).toEqual([]);
    expect(lintRuleset(text)).toContainEqual(expect.objectContaining({ id: "pfctl-error", line: 1 }));
  });

  it("Apple's AirDrop Bonjour anchor rule: a real printed filter rule, evaluated", () => {
    const parsed = parsePfRules(read("pfctl-a-com.apple-200.AirDrop-Bonjour-sr_osquery1521.txt"));
    expect(parsed.rules).toHaveLength(1);
    expect(parsed.rules[0]).toMatchObject({
      action: "pass",
      direction: "in",
      quick: false,
      interface: { name: "p2p0", negated: false },
      family: "inet6",
      protocol: 17,
      to: { port: { op: "=", low: 5353 } },
      state: "keep",
      flags: null,
    });
  });

  it("/etc/pf.conf (stock): anchors and load anchor recognised", () => {
    const parsed = parsePfRules(read("etc-pf.conf_default_macos.txt"));
    expect(parsed.others.map((o) => o.kind)).toEqual([
      "scrub",
      "translation",
      "translation",
      "dummynet",
      "anchor",
      "load-anchor",
    ]);
  });

  it("names a line it does not understand, and why", () => {
    const text = `${read("pfctl-s-rules_default_apple-stackexchange-221058.txt")}pass in quick on en0 proto tcp to any port 22 received-on en1\n`;
    expect(parsePfRules(text).errors).toEqual([
      {
        line: 5,
        text: "pass in quick on en0 proto tcp to any port 22 received-on en1",
        reason: "`received-on` (OpenBSD 5.x) is not accepted by macOS pfctl",
      },
    ]);
  });
});

/**
 * Our own rendering of pfctl's canonical format (OpenBSD 4.x `print_rule` as in macOS pfctl) for the anchor the
 * builder makes below: lists expanded one rule per line, `port = <service>`, `flags any` printed on stateful pass
 * rules that can see TCP, state options in parentheses (`keep state (if-bound)`), `proto ipv6-icmp` and ICMPv6
 * type names. Written by hand, not captured from a Mac.
 */
const CANONICAL_SR = `pass quick on lo0 all flags any keep state
pass out quick on utun4 all flags any keep state (if-bound)
pass out quick inet proto udp from any to 198.51.100.10 port = openvpn keep state (if-bound)
pass out quick inet proto tcp from any to 198.51.100.20 port = https flags any keep state (if-bound)
pass out quick inet6 proto tcp from any to 2001:db8:99::20 port = https flags any keep state (if-bound)
pass out quick inet from any to 198.51.100.7 flags any keep state (if-bound)
pass out quick on en0 inet proto udp from any port = bootpc to 255.255.255.255 port = bootps keep state
pass in quick on en0 inet proto udp from any port = bootps to any port = bootpc no state
pass out quick on en0 inet6 proto udp from fe80::/10 port = dhcpv6-client to ff02::1:2 port = dhcpv6-server keep state
pass in quick on en0 inet6 proto udp from fe80::/10 port = dhcpv6-server to fe80::/10 port = dhcpv6-client no state
pass out quick on en0 inet6 proto ipv6-icmp from any to fe80::/10 icmp6-type routersol no state
pass out quick on en0 inet6 proto ipv6-icmp from any to fe80::/10 icmp6-type routeradv no state
pass out quick on en0 inet6 proto ipv6-icmp from any to fe80::/10 icmp6-type neighbrsol no state
pass out quick on en0 inet6 proto ipv6-icmp from any to fe80::/10 icmp6-type neighbradv no state
pass out quick on en0 inet6 proto ipv6-icmp from any to fe80::/10 icmp6-type redir no state
pass out quick on en0 inet6 proto ipv6-icmp from any to fe80::/10 icmp6-type 143 no state
pass out quick on en0 inet6 proto ipv6-icmp from any to ff02::/16 icmp6-type routersol no state
pass out quick on en0 inet6 proto ipv6-icmp from any to ff02::/16 icmp6-type routeradv no state
pass out quick on en0 inet6 proto ipv6-icmp from any to ff02::/16 icmp6-type neighbrsol no state
pass out quick on en0 inet6 proto ipv6-icmp from any to ff02::/16 icmp6-type neighbradv no state
pass out quick on en0 inet6 proto ipv6-icmp from any to ff02::/16 icmp6-type redir no state
pass out quick on en0 inet6 proto ipv6-icmp from any to ff02::/16 icmp6-type 143 no state
pass in quick on en0 inet6 proto ipv6-icmp all icmp6-type groupqry no state
pass in quick on en0 inet6 proto ipv6-icmp all icmp6-type routersol no state
pass in quick on en0 inet6 proto ipv6-icmp all icmp6-type routeradv no state
pass in quick on en0 inet6 proto ipv6-icmp all icmp6-type neighbrsol no state
pass in quick on en0 inet6 proto ipv6-icmp all icmp6-type neighbradv no state
pass in quick on en0 inet6 proto ipv6-icmp all icmp6-type redir no state
pass out quick inet proto tcp from any to 1.1.1.1 port = domain flags any keep state
pass out quick inet proto tcp from any to 1.1.1.1 port = 853 flags any keep state
pass out quick inet proto udp from any to 1.1.1.1 port = domain keep state
pass out quick inet proto udp from any to 1.1.1.1 port = 853 keep state
block return out quick proto tcp from any to any port = domain
block return out quick proto tcp from any to any port = 853
block return out quick proto udp from any to any port = domain
block return out quick proto udp from any to any port = 853
pass out quick inet proto udp from any to 224.0.0.251 port = 5353 keep state
pass in quick inet proto udp from any to 224.0.0.251 port = 5353 no state
pass out quick inet6 proto udp from any to ff02::fb port = 5353 keep state
pass in quick inet6 proto udp from any to ff02::fb port = 5353 no state
pass out quick on awdl0 inet6 from any to fe80::/10 flags any keep state
pass out quick on awdl0 inet6 from any to ff02::/16 flags any keep state
pass in quick on awdl0 inet6 proto udp from fe80::/10 to fe80::/10 port = 5353 no state
pass in quick on awdl0 inet6 proto udp from fe80::/10 to ff02::fb port = 5353 no state
pass in quick on awdl0 inet6 proto ipv6-icmp from fe80::/10 to fe80::/10 icmp6-type neighbrsol no state
pass in quick on awdl0 inet6 proto ipv6-icmp from fe80::/10 to fe80::/10 icmp6-type neighbradv no state
pass in quick on awdl0 inet6 proto ipv6-icmp from fe80::/10 to ff02::/16 icmp6-type neighbrsol no state
pass in quick on awdl0 inet6 proto ipv6-icmp from fe80::/10 to ff02::/16 icmp6-type neighbradv no state
pass in quick on awdl0 inet6 proto tcp from fe80::/10 to fe80::/10 port = 8770 no state
pass in quick on awdl0 inet6 proto tcp from fe80::/10 to fe80::/10 port 49152:65535 no state
pass out quick on llw0 inet6 from any to fe80::/10 flags any keep state
pass out quick on llw0 inet6 from any to ff02::/16 flags any keep state
pass in quick on llw0 inet6 proto udp from fe80::/10 to fe80::/10 port = 5353 no state
pass in quick on llw0 inet6 proto udp from fe80::/10 to ff02::fb port = 5353 no state
pass in quick on llw0 inet6 proto ipv6-icmp from fe80::/10 to fe80::/10 icmp6-type neighbrsol no state
pass in quick on llw0 inet6 proto ipv6-icmp from fe80::/10 to fe80::/10 icmp6-type neighbradv no state
pass in quick on llw0 inet6 proto ipv6-icmp from fe80::/10 to ff02::/16 icmp6-type neighbrsol no state
pass in quick on llw0 inet6 proto ipv6-icmp from fe80::/10 to ff02::/16 icmp6-type neighbradv no state
pass in quick on llw0 inet6 proto tcp from fe80::/10 to fe80::/10 port = 8770 no state
pass in quick on llw0 inet6 proto tcp from fe80::/10 to fe80::/10 port 49152:65535 no state
pass out quick on en0 inet from any to 192.168.1.0/24 flags any keep state
pass in quick on en0 inet from 192.168.1.0/24 to any flags any keep state
pass out quick on en0 inet from any to 169.254.0.0/16 flags any keep state
pass in quick on en0 inet from 169.254.0.0/16 to any flags any keep state
pass out quick on en0 inet6 from any to fe80::/10 flags any keep state
pass in quick on en0 inet6 from fe80::/10 to any flags any keep state
pass out quick on en0 inet proto tcp from any to 192.168.1.50 port = ipp flags any keep state
pass out quick inet proto tcp from any to 198.51.100.60 port 8000:8080 flags any keep state
pass out quick inet proto udp from any to 198.51.100.60 port 8000:8080 keep state
block return out quick all
block drop in quick all
`;

/** The same as `pfctl -vv -sr` prints it: rule numbers and a counter line under each rule. */
const CANONICAL_VV = CANONICAL_SR.trimEnd()
  .split("\n")
  .map((line, n) => `@${n} ${line}\n  [ Evaluations: 0         Packets: 0         Bytes: 0           States: 0     ]\n`)
  .join("");

describe("our anchor as pfctl prints it back verifies the same as the builder's text", () => {
  let input: VerifyInput;
  let built: string;

  beforeAll(async () => {
    const policy = await policyOf({
      vpnServers: ["198.51.100.10:1194/udp", "vpn.example.net:443/tcp"],
      dnsResolvers: ["1.1.1.1"],
      allowLan: true,
      exceptions: [
        { address: "192.168.1.50", protocol: "tcp", port: 631, scope: HOME, label: "printer" },
        { address: "10.0.0.9", scope: CAFE, label: "cafe portal" },
        { address: "198.51.100.60", protocol: "any", port: "8000-8080", scope: "all", label: "dev" },
      ],
    });
    input = { policy, network: NETWORKS.vpnUp, now: NOW };
    built = buildKillSwitchAnchor(input);
  });

  it("expands to the same number of rules", () => {
    expect(parsePfRules(CANONICAL_SR).rules).toHaveLength(parsePfRules(built).rules.length);
    expect(parsePfRules(CANONICAL_VV).rules).toHaveLength(parsePfRules(built).rules.length);
  });

  for (const [name, text] of [
    ["pfctl -sr", () => CANONICAL_SR],
    ["pfctl -vv -sr", () => CANONICAL_VV],
  ] as const) {
    it(`${name}: the same verdict for every packet of the matrix, and every clause holds`, () => {
      const canonical = text();
      const fromBuilder = createEvaluator(parsePfRules(built));
      const fromPfctl = createEvaluator(parsePfRules(canonical));
      const { probes } = policyProbes(input);
      expect(probes.length).toBeGreaterThan(300);
      for (const { packet, description } of probes) {
        const a = evaluateProbe(packet, fromBuilder);
        const b = evaluateProbe(packet, fromPfctl);
        expect({ action: b.action, returns: b.returns, quick: b.quick }, description).toEqual({
          action: a.action,
          returns: a.returns,
          quick: a.quick,
        });
      }
      const result = verifyRuleset(canonical, input);
      expect(result.parseErrors).toEqual([]);
      expect(result.lint.filter((finding) => finding.id !== "every-protocol-to-host")).toEqual([]);
      expect(result.passed).toBe(true);
      expect(result.clauses.map((c) => [c.id, c.checked])).toEqual(
        verifyRuleset(built, input).clauses.map((c) => [c.id, c.checked]),
      );
    });
  }
});
