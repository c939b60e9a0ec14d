import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT_SCRIPT_SHA256 } from "../../src/privileged/root-script";
import { ANCHOR_NAME, PRODUCT_ID, STATE_DIRECTORY, STATE_FILE } from "../../src/privileged/paths";
import { loadRootScript } from "../../src/privileged/root-script-loader";
import { temporaryDirectory } from "../temporary-directory";

const ROOT_SCRIPT = loadRootScript();

const SCRIPT_FILE = resolve(__dirname, "../../src/privileged/killswitch-root.sh");

describe("the root script", () => {
  it("ships exactly as killswitch-root.sh reads, with its hash (run `node scripts/generate-root-script.mjs` after editing it)", () => {
    expect(ROOT_SCRIPT).toBe(readFileSync(SCRIPT_FILE, "utf8"));
    expect(createHash("sha256").update(readFileSync(SCRIPT_FILE)).digest("hex")).toBe(ROOT_SCRIPT_SHA256);
  });

  it("is never run when the asset was altered or is missing", () => {
    const altered = temporaryDirectory("root-script-");
    writeFileSync(join(altered, "killswitch-root.sh"), `${ROOT_SCRIPT}\nrm -rf /\n`);
    expect(() => loadRootScript([altered])).toThrow(/is not the root script this version was built with/);
    expect(() => loadRootScript([join(altered, "nowhere")])).toThrow(/missing from the extension's assets/);
  });

  it("parses as POSIX sh and as bash in POSIX mode (macOS /bin/sh)", () => {
    expect(() => execFileSync("/bin/sh", ["-n", SCRIPT_FILE])).not.toThrow();
    expect(() => execFileSync("/bin/bash", ["--posix", "-n", SCRIPT_FILE])).not.toThrow();
  });

  it("defines the names TypeScript reads from it", () => {
    expect(PRODUCT_ID).toBe("com.vpnkillswitch.raycast");
    expect(ANCHOR_NAME).toBe("com.apple/000.vpnkillswitch");
    expect(STATE_DIRECTORY).toBe("/Library/Application Support/com.vpnkillswitch.raycast");
    expect(STATE_FILE).toBe(`${STATE_DIRECTORY}/state.json`);
  });

  it("never stops pf, flushes globally or touches /etc/pf.conf", () => {
    const commands = ROOT_SCRIPT.split("\n").filter((line) => !line.trim().startsWith("#"));
    for (const line of commands.filter((l) => l.includes("pf "))) {
      expect(line).not.toMatch(/\s-d\b/);
      if (/-F\b/.test(line)) expect(line).toContain('-a "$KS_ANCHOR"');
    }
    expect(commands.join("\n")).not.toContain("/etc/pf.conf");
  });

  it("asks launchd about its own job only", () => {
    const calls = ROOT_SCRIPT.split("\n").filter(
      (line) => line.includes('"$LAUNCHCTL"') && !line.trim().startsWith("#"),
    );
    expect(calls.length).toBeGreaterThan(0);
    for (const line of calls) {
      for (const call of line.split('"$LAUNCHCTL"').slice(1)) {
        expect(call).toMatch(/^ (print|bootout|enable) "system\/\$KS_ID"| (bootstrap system|load -w|unload) "\$plist"/);
      }
    }
  });
});
