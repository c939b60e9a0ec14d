/**
 * The root script names the bridges that carry a virtual machine past pf as src/network does, word for word (Status
 * matches the watchdog's message against the network's): on every real ifconfig output of the fixtures, and with a
 * virtual machine bridged to Wi-Fi.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeUnfilteredBridge, findBridges, unfilteredBridges } from "../../src/network/bridges";
import { parseIfconfig } from "../../src/network/ifconfig";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import { VM_BRIDGE_NOTE, VM_BRIDGED_TO_EN0 } from "../network/bridged-vm";
import { readMacosFixture } from "../network/fixtures";
import { temporaryDirectory } from "../temporary-directory";
import { NETWORK_READING_PARTS, writeRootLibrary } from "./root-parts";

const IFCONFIG_FIXTURES = readdirSync(join(__dirname, "../fixtures/macos/ifconfig")).filter(
  (name) => !name.startsWith("ifconfig-l"),
);

function rootSays(ifconfig: string): string {
  const dir = temporaryDirectory("root-bridges-");
  const library = writeRootLibrary(dir, NETWORK_READING_PARTS);
  writeFileSync(join(dir, "ifconfig"), ifconfig);
  const run = spawnSync("/bin/sh", ["-c", `. "$1"; WORK=$2; unfiltered_bridges`, "harness", library, dir], {
    encoding: "utf8",
  });
  expect(run.stderr).toBe("");
  return run.stdout;
}

const builderSays = (ifconfig: string) => {
  const notes = unfilteredBridges(findBridges(parseIfconfig(ifconfig))).map(describeUnfilteredBridge);
  return notes.length > 0 ? `${notes.join("; ")}\n` : "";
};

describe("bridges past pf, as the root script reads them", () => {
  it.each(IFCONFIG_FIXTURES)("match src/network's on %s", (name) => {
    const ifconfig = readMacosFixture("ifconfig", name);
    expect(rootSays(ifconfig)).toBe(builderSays(ifconfig));
  });

  it("name a virtual machine bridged to Wi-Fi, and two such bridges in ifconfig's order", () => {
    const ifconfig = `${SAMPLE_SNAPSHOT.ifconfig ?? ""}${VM_BRIDGED_TO_EN0}`;
    expect(rootSays(ifconfig)).toBe(`${VM_BRIDGE_NOTE}\n`);
    const two = `${ifconfig}${VM_BRIDGED_TO_EN0.replaceAll("bridge100", "bridge101").replaceAll("vmenet0", "vmenet1")}`;
    expect(rootSays(two)).toBe(builderSays(two));
    expect(rootSays(two)).toBe(
      `${VM_BRIDGE_NOTE}; a virtual machine bridged to en0 is not filtered by pf (bridge101: en0, vmenet1)\n`,
    );
  });
});
