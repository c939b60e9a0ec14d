/**
 * Two front-ends writing the settings file at once lose neither change: real processes, each adding its own
 * exceptions one change at a time, all at once. Nothing is timed: the test waits for the processes to end.
 */
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { userSettingsPath } from "../../src/settings/settings-file";
import { temporaryDirectory } from "../temporary-directory";

/** A writer: adds `count` exceptions named `<name>-<i>`, each in a change of its own. */
const WRITER = `
import { updateSettingsFile } from ${JSON.stringify(resolve(__dirname, "../../src/settings/settings-file"))};
const [path, name, count] = process.argv.slice(2);
(async () => {
  for (let i = 0; i < Number(count); i++) {
    await updateSettingsFile(path, (current) => ({
      ...current.raw,
      exceptions: [
        ...((current.raw.exceptions as unknown[] | undefined) ?? []),
        { id: \`\${name}-\${i}\`, address: \`192.168.\${name.length}.\${i + 1}\`, label: name },
      ],
    }));
  }
})().catch((error) => {
  process.stderr.write(String(error));
  process.exit(1);
});
`;

function buildWriter(dir: string): string {
  const entry = join(dir, "writer.ts");
  writeFileSync(entry, WRITER);
  const outfile = join(dir, "writer.cjs");
  buildSync({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "cjs", logLevel: "warning" });
  return outfile;
}

function run(script: string, args: string[]): Promise<{ code: number; stderr: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on("close", (code) => done({ code: code ?? -1, stderr })));
}

describe("the settings file with several writers at once", () => {
  it("keeps every change of three processes writing together, and leaves no lock or draft", async () => {
    const dir = temporaryDirectory("concurrent-writers-");
    const writer = buildWriter(dir);
    const path = userSettingsPath(join(dir, "home"));
    const names = ["raycast", "cli", "alfred"];
    const count = 20;
    const results = await Promise.all(names.map((name) => run(writer, [path, name, String(count)])));
    expect(results).toEqual(names.map(() => ({ code: 0, stderr: "" })));
    const ids = (JSON.parse(readFileSync(path, "utf8")).exceptions as { id: string }[]).map((e) => e.id);
    expect(ids).toHaveLength(names.length * count);
    for (const name of names) {
      // Each writer's own changes, all there and in its order.
      expect(ids.filter((id) => id.startsWith(`${name}-`))).toEqual(
        Array.from({ length: count }, (_, i) => `${name}-${i}`),
      );
    }
    expect(readdirSync(dirname(path))).toEqual(["settings.json"]);
  });
});
