import { writeFile } from "node:fs/promises";

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runKillswitch } from "./cli-harness";
import { temporaryDirectory } from "../temporary-directory";

let dir: string;
let built: string[];

beforeAll(async () => {
  dir = temporaryDirectory("killswitch-explain-");
  const preview = await runKillswitch(["preview", "--json"]);
  built = (JSON.parse(preview.stdout) as { ruleset: string }).ruleset.split("\n");
  await writeFile(
    join(dir, "printer.conf"),
    [
      "# my own rules",
      "pass quick on lo0 all",
      "pass out quick on en0 inet proto tcp from any to 192.168.1.20 port 631 keep state",
      "block return out log (user) quick all",
      "block drop in log (user) quick all",
      "",
    ].join("\n"),
  );
});

const lineOf = (text: string) => built.indexOf(text) + 1;

/** `killswitch explain --out --if en0` for one packet; `more` adds options such as `--sport` or `--tcp-flags`. */
const explainOutOfEn0 = (proto: string, to: string, port: string, ...more: string[]) =>
  runKillswitch(["explain", "--out", "--if", "en0", "--proto", proto, "--to", to, "--port", port, ...more]);

describe("killswitch explain", () => {
  it("says the printer is blocked on the default context, by which rule, and why the policy wants it", async () => {
    const run = await explainOutOfEn0("tcp", "192.168.1.20", "631");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Packet:   out en0 inet tcp 192.168.1.23:49152 -> 192.168.1.20:631\n");
    expect(run.stdout).toContain("Verdict:  BLOCK (refused with an answer)\n");
    expect(run.stdout).toContain(
      `Rule:     line ${lineOf("block return out log (user) quick all")}: block return out log (user) quick all\n`,
    );
    expect(run.stdout).toMatch(/Walked: {3}\d+ of \d+ rules\n/);
    expect(run.stdout).toContain("Policy:   block (return): outside the VPN and not allowed\n");
  });

  it("shows traffic in the tunnel passing on the tunnel rule", async () => {
    const run = await runKillswitch([
      "explain",
      "--out",
      "--if",
      "utun4",
      "--proto",
      "udp",
      "--to",
      "203.0.113.50",
      "--port",
      "443",
      "--json",
    ]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      verdict: "pass",
      quick: true,
      rule: {
        line: lineOf("pass out quick on utun4 all flags any keep state (if-bound)"),
        text: "pass out quick on utun4 all flags any keep state (if-bound)",
      },
      walked: 2,
      packet: {
        direction: "out",
        interface: "utun4",
        family: "inet",
        protocol: "udp",
        source: "10.8.0.2",
        destination: "203.0.113.50",
        sourcePort: 49152,
        destinationPort: 443,
      },
      intended: { expected: "pass" },
    });
  });

  it("explains inbound and IPv6 packets, filling in this Mac's address", async () => {
    const run = await runKillswitch([
      "explain",
      "--in",
      "--if",
      "en0",
      "--proto",
      "icmp6",
      "--from",
      "fe80::1",
      "--icmp-type",
      "134",
      "--inet6",
      "--json",
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      verdict: "pass",
      packet: {
        direction: "in",
        family: "inet6",
        source: "fe80::1",
        destination: "fe80::1c8b:4f2a:9d3e:71b5",
        icmpType: 134,
      },
      intended: { because: "IPv6 neighbour discovery" },
    });
    const dns = await explainOutOfEn0("udp", "192.168.1.1", "53", "--sport", "5353");
    expect(dns.stdout).toContain("-> 192.168.1.1:53");
    expect(dns.stdout).toContain(
      `line ${lineOf("block return out log (user) quick proto { tcp, udp } from any to any port { 53, 853 }")}:`,
    );
  });

  it("judges a packet of a connection older than the rules with --tcp-flags", async () => {
    const run = await explainOutOfEn0("tcp", "198.51.100.7", "443", "--tcp-flags", "A");
    expect(run.stdout).toContain("Packet:   out en0 inet tcp 192.168.1.23:49152 -> 198.51.100.7:443 flags A\n");
    // The sample's VPN speaks udp 1194 to this server (its socket in netstat -anv): nothing else goes there.
    expect(run.stdout).toContain("Verdict:  BLOCK (refused with an answer)\n");
    const vpn = await explainOutOfEn0("udp", "198.51.100.7", "1194");
    expect(vpn.stdout).toContain("Verdict:  PASS\n");
    expect(vpn.stdout).toContain(
      `line ${lineOf("pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)")}:`,
    );
  });

  it("uses a rules file and reports its line numbers", async () => {
    const run = await runKillswitch(
      [
        "explain",
        "--out",
        "--if",
        "en0",
        "--proto",
        "tcp",
        "--to",
        "192.168.1.20",
        "--port",
        "631",
        "--rules",
        "printer.conf",
      ],
      { cwd: dir },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Verdict:  PASS\n");
    expect(run.stdout).toContain(
      "Rule:     line 3: pass out quick on en0 inet proto tcp from any to 192.168.1.20 port 631 keep state\n",
    );
    expect(run.stdout).toContain("Walked:   2 of 4 rules\n");
    expect(run.stdout).toContain(`Rules:    ${join(dir, "printer.conf")}\n`);
  });

  it("reads rules from standard input and says when no rule decided", async () => {
    const run = await runKillswitch(
      ["explain", "--in", "--if", "en0", "--proto", "tcp", "--from", "203.0.113.5", "--port", "22", "--rules", "-"],
      {
        stdin: "pass quick on lo0 all\n",
      },
    );
    expect(run.stdout).toContain("Verdict:  PASS\n");
    expect(run.stdout).toContain("Rule:     no rule matched (pf passes what no rule decides)\n");
    expect(run.stdout).toContain("Policy:   block: inbound outside the VPN and not allowed\n");
  });

  const invalid: [string[], string][] = [
    [
      ["--out", "--if", "en0", "--proto", "tcp", "--to", "300.1.1.1", "--port", "80"],
      '--to "300.1.1.1" is not an IP address',
    ],
    [
      ["--in", "--if", "en0", "--proto", "tcp", "--from", "nas.local", "--port", "80"],
      '--from "nas.local" is not an IP address',
    ],
    [["--if", "en0", "--proto", "tcp", "--to", "1.2.3.4", "--port", "80"], "give exactly one of --out or --in"],
    [
      ["--out", "--in", "--if", "en0", "--proto", "tcp", "--to", "1.2.3.4", "--port", "80"],
      "give exactly one of --out or --in",
    ],
    [["--out", "--proto", "tcp", "--to", "1.2.3.4", "--port", "80"], "--if is required"],
    [
      ["--out", "--if", "en 0", "--proto", "tcp", "--to", "1.2.3.4", "--port", "80"],
      '--if "en 0" is not an interface name',
    ],
    [["--out", "--if", "en0", "--to", "1.2.3.4"], "--proto is required"],
    [["--out", "--if", "en0", "--proto", "tpc", "--to", "1.2.3.4", "--port", "80"], '--proto "tpc" is not a protocol'],
    [["--out", "--if", "en0", "--proto", "tcp", "--port", "80"], "--to is required with --out"],
    [["--in", "--if", "en0", "--proto", "tcp", "--port", "80"], "--from is required with --in"],
    [
      ["--out", "--if", "en0", "--proto", "tcp", "--to", "1.2.3.4", "--port", "99999"],
      '--port "99999" is not a port (1-65535)',
    ],
    [
      ["--out", "--if", "en0", "--proto", "tcp", "--to", "1.2.3.4", "--port", "80", "--sport", "x"],
      '--sport "x" is not a port (1-65535)',
    ],
    [["--out", "--if", "en0", "--proto", "tcp", "--to", "1.2.3.4"], "--port is required with --proto tcp"],
    [
      ["--out", "--if", "en0", "--proto", "icmp", "--to", "1.2.3.4", "--port", "80"],
      "--port and --sport apply to tcp and udp only",
    ],
    [
      ["--out", "--if", "en0", "--proto", "tcp", "--to", "1.2.3.4", "--port", "80", "--icmp-type", "8"],
      "--icmp-type applies to icmp and icmp6 only",
    ],
    [
      ["--out", "--if", "en0", "--proto", "icmp", "--to", "1.2.3.4", "--icmp-type", "300"],
      '--icmp-type "300" is not an ICMP type (0-255)',
    ],
    [["--out", "--if", "en0", "--proto", "icmp", "--to", "2001:db8::1"], "--proto icmp is IPv4; use --proto icmp6"],
    [
      ["--out", "--if", "en0", "--proto", "tcp", "--to", "1.2.3.4", "--port", "80", "--tcp-flags", "SX"],
      '--tcp-flags "SX" is not a set of TCP flag letters',
    ],
    [
      ["--out", "--if", "en0", "--proto", "udp", "--to", "1.2.3.4", "--port", "80", "--tcp-flags", "S"],
      '--tcp-flags applies to tcp only, not "udp"',
    ],
    [
      ["--out", "--if", "en0", "--proto", "tcp", "--to", "1.2.3.4", "--port", "80", "--inet6"],
      '--inet6 was given but "1.2.3.4" is an IPv4 address',
    ],
    [
      ["--out", "--if", "en0", "--proto", "tcp", "--to", "1.2.3.4", "--from", "::1", "--port", "80"],
      '--from "::1" and --to "1.2.3.4" are not the same address family',
    ],
  ];
  for (const [args, message] of invalid) {
    it(`rejects ${args.join(" ")}`, async () => {
      const run = await runKillswitch(["explain", ...args]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(`killswitch explain: ${message}`);
    });
  }

  it("exits 2 on rules it cannot read, naming the line", async () => {
    const run = await runKillswitch(
      ["explain", "--out", "--if", "en0", "--proto", "tcp", "--to", "1.2.3.4", "--port", "80", "--rules", "-"],
      {
        stdin: "pass quick on lo0 all\npass out quick all af-to inet6 from ::1\n",
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("line 2: `af-to` (OpenBSD 5.1+) is not accepted by macOS pfctl");
  });
});

describe("killswitch explain with translation rules", () => {
  const explainWith = (rules: string, ...packet: string[]) =>
    runKillswitch(["explain", ...packet, "--rules", "-"], { stdin: rules });
  const toExampleSite = ["--out", "--if", "en0", "--proto", "tcp", "--to", "93.184.216.34", "--port", "443"];

  it("passes what a nat pass matches, whatever the filter rules below it say", async () => {
    const run = await explainWith(
      "nat pass on en0 inet from any to any -> 192.168.1.23\nblock drop out quick all\n",
      ...toExampleSite,
    );
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("Verdict:  PASS\n");
    expect(run.stdout).toContain(
      "Rule:     line 1: nat pass on en0 inet from any to any -> 192.168.1.23  (a translation rule with pass: its packets skip the filter rules)\n",
    );
  });

  it("leaves the filter's verdict to the filter rules after a plain nat, which only rewrites the source", async () => {
    const run = await explainWith(
      "nat on en0 inet from any to any -> 192.168.1.99\nblock drop out quick all\n",
      ...toExampleSite,
    );
    expect(run.stdout).toContain("Verdict:  BLOCK (dropped silently)\n");
    expect(run.stdout).toContain("Rule:     line 2: block drop out quick all\n");
    expect(run.stdout).toContain(
      "the filter rules see out en0 inet tcp 192.168.1.99:50001 -> 93.184.216.34:443 (source port: the one pf picks from 50001-65535)\n",
    );
  });

  it("stops at `no nat`, and a nat on another interface or for inbound packets does not apply", async () => {
    const rules = [
      "no nat on en0 inet from any to 93.184.216.34",
      "nat pass on en0 inet from any to any -> 192.168.1.23",
      "nat pass on en1 inet from any to any -> 192.168.1.23",
      "block drop quick all",
      "",
    ].join("\n");
    expect((await explainWith(rules, ...toExampleSite)).stdout).toContain("Verdict:  BLOCK (dropped silently)\n");
    const inbound = await explainWith(
      rules,
      "--in",
      "--if",
      "en0",
      "--proto",
      "tcp",
      "--from",
      "1.2.3.4",
      "--port",
      "22",
    );
    expect(inbound.stdout).toContain("Rule:     line 4: block drop quick all\n");
  });

  it("passes inbound what an rdr pass or a binat pass matches, and filters what a plain rdr redirects", async () => {
    const block = "block drop quick all\n";
    const ssh = ["--in", "--if", "en0", "--proto", "tcp", "--from", "203.0.113.9", "--to", "192.168.1.23"];
    const rdrPass = await explainWith(
      `rdr pass on en0 inet proto tcp from any to any port 2222 -> 10.0.0.10 port 22\n${block}`,
      ...ssh,
      "--port",
      "2222",
    );
    expect(rdrPass.stdout).toContain("Verdict:  PASS\n");
    const binatPass = await explainWith(
      `binat pass on en0 inet from 10.0.0.10 to any -> 192.168.1.23\n${block}`,
      ...ssh,
      "--port",
      "22",
    );
    expect(binatPass.stdout).toContain("Verdict:  PASS\n");
    const rdr = await explainWith(
      `rdr on en0 inet proto tcp from any to any port 8000:8010 -> 10.0.0.10 port 9000:9010\npass in quick on en0 inet proto tcp from any to 10.0.0.10 port 9005\n${block}`,
      ...ssh,
      "--port",
      "8005",
    );
    expect(rdr.stdout).toContain("the filter rules see in en0 inet tcp 203.0.113.9:49152 -> 10.0.0.10:9005\n");
    expect(rdr.stdout).toContain("Verdict:  PASS\n");
    expect(rdr.stdout).toContain("Rule:     line 2: ");
  });

  it("refuses a translation it cannot model, naming the line", async () => {
    const run = await explainWith(
      "nat on en0 inet from any to any -> (en0)\nblock drop out quick all\n",
      ...toExampleSite,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("line 1: translation to an interface's address, such as (en0), is not modelled");
  });
});
