import { mkdtemp, mkdir, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMacosCommands } from "../../src/raycast/macos-commands";

describe("createMacosCommands", () => {
  it("runs a program by absolute path with arguments, stdin, and reports output and exit status", async () => {
    const system = createMacosCommands();
    expect(system.binaries.pfctl).toBe("/sbin/pfctl");
    const result = await system.run(
      "sh",
      ["-c", 'read line; echo "got $line and $1"; echo oops >&2; exit 3', "sh", "a b"],
      {
        input: "hello\n",
      },
    );
    expect(result).toEqual({ exitCode: 3, stdout: "got hello and a b\n", stderr: "oops\n" });
  });

  it("adds to the environment rather than replacing it", async () => {
    const result = await createMacosCommands().run("sh", ["-c", 'echo "$EXTRA:${PATH:+has-path}"'], {
      env: { EXTRA: "x" },
    });
    expect(result.stdout).toBe("x:has-path\n");
  });

  it("reads a program that cannot be started as exit status 127", async () => {
    const root = await mkdtemp(join(tmpdir(), "ks-missing-"));
    const result = await createMacosCommands(root).run("pfctl", ["-s", "info"]);
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain("ENOENT");
  });

  it("runs the fake macOS tree under a root, and stops a program at its timeout", async () => {
    const root = await mkdtemp(join(tmpdir(), "ks-root-"));
    await mkdir(join(root, "usr/sbin"), { recursive: true });
    await writeFile(join(root, "usr/sbin/scutil"), "#!/bin/sh\nsleep 5\n");
    await chmod(join(root, "usr/sbin/scutil"), 0o755);
    const result = await createMacosCommands(root).run("scutil", ["--nwi"], { timeoutMs: 100 });
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain("stopped by SIGTERM");
  });
});
