import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  ADMINISTRATOR_APPLESCRIPT,
  PrivilegedError,
  administratorArguments,
  parseOsascriptError,
  runAsRoot,
  touchIdForSudo,
} from "../../src/privileged/runner";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

/** Writes $0 and every argument, NUL-terminated, to the file named by its first argument. */
const ECHO_SCRIPT = `out=$1; shift; for a in "$0" "$@"; do printf '%s\\0' "$a"; done >"$out"; [ "\${FAKE_MAC_UID-}" = 0 ] && echo root`;

const AWKWARD_VALUES = [
  'it\'s "quoted"',
  "$(touch /tmp/ks-runner-pwned)",
  "`touch /tmp/ks-runner-pwned`",
  "two\nlines\r\nand a CR",
  "back\\slash \\' \\\"",
  "",
  "--rules",
  "-e",
  "* ? [a-z] ~",
  "; rm -rf / && echo | cat > /dev/null &",
  '" & quoted form of "x',
  "tab\there, unicode: caf\u00e9 \u2713",
  "end run",
];

function writtenArguments(path: string): string[] {
  return readFileSync(path, "utf8").split("\0").slice(0, -1);
}

describe("runAsRoot", () => {
  it("passes every value through osascript and sh as one argument, byte for byte, and runs it as root", async () => {
    mac = createFakeMac();
    const out = `${mac.root}/args.bin`;
    const run = await runAsRoot(mac.system, { script: ECHO_SCRIPT, name: "probe", args: [out, ...AWKWARD_VALUES] });
    expect(writtenArguments(out)).toEqual(["probe", ...AWKWARD_VALUES]);
    expect(run.stdout.trim()).toBe("root");
    expect(run.method).toBe("password");
    expect(mac.prompts()).toEqual([expect.objectContaining({ prompt: "password", answer: "approve" })]);
    expect(() => readFileSync("/tmp/ks-runner-pwned")).toThrow();
  });

  it("keeps every value out of the AppleScript text", () => {
    mac = createFakeMac();
    const args = administratorArguments(mac.system, { script: "echo hi", name: "n", args: ["v1", "v2"] });
    const scriptLines = args.filter((_, i) => args[i - 1] === "-e");
    expect(scriptLines).toEqual(ADMINISTRATOR_APPLESCRIPT);
    expect(args.slice(ADMINISTRATOR_APPLESCRIPT.length * 2)).toEqual([
      mac.system.binaries.env,
      "-i",
      "PATH=/bin:/usr/bin:/sbin:/usr/sbin",
      mac.system.binaries.sh,
      "-c",
      "echo hi",
      "n",
      "v1",
      "v2",
    ]);
  });

  it("starts the root shell with nothing of the caller's environment, under bash in sh mode too", async () => {
    for (const shell of ["/bin/sh", "/bin/bash"]) {
      mac = createFakeMac({ shell });
      const out = `${mac.root}/env.txt`;
      const marker = `${mac.root}/traced`;
      // bash 3.2 (macOS's /bin/sh) imports SHELLOPTS even as root: xtrace would expand PS4, running its $(...).
      const caller = { SHELLOPTS: "xtrace", PS4: `$(touch ${marker})`, KILLSWITCH_CALLER_SECRET: "1" };
      Object.assign(process.env, caller);
      try {
        await runAsRoot(mac.system, { script: 'env > "$1"', name: "probe", args: [out] });
      } finally {
        for (const name of Object.keys(caller)) delete process.env[name];
      }
      const names = readFileSync(out, "utf8")
        .split("\n")
        .filter((line) => line.includes("="))
        .map((line) => line.slice(0, line.indexOf("=")));
      expect(names, shell).not.toContain("KILLSWITCH_CALLER_SECRET");
      expect(names, shell).not.toContain("SHELLOPTS");
      expect(names, shell).toContain("PATH");
      expect(existsSync(marker), shell).toBe(false);
      mac.cleanup();
    }
  });

  it("reports a cancelled dialog by its error number", async () => {
    mac = createFakeMac();
    mac.setPasswordDialog("cancel");
    const error = await runAsRoot(mac.system, { script: "exit 0", name: "n", args: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrivilegedError);
    expect(error).toMatchObject({ failure: "cancelled", exitStatus: -128 });
  });

  it("returns the script's exit status and its message with line breaks", async () => {
    mac = createFakeMac();
    const script = "printf 'first line\\nsecond line\\n' >&2; exit 65";
    const error = await runAsRoot(mac.system, { script, name: "n", args: [] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: "script-failed", exitStatus: 65, output: "first line\nsecond line" });
  });

  describe("with Touch ID", () => {
    it("runs through sudo without the password dialog when pam_tid.so is on", async () => {
      mac = createFakeMac({ touchIdForSudo: true });
      const out = `${mac.root}/args.bin`;
      const run = await runAsRoot(
        mac.system,
        { script: ECHO_SCRIPT, name: "probe", args: [out, ...AWKWARD_VALUES] },
        { authentication: "touchid" },
      );
      expect(run.method).toBe("touchid");
      expect(run.stdout.trim()).toBe("root");
      expect(writtenArguments(out)).toEqual(["probe", ...AWKWARD_VALUES]);
      expect(mac.prompts().map((p) => p.prompt)).toEqual(["touchid"]);
      // sudo -k: no cached credential is used or left behind for a later `sudo -n` to be root without asking.
      expect(mac.prompts()[0].args).toEqual(["-k"]);
    });

    it("falls back to the password dialog when Touch ID is declined", async () => {
      mac = createFakeMac({ touchIdForSudo: true });
      mac.setTouchId("decline");
      const run = await runAsRoot(mac.system, { script: "exit 0", name: "n", args: [] }, { authentication: "touchid" });
      expect(run.method).toBe("password");
      expect(run.notes[0]).toMatch(/Touch ID did not authorise the change \(sudo: a terminal is required/);
      expect(mac.prompts().map((p) => p.prompt)).toEqual(["touchid", "password"]);
    });

    it("uses the password dialog, and says why, when sudo has no Touch ID", async () => {
      mac = createFakeMac();
      expect((await touchIdForSudo(mac.system)).enabled).toBe(false);
      const run = await runAsRoot(mac.system, { script: "exit 0", name: "n", args: [] }, { authentication: "touchid" });
      expect(run.method).toBe("password");
      expect(run.notes[0]).toMatch(/pam_tid\.so in \/etc\/pam\.d\/sudo_local/);
      expect(mac.prompts().map((p) => p.prompt)).toEqual(["password"]);
    });

    it("reports the script's own failure without asking again", async () => {
      mac = createFakeMac({ touchIdForSudo: true });
      const error = await runAsRoot(
        mac.system,
        { script: "echo 'pf said no' >&2; exit 66", name: "n", args: [] },
        { authentication: "touchid" },
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ failure: "script-failed", exitStatus: 66, output: "pf said no" });
      expect(mac.prompts()).toHaveLength(1);
    });
  });
});

describe("parseOsascriptError (real messages)", () => {
  it("reads the error number of a cancelled dialog whatever the language", () => {
    expect(parseOsascriptError("1176:1286: execution error: Test got an error: User canceled. (-128)\n")).toEqual({
      message: "Test got an error: User canceled.",
      code: -128,
    });
    expect(parseOsascriptError("0:120: execution error: Benutzer hat abgebrochen. (-128)").code).toBe(-128);
  });

  it("reads -1713 with the trailing period some captures show", () => {
    expect(parseOsascriptError("28:320: execution error: No user interaction allowed. (-1713).").code).toBe(-1713);
  });

  it("reads a failed command's exit status and turns CR line breaks back into newlines", () => {
    expect(parseOsascriptError("0:99: execution error: first\rsecond (2)\n")).toEqual({
      message: "first\nsecond",
      code: 2,
    });
  });

  it("reads syntax errors and leaves other failures as they are", () => {
    expect(parseOsascriptError('48:59: syntax error: A identifier can’t go after this “"”. (-2740)').code).toBe(-2740);
    expect(parseOsascriptError("osascript: can't open default scripting component.\n")).toEqual({
      message: "osascript: can't open default scripting component.",
      code: null,
    });
  });
});
