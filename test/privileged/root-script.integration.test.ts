import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT_SCRIPT_SHA256 } from "../../src/privileged/root-script";
import { ROOT_EXIT, ROOT_FILES, STATE_FIELDS, WATCHDOG_STATUS_FIELDS } from "../../src/privileged/root-contract";
import { assembleRootScript, readContract, readParts, withoutCommentLines } from "../../scripts/root-script-build.mjs";
import { ANCHOR_NAME, PRODUCT_ID, STATE_DIRECTORY, STATE_FILE } from "../../src/privileged/paths";
import { loadRootScript } from "../../src/privileged/root-script-loader";
import { temporaryDirectory } from "../temporary-directory";

const ROOT_SCRIPT = loadRootScript();

const SCRIPT_FILE = resolve(__dirname, "../../assets/killswitch-root.sh");

describe("the root script", () => {
  it("ships exactly as its parts join, with its hash (run `node scripts/generate-root-script.mjs` after editing them)", () => {
    expect(ROOT_SCRIPT).toBe(assembleRootScript());
    expect(readFileSync(SCRIPT_FILE, "utf8")).toBe(ROOT_SCRIPT);
    expect(createHash("sha256").update(readFileSync(SCRIPT_FILE)).digest("hex")).toBe(ROOT_SCRIPT_SHA256);
  });

  it("fits in one argument, as it travels (Linux takes at most 128 KiB in one), with room to grow", () => {
    expect(Buffer.byteLength(ROOT_SCRIPT)).toBeLessThan(128 * 1024 - 16 * 1024);
  });

  it("leaves the parts' comment lines out, but never a here-document's lines or a shellcheck directive", () => {
    const part = [
      "# what this part holds",
      "f() {",
      "\t# why",
      "\t# shellcheck disable=SC2086 # its words",
      "\tcat <<EOF",
      "# pf text kept",
      "EOF",
      "\techo '#not a comment line'",
      "}",
    ].join("\n");
    expect(withoutCommentLines(part)).toBe(
      [
        "f() {",
        "\t# shellcheck disable=SC2086 # its words",
        "\tcat <<EOF",
        "# pf text kept",
        "EOF",
        "\techo '#not a comment line'",
        "}",
      ].join("\n"),
    );
    expect(withoutCommentLines("#!/bin/sh\n# what it is\n\n# why\nset -u", { keepOpening: true })).toBe(
      "#!/bin/sh\n# what it is\n\nset -u",
    );
  });

  it("is in parts of one concern each, under 300 lines, each saying what it holds", () => {
    const parts = readParts();
    expect(parts.map((part) => part.name)).toEqual([
      "00-about.sh",
      "05-awk.sh",
      "10-checks.sh",
      "20-records.sh",
      "25-boot.sh",
      "30-pf.sh",
      "35-translation.sh",
      "40-states.sh",
      "50-network.sh",
      "52-tunnels.sh",
      "55-identity.sh",
      "58-names.sh",
      "60-rules.sh",
      "65-capture.sh",
      "68-windows.sh",
      "70-watchdog.sh",
      "72-steady.sh",
      "74-steady-processes.sh",
      "80-actions.sh",
      "90-main.sh",
    ]);
    for (const { name, text } of parts) {
      expect(text.split("\n").length, name).toBeLessThan(300);
      expect(text, name).toMatch(name === "00-about.sh" ? /^#!\/bin\/sh\n# VPN Kill Switch: / : /^# --- \S/);
    }
  });

  it("takes its exit statuses and state file names from root-contract.json, as TypeScript does", () => {
    const contract = readContract();
    const codes = Object.fromEntries(Object.entries(contract.exitStatus).map(([key, { code }]) => [key, code]));
    expect(ROOT_EXIT).toEqual(codes);
    expect(ROOT_FILES).toEqual(contract.files);
    expect(STATE_FIELDS).toEqual(contract.stateFields);
    expect(WATCHDOG_STATUS_FIELDS).toEqual(contract.watchdogStatusFields);
    expect(STATE_FILE).toBe(`${STATE_DIRECTORY}/${contract.files.state}`);
    for (const [key, { code }] of Object.entries(contract.exitStatus)) {
      const name = `KS_EXIT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
      expect(ROOT_SCRIPT).toContain(`\n${name}=${code} # `);
    }
    for (const { name, text } of readParts()) {
      const code = text.split("\n").filter((line) => !line.trim().startsWith("#"));
      // No number or file name typed twice: a status is KS_EXIT_..., a file of the state directory KS_FILE_....
      expect(
        code.filter((line) => /\bfail [0-9]/.test(line)),
        name,
      ).toEqual([]);
      expect(
        code.filter((line) => /\$STATE_DIR\/(?!\$KS_FILE_|\$\{KS_FILE_)/.test(line)),
        name,
      ).toEqual([]);
    }
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
