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

/**
 * A part without its comment lines, here-documents kept whole. The comments stay in the parts, the source
 * people read; the script travels as one `sh -c` argument, and Linux limits one argument to 128 KiB.
 * Kept: shellcheck directives, and the first part's opening block (what the script is and how it is run).
 */
export function withoutCommentLines(text, { keepOpening = false } = {}) {
  const lines = text.split("\n");
  const kept = [];
  let opening = keepOpening;
  let hereDocumentEnd = null;
  for (const line of lines) {
    if (hereDocumentEnd !== null) {
      kept.push(line);
      if (line.replace(/^\t+/, "") === hereDocumentEnd) hereDocumentEnd = null;
      continue;
    }
    const comment = /^\s*#/.test(line);
    if (opening && (comment || line === "")) {
      kept.push(line);
      if (line === "") opening = false;
      continue;
    }
    opening = false;
    if (comment && !/^\s*#\s*shellcheck\b/.test(line)) continue;
    kept.push(line);
    const hereDocument = line.match(/<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?/);
    if (hereDocument) hereDocumentEnd = hereDocument[1];
  }
  return kept.join("\n");
}

/** The root script: the first part, the contract, then every other part, one blank line between. */
export function assembleRootScript(parts = readParts(), contract = readContract()) {
  const [first, ...rest] = parts;
  return [
    withoutCommentLines(first.text, { keepOpening: true }),
    contractShell(contract),
    ...rest.map((part) => withoutCommentLines(part.text)),
  ].join("\n");
}
