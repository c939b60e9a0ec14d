import { describe, expect, it } from "vitest";
import { parsePfRules } from "../../src/verify/parse-rules";

const one = (text: string) => {
  const parsed = parsePfRules(`${text}\n`);
  expect(parsed.errors).toEqual([]);
  expect(parsed.rules).toHaveLength(1);
  return parsed.rules[0];
};

describe("parsePfRules: the builder's forms", () => {
  it("reads action, direction, quick, interface, family, protocol, hosts and ports", () => {
    const rule = one("pass out quick on en0 inet proto udp from any port 68 to 255.255.255.255 port 67 keep state");
    expect(rule).toMatchObject({
      action: "pass",
      direction: "out",
      quick: true,
      interface: { name: "en0", negated: false },
      family: "inet",
      protocol: 17,
      from: { address: { kind: "any" }, port: { op: "=", low: 68, high: 68 } },
      to: { address: { kind: "cidr", cidr: { address: "255.255.255.255", prefix: 32 } }, port: { op: "=", low: 67 } },
      state: "keep",
      flags: null,
      line: 1,
    });
  });

  it("joins a line ending in a backslash with the next, numbering the rule by its first line", () => {
    const parsed = parsePfRules(
      "# rules\npass out quick on en0 inet proto udp \\\n  from any port 68 to 255.255.255.255 port 67 keep state\nblock return out quick all\n",
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.rules.map((r) => [r.line, r.to.port?.low ?? null])).toEqual([
      [2, 67],
      [4, null],
    ]);
  });

  it("reads the state's options: `(if-bound)` binds the state to its interface, floating otherwise", () => {
    const [bound, floating, none] = parsePfRules(
      "pass out quick on utun4 all flags any keep state (if-bound)\npass out quick on utun4 all keep state\npass in quick on en0 proto udp from any port 67 to any port 68 no state\n",
    ).rules;
    expect([bound.stateBinding, floating.stateBinding, none.stateBinding]).toEqual(["if-bound", "floating", null]);
  });

  it("expands { } lists into one rule each, in pfctl's order, keeping the line", () => {
    const parsed = parsePfRules(
      "# comment\n\nblock return out quick proto { tcp, udp } from any to any port { 53, 853 }\n",
    );
    expect(parsed.rules.map((r) => [r.protocol, r.to.port?.low, r.line])).toEqual([
      [6, 53, 3],
      [6, 853, 3],
      [17, 53, 3],
      [17, 853, 3],
    ]);
    expect(parsed.rules[0]).toMatchObject({ action: "block", blockPolicy: "return", text: parsed.rules[3].text });
  });

  it("drops combinations whose address families disagree, as pfctl does", () => {
    const parsed = parsePfRules(
      "pass out quick proto tcp from { 10.0.0.0/8, fe80::/10 } to { 192.168.0.1, ff02::1 } port 80\n",
    );
    expect(parsed.rules.map((r) => [r.family, r.from.address.kind === "cidr" && r.from.address.cidr.address])).toEqual([
      ["inet", "10.0.0.0"],
      ["inet6", "fe80::"],
    ]);
  });

  it("gives stateful pass rules pfctl's default `flags S/SA` (TCP and any protocol only)", () => {
    expect(one("pass quick on lo0 all").flags).toEqual({ set: 2, mask: 18 });
    expect(one("pass out quick inet proto udp to any port 53 keep state").flags).toBeNull();
    expect(one("pass out quick inet from any to 1.2.3.4 flags any keep state").flags).toBeNull();
    expect(one("pass in quick inet from 1.2.3.4 to any no state")).toMatchObject({ flags: null, state: "none" });
    expect(one("block drop in quick all")).toMatchObject({ flags: null, blockPolicy: "drop" });
  });

  it("reads ICMPv6 types as numbers and as pfctl's names", () => {
    const parsed = parsePfRules(
      "pass out quick inet6 proto icmp6 from any to { fe80::/10, ff02::/16 } icmp6-type { 133, neighbradv, 143 } no state\n",
    );
    expect(parsed.rules.map((r) => r.icmpType)).toEqual([133, 136, 143, 133, 136, 143]);
    expect(parsed.rules.every((r) => r.protocol === 58 && r.family === "inet6")).toBe(true);
  });
});

describe("parsePfRules: what pfctl prints back", () => {
  it("reads @N numbers, `port = name`, `flags S/SA keep state`, ipv6-icmp and `all` with options", () => {
    const parsed = parsePfRules(
      [
        "@0 pass quick on lo0 all flags S/SA keep state",
        "  [ Evaluations: 12        Packets: 40        Bytes: 3204        States: 1     ]",
        "  [ Inserted: uid 0 pid 4242 ]",
        "@1 pass out quick inet proto udp from any port = bootpc to 255.255.255.255 port = bootps keep state",
        "@2 pass in quick inet6 proto ipv6-icmp all icmp6-type routersol no state",
        "@3 block return out quick proto tcp from any to any port = domain",
        "@4 pass out quick inet proto tcp from any to 192.168.1.50 port = ipp flags S/SA keep state",
        "",
      ].join("\n"),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.rules.map((r) => r.number)).toEqual([0, 1, 2, 3, 4]);
    expect(parsed.rules.map((r) => r.line)).toEqual([1, 4, 5, 6, 7]);
    expect(parsed.others.map((o) => o.kind)).toEqual(["counter", "counter"]);
    expect(parsed.rules[1].from.port?.low).toBe(68);
    expect(parsed.rules[2]).toMatchObject({ protocol: 58, icmpType: 133 });
    expect(parsed.rules[3].to.port?.low).toBe(53);
    expect(parsed.rules[4]).toMatchObject({ to: { port: { low: 631 } }, flags: { set: 2, mask: 18 } });
  });

  it("reads every port operator", () => {
    const ops = [
      "= 80",
      "!= 80",
      "< 1024",
      "<= 1024",
      "> 1024",
      ">= 1024",
      "1000:2000",
      "1000 >< 2000",
      "1000 <> 2000",
    ];
    const ports = ops.map((op) => one(`pass out quick proto tcp to any port ${op}`).to.port);
    expect(ports.map((p) => `${p?.op} ${p?.low} ${p?.high}`)).toEqual([
      "= 80 80",
      "!= 80 80",
      "< 1024 1024",
      "<= 1024 1024",
      "> 1024 1024",
      ">= 1024 1024",
      ": 1000 2000",
      ">< 1000 2000",
      "<> 1000 2000",
    ]);
  });

  it("reads negation, tables (with pfctl -v counts), no-route and short IPv4 networks", () => {
    const parsed = parsePfRules(
      [
        "table <vpn> persist { 198.51.100.7, !198.51.100.8, 2001:db8::/32 }",
        "pass out quick on ! en0 from ! 10/8 to <vpn:3> keep state",
        "block in quick from no-route to any",
        "",
      ].join("\n"),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.tables).toEqual([
      {
        name: "vpn",
        line: 1,
        options: ["persist"],
        entries: [
          { cidr: { family: "inet", address: "198.51.100.7", prefix: 32 }, negated: false },
          { cidr: { family: "inet", address: "198.51.100.8", prefix: 32 }, negated: true },
          { cidr: { family: "inet6", address: "2001:db8::", prefix: 32 }, negated: false },
        ],
      },
    ]);
    expect(parsed.rules[0]).toMatchObject({
      interface: { name: "en0", negated: true },
      from: { address: { kind: "cidr", negated: true, cidr: { address: "10.0.0.0", prefix: 8 } } },
      to: { address: { kind: "table", table: "vpn", negated: false } },
    });
    expect(parsed.rules[1].from.address).toEqual({ kind: "no-route", negated: false });
  });

  it("reads block policies, label, allow-opts and every state keyword", () => {
    expect(one("block return-rst in quick proto tcp all").blockPolicy).toBe("return-rst");
    expect(one("block return-icmp(port-unr) out quick proto udp all").blockPolicy).toBe("return-icmp");
    expect(one("block out quick all").blockPolicy).toBe("drop");
    expect(one('pass out quick all flags S/SA modulate state label "web"')).toMatchObject({
      state: "modulate",
      label: "web",
    });
    expect(one("pass in quick proto tcp to any port 22 flags S/SA synproxy state allow-opts").state).toBe("synproxy");
    expect(one("pass out quick proto tcp all keep state (max 100, if-bound)").state).toBe("keep");
    expect(one("block in log quick all").log).toBe(true);
  });

  it("recognises non-filter lines: anchors, scrub, nat/rdr, options, pfctl messages, -s all sections", () => {
    const parsed = parsePfRules(
      [
        "No ALTQ support in kernel",
        "FILTER RULES:",
        'scrub-anchor "com.apple/*" all fragment reassemble',
        'anchor "com.apple/*" all',
        "scrub in all fragment reassemble",
        "set skip on lo0",
        "rdr pass on bridge0 inet proto tcp from 192.168.2.0/24 to any port = 80 -> 127.0.0.1 port 8888",
        'load anchor "com.apple" from "/etc/pf.anchors/com.apple"',
        "STATES:",
        "ALL tcp 192.168.1.100:52137 -> 52.49.35.215:80       ESTABLISHED:ESTABLISHED",
        "",
      ].join("\n"),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.others.map((o) => `${o.line}:${o.kind}`)).toEqual([
      "1:pfctl-message",
      "2:section",
      "3:scrub",
      "4:anchor",
      "5:scrub",
      "6:option",
      "8:load-anchor",
      "9:section",
      "10:not-rules",
    ]);
    // The rdr is a rule, read as one: with `pass` its packets skip the filter rules.
    expect(
      parsed.translations.map((t) => ({ line: t.line, kind: t.kind, pass: t.pass, direction: t.direction })),
    ).toEqual([{ line: 7, kind: "rdr", pass: true, direction: "in" }]);
  });

  it("keeps the rules of an inline anchor block, gated by the anchor's match", () => {
    const parsed = parsePfRules(
      ['anchor "vpn" out on en0 all {', "  block return out quick all", "}", "pass quick all", ""].join("\n"),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.rules[0].anchor).toMatchObject({
      name: "vpn",
      line: 1,
      gate: { direction: "out", interface: { name: "en0" } },
    });
    expect(parsed.rules[1].anchor).toBeNull();
  });

  it("notes whether the text ends with a newline", () => {
    expect(parsePfRules("pass quick all").endsWithNewline).toBe(false);
    expect(parsePfRules("pass quick all\n").endsWithNewline).toBe(true);
  });
});

describe("parsePfRules: lines it does not understand are reported, never skipped", () => {
  const cases: [string, RegExp][] = [
    ["match out on en0 nat-to (en0)", /match.*macOS pfctl/],
    ["pass in quick on en0 received-on en1", /received-on/],
    ["pass out quick proto tcp to example.com port 80", /host name "example.com"/],
    ["pass out quick proto tcp to any port foo", /unknown service name "foo"/],
    ["pass out quick proto xyz all", /unknown protocol "xyz"/],
    ['ext_if = "en0"', /macro/],
    ["pass out quick on $ext_if all", /macros/],
    ["pass out quick user root all", /user/],
    ["pass out quick to (en0)", /dynamic interface addresses/],
    ["frobnicate all", /unknown keyword "frobnicate"/],
    ["pass out quick from 999.1.1.1 to any", /not an address/],
    ["pass out quick inet from any to fe80::/10", /no combination/],
    ["pass out quick proto tcp from any to any flags XYZ", /TCP flag/],
    ['anchor "x" all {', /never closed/],
  ];
  for (const [line, reason] of cases) {
    it(`${line} -> ${reason}`, () => {
      const parsed = parsePfRules(`pass quick on lo0 all\n${line}\n`);
      expect(parsed.errors).toHaveLength(1);
      expect(parsed.errors[0]).toMatchObject({ line: 2, text: line });
      expect(parsed.errors[0].reason).toMatch(reason);
    });
  }
});
