import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TEXT_FILE_LIMITS } from "../../src/files/text-file";
import { runKillswitch } from "./cli-harness";
import { temporaryDirectory } from "../temporary-directory";

let dir: string;
beforeAll(() => {
  dir = temporaryDirectory("killswitch-bounds-");
});

describe("files that are too big, binary or not files at all", () => {
  it("refuses a rules file over the limit, saying the limit, before reading it all", async () => {
    const big = join(dir, "big.conf");
    await writeFile(big, Buffer.alloc(TEXT_FILE_LIMITS.rules + 1, "a"));
    const run = await runKillswitch(["verify", "--rules", big]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`killswitch verify: rules file ${big} is 4.0 MB; the limit is 4.0 MB\n`);
  });

  it("reports a binary file as not a text file, and a folder as a folder, naming the file", async () => {
    const binary = join(dir, "binary.conf");
    await writeFile(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
    const run = await runKillswitch(["verify", "--rules", binary]);
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toBe(`killswitch verify: rules file ${binary} is not a text file (it holds NUL bytes)\n`);
    const config = await runKillswitch(["preview", "--config", dir]);
    expect(config.stderr).toBe(`killswitch preview: config file ${dir} is a folder, not a file\n`);
    const snapshot = join(dir, "snapshot");
    await mkdir(join(snapshot, "ifconfig.txt"), { recursive: true });
    const folder = await runKillswitch(["preview", "--snapshot", snapshot]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`snapshot file ${join(snapshot, "ifconfig.txt")} is a folder, not a file`);
  });

  it("cuts a long junk line short and lists at most 20 bad lines", async () => {
    const junk = join(dir, "junk.conf");
    await writeFile(junk, `${"x".repeat(100_000)}\n${Array.from({ length: 30 }, (_, i) => `junk ${i}`).join("\n")}\n`);
    const run = await runKillswitch(["verify", "--rules", junk]);
    expect(run.code).toBe(2);
    expect(run.stderr.length).toBeLessThan(4000);
    expect(run.stderr).toContain("…and 11 more");
  });

  it("answers a config nested 100,000 lists deep with a message, not a crash", async () => {
    const deep = join(dir, "deep.json");
    await writeFile(deep, `{"exceptions":${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
    const run = await runKillswitch(["preview", "--config", deep]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/exceptions\[0\]: expected object, got a list of 1/);
  });
});

describe("a snapshot with nothing usable", () => {
  it("is a warning for preview and fails verify (exit 1), for an empty folder and for garbage", async () => {
    const empty = join(dir, "empty-snapshot");
    await mkdir(empty, { recursive: true });
    const garbage = join(dir, "garbage-snapshot");
    await mkdir(garbage, { recursive: true });
    await writeFile(join(garbage, "ifconfig.txt"), "lorem ipsum\ndolor sit amet\n");
    await writeFile(join(garbage, "netstat-rn.txt"), "%%%%\n");
    for (const snapshot of [empty, garbage]) {
      const preview = await runKillswitch(["preview", "--snapshot", snapshot]);
      expect(preview.code).toBe(0);
      expect(preview.stderr).toContain(`warning: snapshot ${snapshot} holds nothing usable`);
      const verify = await runKillswitch(["verify", "--snapshot", snapshot]);
      expect(verify.code).toBe(1);
      expect(verify.stderr).toContain("holds nothing usable");
    }
  });
});
