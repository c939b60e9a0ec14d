import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Reads a real macOS output from test/fixtures/macos/<kind>/<name>. */
export function readMacosFixture(kind: string, name: string): string {
  return readFileSync(join(__dirname, "..", "fixtures", "macos", kind, name), "utf8");
}
