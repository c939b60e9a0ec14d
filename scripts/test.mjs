// npm test: the static checks (lint and format, and ray build, which also type-checks src, test and bench),
// two at a time since each mostly uses one core, then the manifest and bundle check, then both test tiers
// in one vitest run (unit first). Each step's output is printed whole, in order; the first failure stops it. The
// week on the fake Mac is a tier of its own (`npm run test:week`), which CI runs after this.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Every step's temporary files (tsx's cache, the tests' fake Macs) in one folder, removed however it ends:
// a run leaves nothing in /tmp.
const scratch = mkdtempSync(join(tmpdir(), "vpn-kill-switch-npm-test-"));
process.env.TMPDIR = scratch;
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));

const npm = "npm";

/** Runs `npm run <script> [args]`, keeping its output; resolves with its exit status and that output. */
function run(script, args = []) {
  return new Promise((resolve) => {
    const child = spawn(npm, ["run", "--silent", script, ...(args.length ? ["--", ...args] : [])], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? "1" },
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => resolve({ script, code: code ?? 1, output }));
  });
}

async function step(...runs) {
  const results = await Promise.all(runs);
  for (const { script, code, output } of results) {
    process.stdout.write(`\n> ${script}\n${output}`);
    if (code !== 0) {
      process.stdout.write(`\nnpm test: ${script} failed (exit ${code})\n`);
      process.exit(code);
    }
  }
}

await step(run("lint"), run("build"));
await step(run("check-manifest", ["--bundles", "dist"]));
// The tiers stream their output: they take the longest, and their summaries are what CI counts.
const tiers = ["unit", "mocking", "integration"].flatMap((tier) => ["--project", tier]);
const tests = spawn(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...tiers], { stdio: "inherit" });
tests.on("close", (code) => process.exit(code ?? 1));
