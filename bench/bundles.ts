/**
 * The size of each Raycast command's bundle as `ray build -e dist -o dist` writes it: Raycast loads a
 * command's whole bundle on every launch (the menu bar's every minute).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Per command; the verifier's probes and the settings schema are most of it. */
export const BUNDLE_BUDGET_BYTES = 256 * 1024;

export interface BundleSize {
  command: string;
  bytes: number;
}

export function commandNames(repository: string): string[] {
  const manifest = JSON.parse(readFileSync(join(repository, "package.json"), "utf8")) as {
    commands?: { name?: unknown }[];
  };
  return (manifest.commands ?? []).map((command) => String(command.name));
}

function newestChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const bundleFile = (repository: string, command: string) => join(repository, "dist", `${command}.js`);

export function missingBundles(repository: string, commands: readonly string[]): string[] {
  return commands.filter((command) => !existsSync(bundleFile(repository, command)));
}

/** Why the bundles in `dist/` cannot be measured as they are (missing or older than the code); null when fresh. */
export function staleBundles(repository: string, commands: readonly string[]): string | null {
  const missing = missingBundles(repository, commands);
  if (missing.length > 0) return `not built: ${missing.join(", ")}`;
  const files = commands.map((command) => bundleFile(repository, command));
  const oldest = Math.min(...files.map((file) => statSync(file).mtimeMs));
  const sources = Math.max(newestChange(join(repository, "src")), statSync(join(repository, "package.json")).mtimeMs);
  return sources > oldest ? "the code changed since the last build" : null;
}

/** Runs `ray build -e dist -o dist` with its output on stderr, so the table stays alone on stdout. */
export function buildBundles(repository: string): void {
  const ray = join(repository, "node_modules", ".bin", "ray");
  const run = spawnSync(ray, ["build", "-e", "dist", "-o", "dist"], {
    cwd: repository,
    stdio: ["ignore", process.stderr, process.stderr],
  });
  if (run.status !== 0) throw new Error(`ray build -e dist -o dist failed (exit status ${run.status ?? run.signal})`);
}

export function bundleSizes(repository: string, commands: readonly string[]): BundleSize[] {
  return commands.map((command) => ({
    command,
    bytes: statSync(bundleFile(repository, command)).size,
  }));
}
