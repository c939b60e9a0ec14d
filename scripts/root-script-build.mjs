// Builds the one root script that ships from its parts (src/privileged/root-script/*.sh, joined in name
// order) and the block of shared names generated from src/privileged/root-contract.json, which follows
// the first part. Used by generate-root-script.mjs and by the test that checks what was generated.
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
export const PARTS_DIRECTORY = here("../src/privileged/root-script/");
export const CONTRACT_FILE = here("../src/privileged/root-contract.json");

/** `badArguments` -> `BAD_ARGUMENTS`. */
const shellName = (key) => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

export function readContract() {
  return JSON.parse(readFileSync(CONTRACT_FILE, "utf8"));
}

/** The contract as sh assignments: what the script's own text uses for exit statuses and file names. */
export function contractShell(contract) {
  const exits = Object.entries(contract.exitStatus).map(
    ([key, { code, meaning }]) => `KS_EXIT_${shellName(key)}=${code} # ${meaning}`,
  );
  const files = Object.entries(contract.files).map(([key, name]) => `KS_FILE_${shellName(key)}=${name}`);
  return [
    "# --- Shared with TypeScript: generated from src/privileged/root-contract.json (edit that, then run",
    "# `node scripts/generate-root-script.mjs`). Exit statuses other than 0:",
    ...exits,
    "# The files of the state directory:",
    ...files,
    `# state.json's fields: ${contract.stateFields.join(" ")}`,
    `# status.json's fields (what Status reads without root): ${contract.statusFields.join(" ")}`,
    `# watchdog.json's fields: ${contract.watchdogStatusFields.join(" ")}`,
    "",
  ].join("\n");
}

/** The parts in order, each read as it is. */
export function readParts() {
  return readdirSync(PARTS_DIRECTORY)
    .filter((name) => /^\d\d-[a-z-]+\.sh$/.test(name))
    .sort()
    .map((name) => ({ name, text: readFileSync(`${PARTS_DIRECTORY}${name}`, "utf8") }));
}

/** The root script: the first part, the contract, then every other part, one blank line between. */
export function assembleRootScript(parts = readParts(), contract = readContract()) {
  const [first, ...rest] = parts;
  return [first.text, contractShell(contract), ...rest.map((part) => part.text)].join("\n");
}
