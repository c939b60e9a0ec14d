/**
 * The root script's lock, run from its own parts (about, checks, records) in a small sh harness: two
 * contenders that both find a stale lock cannot both take it. The race is forced, not timed: contender A
 * stops right after reading the stale holder (inside `kill -0`), B takes the lock meanwhile, then A goes on.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryDirectory } from "../temporary-directory";
import { writeRootLibrary } from "./root-parts";

const LIBRARY_PARTS = ["00-about.sh", "10-checks.sh", "20-records.sh"];

/** One contender: takes the lock without waiting, says "took" or "busy", then holds it until told. */
const HARNESS = `
. "$1"
LOCK_DIR=$2
WORK=$3
SH=/bin/sh
SLEEP=/bin/false
LOCKED=no
if [ -n "\${PAUSE_IN_KILL:-}" ]; then
	# Stops once, in the liveness check of the holder it read, until the test says go on.
	kill() {
		if [ "$1" = -0 ] && [ -z "\${paused:-}" ]; then
			paused=yes
			echo paused
			read -r _
		fi
		command kill "$@"
	}
fi
if take_lock 0; then echo took; else echo busy; fi
read -r _
release_lock
`;

interface Contender {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  /** Resolves with the next line the contender prints. */
  next(): Promise<string>;
  /** Sends one line to its standard input (the "go on" it waits for). */
  goOn(): void;
  ended: Promise<number>;
}

function contender(dir: string, name: string, env: Record<string, string> = {}): Contender {
  const work = join(dir, `killswitch.${name}`);
  mkdirSync(work);
  const child = spawn("/bin/sh", ["-c", HARNESS, "harness", join(dir, "lib.sh"), join(dir, "lock"), work], {
    env: { PATH: "/bin:/usr/bin", ...env },
  });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffer = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  return {
    child,
    lines,
    next: () => new Promise((resolve) => (lines.length ? resolve(lines.shift() as string) : waiting.push(resolve))),
    goOn: () => child.stdin.write("\n"),
    ended: new Promise((resolve) => child.on("close", (code) => resolve(code ?? -1))),
  };
}

/** A pid no process has: one of a process that has ended. */
async function endedPid(): Promise<number> {
  const child = spawn("/bin/true");
  await new Promise((resolve) => child.on("close", resolve));
  return child.pid as number;
}

describe("the root script's lock", () => {
  it("is taken over from a holder that is gone by one of two contenders only", async () => {
    const dir = temporaryDirectory("root-lock-");
    writeRootLibrary(dir, LIBRARY_PARTS);
    // A lock left by a run that was killed (in the earlier format, a pid alone, which the earlier code read).
    mkdirSync(join(dir, "lock"));
    writeFileSync(join(dir, "lock", "pid"), `${await endedPid()}\n`);

    const a = contender(dir, "a", { PAUSE_IN_KILL: "yes" });
    expect(await a.next()).toBe("paused"); // A has read the stale holder
    const b = contender(dir, "b");
    expect(await b.next()).toBe("took"); // B took the lock over meanwhile, and holds it
    a.goOn();
    expect(await a.next()).toBe("busy"); // A must not remove B's lock and run beside it
    expect(existsSync(join(dir, "lock"))).toBe(true);

    b.goOn();
    a.goOn();
    expect(await b.ended).toBe(0);
    expect(await a.ended).toBe(0);
    expect(existsSync(join(dir, "lock"))).toBe(false);

    // With the lock free again, a new contender takes it at once.
    const c = contender(dir, "c");
    expect(await c.next()).toBe("took");
    c.goOn();
    expect(await c.ended).toBe(0);
  });

  it("takes over a stale lock in the format it writes (pid and work folder)", async () => {
    const dir = temporaryDirectory("root-lock-");
    writeRootLibrary(dir, LIBRARY_PARTS);
    mkdirSync(join(dir, "lock"));
    writeFileSync(join(dir, "lock", "pid"), `${await endedPid()} killswitch.gone01\n`);
    const a = contender(dir, "a");
    expect(await a.next()).toBe("took");
    a.goOn();
    expect(await a.ended).toBe(0);
  });
});
