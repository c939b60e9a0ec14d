/**
 * The root script refuses a system root (the tests' way to a stand-in macOS) when it runs as root on a Mac.
 * Its check runs here from the script's own parts, with `uname` and `id` answering as a Mac would.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assembleRootScript } from "../../scripts/root-script-build.mjs";
import { temporaryDirectory } from "../temporary-directory";
import { writeRootLibrary } from "./root-parts";

function allowed(systemRoot: string, system: string, uid: string): boolean {
  const dir = temporaryDirectory("root-system-root-");
  const library = writeRootLibrary(dir, ["00-about.sh", "10-checks.sh"]);
  const harness = `. "$1"; uname() { echo "$SYSTEM"; }; id() { echo "$UID_IS"; }; system_root_allowed "$2"`;
  const run = spawnSync("/bin/sh", ["-c", harness, "harness", library, systemRoot], {
    env: { PATH: "/bin:/usr/bin", SYSTEM: system, UID_IS: uid },
  });
  return run.status === 0;
}

describe("the root script's system root", () => {
  it("is refused as root on a Mac, and allowed as it is on a Mac or anywhere for a stand-in tree", () => {
    expect(allowed("/private/tmp/fake-mac", "Darwin", "0")).toBe(false);
    expect(allowed("", "Darwin", "0")).toBe(true);
    expect(allowed("/private/tmp/fake-mac", "Darwin", "501")).toBe(true);
    expect(allowed("/tmp/fake-mac", "Linux", "0")).toBe(true);
  });

  it("stops the script with the bad-arguments status, naming the root, when refused", () => {
    const dir = temporaryDirectory("root-system-root-");
    const script = join(dir, "killswitch-root.sh");
    // The whole script, with the Mac's answers in front of its entry (its functions are defined by then).
    const whole = assembleRootScript();
    const entry = whole.indexOf("\n[ $# -ge 2 ] || fail") + 1;
    expect(entry).toBeGreaterThan(0);
    writeFileSync(script, `${whole.slice(0, entry)}uname() { echo Darwin; }\nid() { echo 0; }\n${whole.slice(entry)}`);
    const run = spawnSync("/bin/sh", [script, "inspect", "/private/tmp/fake-mac"], { encoding: "utf8" });
    expect(run.status).toBe(64);
    expect(run.stderr).toBe('a system root is for tests only; on a Mac it must be "": /private/tmp/fake-mac\n');
  });
});
