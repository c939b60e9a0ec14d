/**
 * Every shell script of the project through shellcheck: the root script (which is also the watchdog) runs as
 * root, under macOS's /bin/sh, at boot; a quoting slip there is a security bug. CI installs shellcheck
 * (.ci/run); a machine without it skips this test, and says so.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    // The root script's parts are checked joined, as assets/killswitch-root.sh (they share their names).
    if (name === "node_modules" || name.startsWith(".") || name.startsWith("dist") || name === "root-script") return [];
    if (statSync(path).isDirectory()) return shellScripts(path);
    return name.endsWith(".sh") ? [path] : [];
  });
}

const SCRIPTS = [...shellScripts(ROOT), join(ROOT, ".ci/run")];
const available = spawnSync("shellcheck", ["--version"]).status === 0;

if (!available && process.env.CI) {
  throw new Error("shellcheck is required in CI (.ci/run installs it); it was not found on PATH.");
}
if (!available) {
  console.warn("shellcheck is not installed: the shell scripts were NOT checked (apt-get install shellcheck).");
}

describe.skipIf(!available)("shellcheck", () => {
  it("finds the root script", () => {
    expect(SCRIPTS.map((path) => relative(ROOT, path))).toContain("assets/killswitch-root.sh");
  });

  it.each(SCRIPTS.map((path) => [relative(ROOT, path), path]))("has nothing to say about %s", (_name, path) => {
    // Every severity, style included; the .sh scripts as POSIX sh, as macOS's /bin/sh runs them. Non-zero for any finding.
    const dialect = path.endsWith(".sh") ? ["--shell=sh"] : [];
    const run = spawnSync("shellcheck", [...dialect, "--severity=style", "--external-sources", path], {
      encoding: "utf8",
    });
    expect(run.stdout).toBe("");
    expect(run.status).toBe(0);
  });

  it("does complain about an unquoted expansion (it really checks)", () => {
    const run = spawnSync("shellcheck", ["-"], { input: "#!/bin/sh\nrm -rf $1/tmp\n", encoding: "utf8" });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain("SC2086");
  });
});
