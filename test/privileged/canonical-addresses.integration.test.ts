/** The root script takes into /etc/hosts exactly the address texts TypeScript writes (address/ip.ts canonicalAddress). */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalAddress } from "../../src/address/ip";
import { writeRootLibrary } from "./root-parts";

const dir = mkdtempSync(join(tmpdir(), "canonical-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const library = writeRootLibrary(dir, ["00-about.sh", "05-awk.sh", "10-checks.sh", "58-names.sh"]);

/** Each address, and whether the root script's is_canonical_address takes it. */
function rootTakes(addresses: string[]): boolean[] {
  const harness =
    '. "$1"; shift; for a in "$@"; do if is_canonical_address "$a"; then echo yes; else echo no; fi; done';
  const run = spawnSync("/bin/sh", ["-c", harness, "harness", library, ...addresses], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  return run.stdout
    .trim()
    .split("\n")
    .map((line) => line === "yes");
}

describe("is_canonical_address", () => {
  const written = [
    "198.51.100.7",
    "0.0.0.0",
    "255.255.255.255",
    "2001:DB8:0:0:0:0:0:7",
    "2001:0db8:0000:0000:0001:0000:0000:0001",
    "0:0:0:0:0:0:0:0",
    "0:0:0:0:0:0:0:1",
    "fe80:0:0:0:0:0:0:0",
    "2001:db8:0:0:1:0:0:0",
    "2001:0:0:1:0:0:1:1",
    "2001:db8:0:1:1:1:1:1",
    "::ffff:198.51.100.7",
  ];

  it("takes every address as TypeScript writes it", () => {
    const canonical = written.map((text) => canonicalAddress(text) ?? "");
    expect(rootTakes(canonical)).toEqual(canonical.map(() => true));
  });

  it("refuses any other text of them, and what is no address", () => {
    const others = written.filter((text) => canonicalAddress(text) !== text);
    expect(others.length).toBeGreaterThan(5);
    const junk = ["198.51.100.07", "256.1.1.1", "1.2.3", "2001:db8::7%en0", "2001:db8:::7", "::1:", "1.2.3.4/32", ""];
    expect(rootTakes([...others, ...junk])).toEqual([...others, ...junk].map(() => false));
  });
});
