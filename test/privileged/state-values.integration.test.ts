/** The root script's reading of its own state.json (state_values), run from its parts on a record it wrote. */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryDirectory } from "../temporary-directory";
import { writeRootLibrary } from "./root-parts";

function values(record: string | null, ...wanted: string[]): string[] {
  const dir = temporaryDirectory("root-state-");
  const library = writeRootLibrary(dir, ["00-about.sh", "10-checks.sh", "20-records.sh"]);
  mkdirSync(join(dir, "state"));
  if (record !== null) writeFileSync(join(dir, "state", "state.json"), record);
  const harness = `. "$1"; STATE_DIR=$2; shift 2; state_values "$@"`;
  const run = spawnSync("/bin/sh", ["-c", harness, "harness", library, join(dir, "state"), ...wanted], {
    encoding: "utf8",
  });
  expect(run.stderr).toBe("");
  return run.stdout.split("\n").slice(0, -1);
}

const RECORD =
  '{"version":1,"status":"on","anchor":"com.apple/000.vpnkillswitch","attachment":"main","bootTime":1700000000,' +
  '"changedAt":1700000060,"changedBy":"watchdog","tunnels":["utun4","utun6"],"reference":null,"captivePortalUntil":null,' +
  '"protectFromStartup":true,"servers":["[2001:db8::7]:443/tcp","198.51.100.7:1194/udp"],"serverAddresses":[],"nextChangeAt":1700003600}\n';

describe("state_values", () => {
  it("prints each field asked for on a line of its own, by kind, in the order asked", () => {
    expect(
      values(
        RECORD,
        "string:status",
        "number:bootTime",
        "list:tunnels",
        "list:servers",
        "raw:protectFromStartup",
        "number:nextChangeAt",
        "string:attachment",
      ),
    ).toEqual([
      "on",
      "1700000000",
      "utun4 utun6",
      "[2001:db8::7]:443/tcp 198.51.100.7:1194/udp",
      "true",
      "1700003600",
      "main",
    ]);
  });

  it("prints an empty line for a field that is null, empty, missing or of another kind, and for no record", () => {
    expect(
      values(
        RECORD,
        "string:reference",
        "number:captivePortalUntil",
        "list:serverAddresses",
        "number:gone",
        "number:status",
      ),
    ).toEqual(["", "", "", "", ""]);
    expect(values(null, "string:status", "list:tunnels")).toEqual(["", ""]);
    expect(values("{ garbage", "string:status")).toEqual([""]);
  });
});
