// Runs the bench: bundles bench/main.ts (with the product code and execa, which is ESM-only) into one
// CommonJS file, then runs it in a fresh node process so the figures hold nothing of this build.
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// Inside node_modules so the bundle finds esbuild (kept external: the fake Mac uses its native binary).
const outfile = join(repository, "node_modules", ".cache", "vpn-kill-switch-bench", "bench.cjs");

/** The fake Mac finds its fixtures and programs next to its own source: keep each file's own __dirname. */
const ownDirname = {
  name: "own-dirname",
  setup(context) {
    context.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      if (args.path.includes(`${join("node_modules", "")}`)) return undefined;
      const source = await readFile(args.path, "utf8");
      if (!source.includes("__dirname")) return undefined;
      return {
        contents: `const __dirname = ${JSON.stringify(dirname(args.path))};\n${source}`,
        loader: args.path.endsWith(".tsx") ? "tsx" : "ts",
      };
    });
  },
};

await build({
  entryPoints: [join(repository, "bench", "main.ts")],
  // The menu bar's own reading runs here outside Raycast, which provides @raycast/api: its tests' stand-in does.
  alias: { "@raycast/api": join(repository, "test", "mocks", "raycast-api.tsx") },
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  external: ["esbuild"],
  plugins: [ownDirname],
  logLevel: "warning",
});

const run = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { cwd: repository, stdio: "inherit" });
process.exitCode = run.status ?? 1;
