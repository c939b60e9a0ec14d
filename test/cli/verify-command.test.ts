import { writeFile } from "node:fs/promises";

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runKillswitch } from "./cli-harness";
import { temporaryDirectory } from "../temporary-directory";

let dir: string;
let built: string;

beforeAll(async () => {
  dir = temporaryDirectory("killswitch-verify-");
  // The anchor preview builds for the embedded sample, taken from preview's JSON.
  const preview = await runKillswitch(["preview", "--json"]);
  built = (JSON.parse(preview.stdout) as { ruleset: string }).ruleset;
  await writeFile(join(dir, "anchor.conf"), built);
  await writeFile(
    join(dir, "leaky.conf"),
    built.replace(
      "pass quick on lo0 all flags any keep state\n",
      "pass quick on lo0 all flags any keep state\npass out quick on en0 all\n",
    ),
  );
  await writeFile(join(dir, "broken.conf"), "pass quick on lo0 all\n\npass out quick to example.com\nmatch out all\n");
  await writeFile(join(dir, "lan.json"), JSON.stringify({ allowLan: true }));
});

describe("killswitch verify", () => {
  it("checks what preview would build on the default context and prints a pass table", async () => {
    const run = await runKillswitch(["verify"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Verifying the anchor preview builds (network read from: embedded sample");
    for (const clause of [
      "loopback",
      "tunnel",
      "outside-blocked",
      "vpn-endpoints",
      "link-plumbing",
      "dns",
      "discovery",
      "lan",
      "airdrop",
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${clause} +pass +\\d+ `, "m"));
    }
    expect(run.stdout).toMatch(/^ {2}blocking-mode +n\/a +0 /m);
    expect(run.stdout).toMatch(/^ {2}exceptions +n\/a +0 /m);
    expect(run.stdout).toContain("PASS: every clause holds");
  });

  it("checks a rules file and passes the builder's own text", async () => {
    const run = await runKillswitch(["verify", "--rules", "anchor.conf"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Verifying ${join(dir, "anchor.conf")}`);
  });

  it("exits 1 on a leak and names the packet and the rule line that let it through", async () => {
    const run = await runKillswitch(["verify", "--rules", "leaky.conf"], { cwd: dir });
    expect(run.code).toBe(1);
    const line = built.split("\n").indexOf("pass quick on lo0 all flags any keep state") + 2;
    expect(run.stdout).toMatch(
      /^ {2}outside-blocked +FAIL +\d+ +LEAK out en0 inet tcp 192\.168\.1\.23:49152 -> 203\.0\.113\.50:443: expected block \(return\)/m,
    );
    expect(run.stdout).toContain(`got pass by line ${line}: pass out quick on en0 all`);
    expect(run.stdout).toMatch(/FAIL: \d+ clause\(s\) fail, \d+ of them LEAK\./);
  });

  it("exits 1 on a nat pass ahead of the rules: its packets skip every filter rule, and the line is named", async () => {
    const run = await runKillswitch(["verify", "--rules", "-"], {
      stdin: `nat pass on en0 inet from any to any -> 192.168.1.23\n${built}`,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^ {2}outside-blocked +FAIL +\d+ +LEAK out en0 inet tcp 192\.168\.1\.23:49152 -> 203\.0\.113\.50:443: expected block \(return\)/m,
    );
    expect(run.stdout).toContain(
      "got pass by a translation rule with pass, which skips the filter rules by line 1: nat pass on en0 inet from any to any -> 192.168.1.23",
    );
  });

  it("reads the rules from standard input with --rules -", async () => {
    const run = await runKillswitch(["verify", "--rules", "-", "--json"], {
      stdin: built.replace("block drop in log (user) quick all\n", ""),
    });
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as { rules: string; passed: boolean; failures: string[] };
    expect(json.rules).toBe("standard input");
    expect(json.passed).toBe(false);
    expect(json.failures).toContainEqual(
      expect.stringMatching(/^outside-blocked: in en0 inet tcp .* expected block .*got pass \(no rule matched\)/),
    );
  });

  it("prints JSON with the summary and every clause", async () => {
    const run = await runKillswitch(["verify", "--json"]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as {
      passed: boolean;
      failures: string[];
      result: { clauses: { id: string; passed: boolean }[] };
    };
    expect(json.passed).toBe(true);
    expect(json.failures).toEqual([]);
    expect(json.result.clauses.map((c) => c.id)).toContain("dns");
  });

  it("judges the rules against the settings given: built without LAN, checked with allowLan", async () => {
    const run = await runKillswitch(["verify", "--rules", "anchor.conf", "--config", "lan.json"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^ {2}lan +FAIL +\d+ +out en0 inet tcp .* expected pass \(local network is allowed\), got block \(return\)/m,
    );
  });

  it("exits 2 with the line numbers when the rules cannot be read", async () => {
    const run = await runKillswitch(["verify", "--rules", "broken.conf"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("2 line(s) of");
    expect(run.stderr).toContain('line 3: host name "example.com" is resolved by pfctl when loading; give addresses');
    expect(run.stderr).toContain("line 4: `match` rules (OpenBSD 4.6+) is not accepted by macOS pfctl");
  });

  it("exits 2 when the rules file does not exist", async () => {
    const run = await runKillswitch(["verify", "--rules", "missing.conf"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`killswitch verify: rules file ${join(dir, "missing.conf")} does not exist\n`);
  });

  it("rejects an unknown option", async () => {
    const run = await runKillswitch(["verify", "--rule", "x"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/verify: Unknown option '--rule'/);
  });
});
