/**
 * The root script's reading of `pfctl -s Interfaces -v`, run from its own parts on real macOS output (the
 * fixtures), with pfctl answering from the fixture: which interfaces pf skips that it must not.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readMacosFixture } from "../network/fixtures";
import { temporaryDirectory } from "../temporary-directory";
import { writeRootLibrary } from "./root-parts";

const EL_CAPITAN = readMacosFixture("pfctl", "osx-10.11.1-pfctl-s-Interfaces-v_sshuttle43.txt");
const NYM = readMacosFixture("pfctl", "macos-pfctl-s-Interfaces-v-i-lo0_nym-vpn-client3441.txt");

function skipped(output: string, tunnels = ""): string {
  const dir = temporaryDirectory("root-skip-");
  const library = writeRootLibrary(dir, ["00-about.sh", "10-checks.sh", "30-pf.sh"]);
  writeFileSync(join(dir, "output.txt"), output);
  const harness = `. "$1"; WORK=$2; pf() { cat "$WORK/output.txt"; }; skipped_interfaces "$3"`;
  const run = spawnSync("/bin/sh", ["-c", harness, "harness", library, dir, tunnels], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  return run.stdout;
}

describe("which interfaces pf skips, as the root script reads it", () => {
  it("finds none that matter on real macOS output: lo0 (skip) is harmless", () => {
    expect(EL_CAPITAN).toMatch(/^No ALTQ support in kernel\nALTQ related functions disabled\nALL\n/);
    expect(skipped(EL_CAPITAN)).toBe("");
    expect(skipped(NYM)).toBe("");
  });

  it("names a skipped physical interface, and an untrusted tunnel, but not the tunnel the rules let through", () => {
    const output = EL_CAPITAN.replace(/^en0$/m, "en0 (skip)").replace(/^utun2$/m, "utun2 (skip)");
    expect(skipped(output)).toBe("en0, utun2");
    expect(skipped(output, "utun2")).toBe("en0");
  });
});
