/** Some parts of the root script joined as the shipped script joins them, for a sh harness to source. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { assembleRootScript, readParts } from "../../scripts/root-script-build.mjs";

/** Writes the parts named (with the contract after the first, as in the script) to DIR/lib.sh; returns its path. */
export function writeRootLibrary(dir: string, parts: readonly string[]): string {
  const library = join(dir, "lib.sh");
  writeFileSync(library, assembleRootScript(readParts().filter((part) => parts.includes(part.name))));
  return library;
}

/** The parts that read the network, with what they need: the library most harnesses source. */
export const NETWORK_READING_PARTS = [
  "00-about.sh",
  "05-awk.sh",
  "10-checks.sh",
  "50-network.sh",
  "52-tunnels.sh",
  "55-identity.sh",
];

/** For a harness without 30-pf.sh: the boot time unknown and no window recorded, so no timed line is kept. */
export const UNKNOWN_BOOT_TIME = 'BOOT_TIME=""; WINDOWS_FILE=/dev/null; read_boot_time() { :; }';
