/**
 * The root script's reading of `pfctl -a <our anchor> -v -sr`: packets refused out and in, DNS refused, and
 * passed to the VPN servers, summed by what each rule does. Run from its own parts, pfctl answering from text
 * in the layout of real `pfctl -v -s rules` output (the fixture is OpenBSD's: no macOS capture has counters).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readMacosFixture } from "../network/fixtures";
import { temporaryDirectory } from "../temporary-directory";
import { writeRootLibrary } from "./root-parts";

const REAL = readMacosFixture("pfctl", "openbsd-pfctl-v-s-rules-scrub-counters-PARTIAL.txt");

/** A rule and its counters, in the fixture's own layout with `packets` put in. */
function counted(rule: string, packets: number): string {
  const [, , , , , , , counters, inserted] = REAL.split("\n");
  return [rule, counters.replace(/Packets: \d+/, `Packets: ${packets}`), inserted].join("\n");
}

function counters(output: string, servers = "198.51.100.7", loadedAt: string | null = "1764590400"): unknown {
  const dir = temporaryDirectory("root-counters-");
  const library = writeRootLibrary(dir, ["00-about.sh", "10-checks.sh", "25-boot.sh", "30-pf.sh", "72-steady.sh"]);
  writeFileSync(join(dir, "output.txt"), output);
  mkdirSync(join(dir, "state"));
  if (loadedAt !== null) writeFileSync(join(dir, "state", "loaded.at"), `${loadedAt}\n`);
  const harness = `. "$1"; WORK=$2; STATE_DIR=$2/state; SERVER_ADDRESSES=$3; pf() { cat "$WORK/output.txt"; }; rule_counters`;
  const run = spawnSync("/bin/sh", ["-c", harness, "harness", library, dir, servers], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  return JSON.parse(run.stdout);
}

describe("the kill switch's packet counters, as the root script reads them", () => {
  it("reads the real layout: rules that are none of ours count nowhere", () => {
    expect(REAL.split("\n")[1]).toMatch(/^ {2}\[ Evaluations: 373620187 {2}Packets: 179290329 /);
    expect(counters(REAL)).toEqual({ since: 1764590400, blockedOut: 0, blockedIn: 0, dnsRefused: 0, toVpnServers: 0 });
  });

  it("sums by what each rule does, as the builder writes them and as pfctl splits port lists", () => {
    const output = [
      counted("pass quick on lo0 all flags any keep state", 999),
      counted("pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)", 1204),
      counted("pass out quick inet proto udp from any to 198.51.100.8 port 1194 keep state (if-bound)", 7),
      counted("block return out log (user) quick proto { tcp, udp } from any to any port { 53, 853 }", 5),
      counted("block return out log (user) quick proto udp from any to any port = 53", 2),
      counted("block return out log (user) quick proto tcp from any to any port = domain", 1),
      counted("block return out log (user) quick on en0 inet from any to 192.168.1.128/25", 10),
      counted("block return out log (user) quick all", 42),
      counted("block drop in log (user) quick all", 3000000000),
    ].join("\n");
    expect(counters(output)).toEqual({
      since: 1764590400,
      blockedOut: 52,
      blockedIn: 3000000000,
      dnsRefused: 8,
      toVpnServers: 1204,
    });
  });

  it("says null when pf does not answer, and since null without a load time", () => {
    expect(counters(counted("block drop in log (user) quick all", 1), "", null)).toMatchObject({
      since: null,
      blockedIn: 1,
    });
    const dir = temporaryDirectory("root-counters-");
    const library = writeRootLibrary(dir, ["00-about.sh", "10-checks.sh", "25-boot.sh", "30-pf.sh", "72-steady.sh"]);
    const run = spawnSync(
      "/bin/sh",
      ["-c", `. "$1"; WORK=$2; STATE_DIR=$2; pf() { return 1; }; rule_counters`, "h", library, dir],
      {
        encoding: "utf8",
      },
    );
    expect(run.stdout).toBe("null\n");
  });
});
