/**
 * The root side's record of processes (65-capture.sh, note_processes): what `ps -axww -o pid=,etime=,comm=`
 * lists at each check, one line a process with when it began and when a check first missed it, read by fixed
 * columns, bounded so that no name's repeats push out the others. Run from its own parts, on macOS's listing.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatProcessListing } from "../fakes/programs/ps";
import { temporaryDirectory } from "../temporary-directory";
import { writeRootLibrary } from "./root-parts";

interface Running {
  pid: number;
  started: number;
  path: string;
}

/** A capture folder and a check that notes the processes running at `now`, as the watchdog's check does. */
function processRecord(bounds: { lines?: number; endedPerPath?: number } = {}) {
  const dir = temporaryDirectory("process-record-");
  const library = writeRootLibrary(dir, ["00-about.sh", "05-awk.sh", "10-checks.sh", "65-capture.sh"]);
  mkdirSync(join(dir, "capture"));
  mkdirSync(join(dir, "work"));
  writeFileSync(
    join(dir, "ps"),
    `#!/bin/sh\n[ "$*" = "-axww -o pid=,etime=,comm=" ] || exit 64\ncat "${dir}/listing"\n`,
    {
      mode: 0o755,
    },
  );
  writeFileSync(join(dir, "date"), `#!/bin/sh\ncat "${dir}/clock"\n`, { mode: 0o755 });
  const harness = join(dir, "check.sh");
  writeFileSync(
    harness,
    `. "${library}"
CAPTURE="${dir}/capture"
WORK="${dir}/work"
PS="${dir}/ps"
DATE="${dir}/date"
NOW=$1
${bounds.lines === undefined ? "" : `PROCESS_LINES=${bounds.lines}`}
${bounds.endedPerPath === undefined ? "" : `PROCESS_ENDED_PER_PATH=${bounds.endedPerPath}`}
note_processes
`,
  );
  const file = join(dir, "capture", "processes");
  return {
    file,
    check(now: number, running: readonly Running[]) {
      const listing = formatProcessListing(running.map((p) => ({ ...p, elapsed: now - p.started })));
      writeFileSync(join(dir, "listing"), listing.map((line) => `${line}\n`).join(""));
      writeFileSync(join(dir, "clock"), `${now}\n`);
      const run = spawnSync("/bin/sh", [harness, String(now)], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
    },
    /** The lines as [start, pid, ended, path]. */
    lines: () =>
      readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split("\t")),
  };
}

const T = 1_800_000_000;
const SAFARI = "/Applications/Safari.app/Contents/MacOS/Safari";

describe("the record of processes", () => {
  it("reads the path from its own column, so a name like a pid or a time is read right and noted once", () => {
    const record = processRecord();
    const running = [
      { pid: 4242, started: T - 100, path: "1" },
      { pid: 4243, started: T - 90_000, path: "4243 01:40 1" },
      { pid: 812, started: T - 9_000_000, path: SAFARI },
      { pid: 77, started: T - 5, path: "/Applications/Weird App.app/Contents/MacOS/  two  spaces" },
    ];
    record.check(T, running);
    const first = readFileSync(record.file, "utf8");
    // In the listing's order: ps lists by pid.
    expect(record.lines()).toEqual([
      [`${T - 5}`, "77", "0", "/Applications/Weird App.app/Contents/MacOS/  two  spaces"],
      [`${T - 9_000_000}`, "812", "0", SAFARI],
      [`${T - 100}`, "4242", "0", "1"],
      [`${T - 90_000}`, "4243", "0", "4243 01:40 1"],
    ]);
    // The same processes at the next checks: nothing is written again.
    record.check(T + 10, running);
    record.check(T + 20, running);
    expect(readFileSync(record.file, "utf8")).toBe(first);
  });

  it("notes when a process was first missed, and a pid taken again as another process", () => {
    const record = processRecord();
    record.check(T, [{ pid: 812, started: T - 50, path: SAFARI }]);
    record.check(T + 10, []);
    // An empty listing (ps printing nothing) ends nothing; the next real one does.
    expect(record.lines()).toEqual([[`${T - 50}`, "812", "0", SAFARI]]);
    record.check(T + 20, [{ pid: 1, started: T - 1000, path: "/sbin/launchd" }]);
    record.check(T + 30, [
      { pid: 1, started: T - 1000, path: "/sbin/launchd" },
      { pid: 812, started: T + 25, path: "/usr/bin/curl" },
    ]);
    expect(record.lines()).toEqual([
      [`${T - 50}`, "812", `${T + 20}`, SAFARI],
      [`${T - 1000}`, "1", "0", "/sbin/launchd"],
      [`${T + 25}`, "812", "0", "/usr/bin/curl"],
    ]);
  });

  it("keeps one line for a running process whose start reads a second later at a check", () => {
    const record = processRecord();
    record.check(T, [{ pid: 812, started: T - 50, path: SAFARI }]);
    record.check(T + 10, [{ pid: 812, started: T - 49, path: SAFARI }]);
    record.check(T + 20, [{ pid: 812, started: T - 51, path: SAFARI }]);
    // The earliest reading stands: a start is never read earlier than it was.
    expect(record.lines()).toEqual([[`${T - 51}`, "812", "0", SAFARI]]);
  });

  it("names nothing by a pid listed twice in one listing, and drops lines of an older form", () => {
    const record = processRecord();
    writeFileSync(record.file, `${T - 10} 812 Safari\n${T - 10} 813 ${SAFARI}\n`);
    record.check(T, [
      { pid: 812, started: T - 50, path: SAFARI },
      { pid: 812, started: T - 5, path: "/tmp/evil" },
      { pid: 900, started: T - 5, path: "/usr/bin/ssh" },
    ]);
    expect(record.lines()).toEqual([[`${T - 5}`, "900", "0", "/usr/bin/ssh"]]);
  });

  it("makes a name printable and keeps 512 characters of it", () => {
    const record = processRecord();
    record.check(T, [
      { pid: 10, started: T - 5, path: "/Applications/Caf\u00e9.app/x\u001b[2J" },
      { pid: 11, started: T - 5, path: `/${"a".repeat(600)}` },
    ]);
    const [cafe, long] = record.lines();
    expect(cafe[3]).toBe("/Applications/Caf??.app/x?[2J");
    expect(long[3]).toBe(`/${"a".repeat(511)}`);
  });

  it("keeps the last ended processes of each path: hundreds of restarts of one name push out no other", () => {
    const record = processRecord({ endedPerPath: 50 });
    // Earlier processes that ended, each its own path.
    record.check(T, [
      { pid: 812, started: T - 500, path: SAFARI },
      { pid: 301, started: T - 500, path: "/usr/sbin/mDNSResponder" },
    ]);
    // A program named "1" starts 300 times, each living one check.
    for (let round = 0; round < 3; round++) {
      const at = T + 10 + round * 10;
      record.check(
        at,
        Array.from({ length: 100 }, (_, i) => ({ pid: 5000 + round * 100 + i, started: at - 1, path: "1" })),
      );
    }
    record.check(T + 50, [{ pid: 301, started: T - 500, path: "/usr/sbin/mDNSResponder" }]);
    const lines = record.lines();
    expect(lines.filter((line) => line[3] === "1")).toHaveLength(50);
    // The last fifty of them, the latest kept.
    expect(lines.filter((line) => line[3] === "1").map((line) => Number(line[1]))).toEqual(
      Array.from({ length: 50 }, (_, i) => 5250 + i),
    );
    expect(lines).toContainEqual([`${T - 500}`, "812", `${T + 10}`, SAFARI]);
    expect(lines).toContainEqual([`${T - 500}`, "301", "0", "/usr/sbin/mDNSResponder"]);
  });

  it("drops a pid's older lines with a newer one, which they would otherwise name the packets of", () => {
    const record = processRecord({ endedPerPath: 1 });
    // pid 700 was /bin/a, then /bin/b; then another /bin/b ends: pid 700's /bin/b line goes (one ended line a
    // path), and /bin/a with it: kept, it would name what the /bin/b at 700 sent.
    record.check(T, [{ pid: 700, started: T - 5, path: "/bin/a" }]);
    record.check(T + 10, [{ pid: 700, started: T + 8, path: "/bin/b" }]);
    record.check(T + 20, [{ pid: 701, started: T + 15, path: "/bin/b" }]);
    expect(record.lines().map((line) => [line[1], line[3]])).toEqual([
      ["700", "/bin/a"],
      ["700", "/bin/b"],
      ["701", "/bin/b"],
    ]);
    record.check(T + 30, [{ pid: 1, started: T - 1000, path: "/sbin/launchd" }]);
    expect(record.lines()).toEqual([
      [`${T + 15}`, "701", `${T + 30}`, "/bin/b"],
      [`${T - 1000}`, "1", "0", "/sbin/launchd"],
    ]);
  });

  it("keeps running processes first, the latest listed, within the lines allowed", () => {
    const record = processRecord({ lines: 4 });
    record.check(T, [{ pid: 700, started: T - 5, path: "/bin/a" }]);
    const running = [
      { pid: 1, started: T - 1000, path: "/sbin/launchd" },
      { pid: 2, started: T - 1000, path: "/usr/libexec/logd" },
      { pid: 3, started: T - 1000, path: "/usr/libexec/UserEventAgent" },
    ];
    record.check(T + 10, running);
    expect(record.lines().map((line) => line[1])).toEqual(["700", "1", "2", "3"]);
    record.check(T + 20, [
      ...running,
      { pid: 4, started: T + 15, path: "/usr/sbin/cfprefsd" },
      { pid: 5, started: T + 15, path: "/usr/sbin/distnoted" },
    ]);
    expect(record.lines().map((line) => line[1])).toEqual(["2", "3", "4", "5"]);
  });
});
