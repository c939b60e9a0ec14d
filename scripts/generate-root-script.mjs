// Copies src/privileged/killswitch-root.sh into a TypeScript string constant, so the Raycast and CLI
// bundles carry the root script without a file loader. test/privileged/root-script.test.ts fails when
// the two differ.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";

const source = fileURLToPath(new URL("../src/privileged/killswitch-root.sh", import.meta.url));
const target = fileURLToPath(new URL("../src/privileged/root-script.ts", import.meta.url));

const script = await readFile(source, "utf8");
const text = [
  "// Generated from killswitch-root.sh by scripts/generate-root-script.mjs: edit the .sh file, then run",
  "// `node scripts/generate-root-script.mjs`. The script travels as this string inside the bundles.",
  "",
  "/** The root script's text, run as `/bin/sh -c ROOT_SCRIPT killswitch-root ACTION ...`. */",
  `export const ROOT_SCRIPT: string = ${JSON.stringify(script)};`,
  "",
].join("\n");
const options = (await prettier.resolveConfig(target)) ?? {};
await writeFile(target, await prettier.format(text, { ...options, parser: "typescript" }));
console.log(`wrote ${target}`);
