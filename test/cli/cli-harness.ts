import { join, resolve } from "node:path";
import { buildSync } from "esbuild";
import { runCli } from "../../src/cli/main";
import type { CliIo } from "../../src/cli/io";
import { createSystemCommands } from "../../src/system/commands";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output; `overrides` swap platform, cwd, system or stdin. */
export async function runKillswitch(
  argv: string[],
  overrides: Partial<CliIo> & { stdin?: string } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    // The test file's own HOME (test/setup-file.ts): the user's settings file is never the real one.
    env: { HOME: process.env.HOME },
    cwd: process.cwd(),
    platform: "linux",
    system: createSystemCommands({ root: "/nonexistent" }),
    readStdin: async () => overrides.stdin ?? "",
    now: () => new Date("2026-11-22T12:00:00Z"),
    ...overrides,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** The CLI bundled as it ships (one file for node), in `dir`: for tests that need it as its own process. */
export function bundleKillswitch(dir: string): string {
  const cli = join(dir, "killswitch.cjs");
  buildSync({
    entryPoints: [resolve(__dirname, "../../src/killswitch.ts")],
    outfile: cli,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "warning",
  });
  return cli;
}
