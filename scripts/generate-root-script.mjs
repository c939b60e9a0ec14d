// The root script ships as a Raycast asset (assets/killswitch-root.sh, read at run time) rather than inside
// every command's bundle: it is most of a bundle's size budget. This copies it there and writes
// src/privileged/root-script.ts with its SHA-256 (checked before it runs as root) and the names it defines.
// Run after editing src/privileged/killswitch-root.sh; test/privileged/root-script.integration.test.ts fails when stale.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";

const source = fileURLToPath(new URL("../src/privileged/killswitch-root.sh", import.meta.url));
const asset = fileURLToPath(new URL("../assets/killswitch-root.sh", import.meta.url));
const target = fileURLToPath(new URL("../src/privileged/root-script.ts", import.meta.url));

const script = await readFile(source, "utf8");

function constant(name) {
  const match = script.match(new RegExp(`^${name}=(.+)$`, "m"));
  if (!match) throw new Error(`killswitch-root.sh defines no ${name}`);
  return match[1].replace(/^"(.*)"$/, "$1").replace(/\$KS_ID\b/g, () => constant("KS_ID"));
}

const constants = Object.fromEntries(
  ["KS_ID", "KS_ANCHOR", "KS_STATE_DIR", "KS_LAUNCH_DAEMON", "KS_WATCHDOG_INTERVAL", "KS_VERSION"].map((n) => [
    n,
    constant(n),
  ]),
);
const text = [
  "// Generated from killswitch-root.sh by scripts/generate-root-script.mjs (run by `npm install`): edit the .sh",
  "// file, then run `node scripts/generate-root-script.mjs`.",
  "",
  "/** The file name of the root script among the extension's assets. */",
  'export const ROOT_SCRIPT_FILE_NAME = "killswitch-root.sh";',
  "",
  "/** SHA-256 of the root script this build was made with: nothing else is ever run as root. */",
  `export const ROOT_SCRIPT_SHA256 = ${JSON.stringify(createHash("sha256").update(script).digest("hex"))};`,
  "",
  "/** The names the root script defines (`KS_…=` at its top), so TypeScript and the script never disagree. */",
  `export const ROOT_SCRIPT_CONSTANTS = ${JSON.stringify(constants)} as const;`,
  "",
].join("\n");
const options = (await prettier.resolveConfig(target)) ?? {};
await writeFile(target, await prettier.format(text, { ...options, parser: "typescript" }));
await mkdir(fileURLToPath(new URL("../assets/", import.meta.url)), { recursive: true });
await writeFile(asset, script, { mode: 0o644 });
