import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT_SCRIPT_FILE_NAME, ROOT_SCRIPT_SHA256 } from "./root-script";

/**
 * Where the assets folder sits relative to the running code: beside a Raycast command's bundle, one level up
 * from the CLI bundle (dist-cli/), two levels up from these sources (src/privileged/).
 */
const ASSET_DIRECTORIES = [
  join(__dirname, "assets"),
  join(__dirname, "..", "assets"),
  join(__dirname, "..", "..", "assets"),
];

let loaded: string | null = null;

/**
 * The root script's text, read from the extension's assets and checked against the SHA-256 this build was
 * made with, so a damaged or mismatched copy is never run as root. Both sit in the user's extension folder,
 * so this is no defence against malware running as the user.
 */
export function loadRootScript(directories: readonly string[] = ASSET_DIRECTORIES): string {
  if (loaded !== null && directories === ASSET_DIRECTORIES) return loaded;
  for (const directory of directories) {
    const file = join(directory, ROOT_SCRIPT_FILE_NAME);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    if (createHash("sha256").update(text).digest("hex") !== ROOT_SCRIPT_SHA256) {
      throw new Error(
        `${file} is not the root script this version was built with; reinstall the extension. Nothing was changed.`,
      );
    }
    if (directories === ASSET_DIRECTORIES) loaded = text;
    return text;
  }
  throw new Error(
    `The root script (${ROOT_SCRIPT_FILE_NAME}) is missing from the extension's assets; reinstall the extension. Nothing was changed.`,
  );
}
