/**
 * Case 2 through the CLI, on the sample written out as a snapshot with en0 given `inet 104.16.1.23 netmask
 * 0xff000000` and the router 104.16.0.1: Allow Local Network passes nothing public, `explain` says BLOCK, and
 * `verify` fails the rules an earlier version built there (a pass of 104.0.0.0/8 both ways), with a warning.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeSnapshotDirectory } from "../../src/network/snapshot";
import { lanInsideVpnRoutesSnapshot, publicLanSnapshot } from "../fakes/hostile-lan";
import { temporaryDirectory } from "../temporary-directory";
import { runKillswitch } from "./cli-harness";

let dir: string;
const at = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = temporaryDirectory("killswitch-lan-");
  await writeSnapshotDirectory(at("public"), publicLanSnapshot());
  await writeSnapshotDirectory(at("routed"), lanInsideVpnRoutesSnapshot());
  await writeFile(at("lan.json"), JSON.stringify({ allowLan: true }));
});

const context = (snapshot: string) => ["--snapshot", at(snapshot), "--config", at("lan.json")];

describe("a network that calls public addresses local", () => {
  it("gets no local network pass, and preview says why", async () => {
    const run = await runKillswitch(["preview", ...context("public")]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "this network calls public addresses local; not passed: 104.16.0.0/16, 2001:db8:1a2b:10::/64",
    );
    expect(run.stdout).toContain("  - Local network: link-local only\n");
    const rules = run.stdout.split("\n").filter((line) => /^(pass|block)/.test(line));
    expect(rules.filter((line) => /104\.|2001:db8:1a2b:10::\/64/.test(line))).toEqual([
      // The lease's server, on the link: DHCP renewals only.
      "pass out quick on en0 inet proto udp from any port 68 to 104.16.0.1 port 67 keep state",
    ]);
    expect(run.stdout).toContain("Verification: passed");
  });

  it("explain: a web server in 104.0.0.0/8 is blocked on en0", async () => {
    const run = await runKillswitch([
      "explain",
      ...context("public"),
      ...["--out", "--if", "en0", "--proto", "tcp", "--to", "104.18.32.7", "--port", "443"],
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Verdict:  BLOCK");
    expect(run.stdout).toContain("Policy:   block (return)");
  });

  it("verify fails the rules that passed it as the LAN, and warns about each such pass", async () => {
    const built = await runKillswitch(["preview", "--rules-only", ...context("public")]);
    const old = built.stdout.replace(
      "block return out log (user) quick all",
      [
        "pass out quick on en0 inet from any to 104.0.0.0/8 flags any keep state",
        "pass in quick on en0 inet from 104.0.0.0/8 to any flags any keep state",
        "pass out quick on en0 inet6 from any to 2001:db8:1a2b:10::/64 flags any keep state",
        "block return out log (user) quick all",
      ].join("\n"),
    );
    await writeFile(at("old.pf"), old);
    const run = await runKillswitch(["verify", "--rules", at("old.pf"), ...context("public"), "--json"]);
    expect(run.code).toBe(1);
    const { result } = JSON.parse(run.stdout) as {
      result: {
        passed: boolean;
        lint: { id: string; severity: string; message: string }[];
        clauses: { id: string; passed: boolean; failures: { because: string; description: string }[] }[];
      };
    };
    expect(result.passed).toBe(false);
    const warnings = result.lint.filter((finding) => finding.id === "public-local-network");
    expect(warnings.map((w) => w.severity)).toEqual(["warning", "warning", "warning"]);
    expect(warnings[0].message).toMatch(/104\.0\.0\.0\/8 on en0 .*public address space/);
    const leaks = result.clauses.find((clause) => clause.id === "rule-destinations");
    expect(leaks?.passed).toBe(false);
    expect(leaks?.failures.map((f) => f.because)).toContain(
      "this network calls public addresses local (2001:db8:1a2b:10::/64); not passed",
    );
  });
});

describe("a network that hands out a part of what the VPN routes into the tunnel", () => {
  it("gets no local network pass for it, and preview claims no carve-out it does not make", async () => {
    const run = await runKillswitch(["preview", ...context("routed")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "    not 10.20.30.0/24: the VPN routes 10.0.0.0/8 into the tunnel, so it is not the LAN\n",
    );
    expect(run.stdout).toContain(
      "    not fd12:3456:789a:1::/64: the VPN routes fd12:3456:789a::/48 into the tunnel, so it is not the LAN\n",
    );
    expect(run.stdout).not.toContain("but not what the VPN routes into the tunnel");
    const rules = run.stdout.split("\n").filter((line) => /^(pass|block)/.test(line));
    expect(rules.filter((line) => /10\.20\.30\.0\/24|fd12:3456:789a/.test(line))).toEqual([]);
    const explain = await runKillswitch([
      "explain",
      ...context("routed"),
      ...["--out", "--if", "en0", "--proto", "tcp", "--to", "10.20.30.40", "--port", "445"],
    ]);
    expect(explain.stdout).toContain("Verdict:  BLOCK");
  });
});
