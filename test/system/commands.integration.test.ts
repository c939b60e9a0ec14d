import { chmod, mkdir, writeFile } from "node:fs/promises";

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSystemCommands, systemPath, systemRootOf } from "../../src/system/commands";
import { temporaryDirectory } from "../temporary-directory";

/** A fake macOS tree with one executable shell script at `path` (`/usr/sbin/scutil`). */
async function fakeTree(path: string, script: string): Promise<string> {
  const root = temporaryDirectory("ks-system-");
  await mkdir(join(root, path, ".."), { recursive: true });
  await writeFile(join(root, path), `#!/bin/sh\n${script}\n`);
  await chmod(join(root, path), 0o755);
  return root;
}

describe("createSystemCommands", () => {
  it("runs a program by absolute path with arguments and stdin, and reports output and exit status", async () => {
    const system = createSystemCommands();
    expect(system.binaries.pfctl).toBe("/sbin/pfctl");
    const result = await system.run(
      "sh",
      ["-c", 'read line; echo "got $line and $1"; echo oops >&2; exit 3', "sh", "a b; $(touch /tmp/x)"],
      { input: "hello\n" },
    );
    expect(result).toEqual({ exitCode: 3, stdout: "got hello and a b; $(touch /tmp/x)\n", stderr: "oops\n" });
  });

  it("puts the root in front of every path, and reads it back for files", async () => {
    const root = await fakeTree("/usr/sbin/scutil", 'echo "fake scutil $*"');
    const system = createSystemCommands({ root });
    expect(system.binaries.scutil).toBe(`${root}/usr/sbin/scutil`);
    expect(await system.run("scutil", ["--nwi"])).toEqual({ exitCode: 0, stdout: "fake scutil --nwi\n", stderr: "" });
    expect(systemRootOf(system)).toBe(root);
    expect(systemPath(system, "/Library/x.json")).toBe(`${root}/Library/x.json`);
    expect(systemRootOf(createSystemCommands())).toBe("");
  });

  it("adds to the environment rather than replacing it", async () => {
    const result = await createSystemCommands().run("sh", ["-c", 'echo "$EXTRA:${PATH:+has-path}"'], {
      env: { EXTRA: "x" },
    });
    expect(result.stdout).toBe("x:has-path\n");
  });

  it("reads a program that cannot be started as exit status 127, with the reason", async () => {
    const root = temporaryDirectory("ks-missing-");
    const result = await createSystemCommands({ root }).run("pfctl", ["-s", "info"]);
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain("ENOENT");
  });

  it("stops a program at its timeout, keeps what it wrote and says why", async () => {
    // The shell waits for `sleep`, which keeps the output open after the shell is stopped.
    const root = await fakeTree("/usr/sbin/scutil", "echo partial; sleep 5");
    const started = Date.now();
    const result = await createSystemCommands({ root }).run("scutil", ["--nwi"], { timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(result.exitCode).toBe(127);
    expect(result.stdout).toBe("partial\n");
    expect(result.stderr).toMatch(/timed out after 200 milliseconds/);
  });

  it("waits without a limit when no timeout is given (the password dialog waits for the user)", async () => {
    const root = await fakeTree("/usr/bin/osascript", "sleep 1; echo done");
    const result = await createSystemCommands({ root }).run("osascript", []);
    expect(result).toEqual({ exitCode: 0, stdout: "done\n", stderr: "" });
  });

  it("is not disturbed by a program that exits without reading its input", async () => {
    const result = await createSystemCommands().run("sh", ["-c", "exit 0"], { input: "x".repeat(1_000_000) });
    expect(result.exitCode).toBe(0);
  });
});
