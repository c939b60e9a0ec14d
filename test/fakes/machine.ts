/** Where a fake macOS tree keeps its state, shared by the fake programs and the test-side builder. */
import { appendFileSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** How the fake authorisation dialogs answer. */
export type PasswordDialogAnswer = "approve" | "cancel" | "no-ui";
export type TouchIdAnswer = "approve" | "decline";

export interface MachineState {
  /** `kern.boottime` seconds. */
  bootTime: number;
  /** The fake clock, seconds since 1970: what `date +%s` prints; only FakeMac.advanceClock moves it. */
  now: number;
  passwordDialog: PasswordDialogAnswer;
  touchId: TouchIdAnswer;
  /** pfctl invocations that fail, keyed by their first arguments joined by spaces (`-E`, `-a anchor -f`). */
  pfctlFaults: Record<string, { stderr: string; exitCode: number }>;
  /** pflog interfaces created since boot (`ifconfig pflogN create`); a restart has none. */
  pflogInterfaces?: string[];
  /** Who owns /dev/console: a user once logged in, root at the login window (after a restart). */
  consoleUser?: string;
  /** The file the running fake tcpdump writes (pf's log of what it blocks goes there). */
  captureFile?: string;
  /** The network beyond the Mac drops TCP: a connection pf lets out gets no answer (`nc` times out). */
  networkDropsTcp?: boolean;
  /** The processes `ps` knows, by pid: the executable's full path, as macOS's `ps -o comm=` prints it. */
  processes?: Record<number, string>;
  /** When each of them began, seconds since 1970 (what `ps -o etime=` counts from); default: the boot time. */
  processStarts?: Record<number, number>;
  /** The disk is (nearly) full: tcpdump cannot write its capture (FakeMac.fillDisk). */
  diskFull?: boolean;
  /** Each program's event says whether pf held the kill switch's blocking ruleset when it started (boot-trace.ts). */
  traceBlocking?: boolean;
  /** What the network's DNS answers for each name (lower case), to a query pf lets out: a hostile network forges. */
  dnsAnswers?: Record<string, string[]>;
}

/** One run of a fake program, in order. */
export interface FakeEvent {
  program: string;
  args: string[];
  /** Whether it ran as root (inside the fake osascript or sudo). */
  asRoot: boolean;
  /** Set for osascript and sudo: the authorisation shown and how it was answered. */
  prompt?: "password" | "touchid";
  answer?: string;
  /** While tracing (MachineState.traceBlocking): whether pf held the kill switch's blocking ruleset as it started. */
  pfBlocking?: boolean;
  /**
   * A real program of this machine, not one the fake stands in for (a utility on the root script's PATH, mktemp
   * or awk, or its shell), logged by boot-trace.ts's wrappers: without its arguments.
   */
  realProgram?: boolean;
}

export function fakePaths(root: string) {
  const dir = join(root, ".fake");
  return {
    dir,
    pf: join(dir, "pf.json"),
    machine: join(dir, "machine.json"),
    outputs: join(dir, "outputs.json"),
    events: join(dir, "events.jsonl"),
    /** A link to the fake-macOS server's door, where the shims say what they need. */
    door: join(dir, "door"),
    /** One file set per program call in flight (the shims' arguments, output and reply FIFO). */
    calls: join(dir, "calls"),
    /** The calls of `sleep` waiting for the clock: `[{ pid, ppid, until }]`, kept by the server. */
    sleeping: join(dir, "sleeping.json"),
    capturing: join(dir, "capturing.json"),
  };
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Written whole then renamed, so a reader never sees half a file (the watchdog's timer runs alongside tests). */
export function writeJson(path: string, value: unknown): void {
  const temporary = `${path}.${process.pid}.new`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, path);
}

export function logEvent(root: string, event: FakeEvent): void {
  appendFileSync(fakePaths(root).events, `${JSON.stringify(event)}\n`);
}

export function readEvents(root: string): FakeEvent[] {
  let text = "";
  try {
    text = readFileSync(fakePaths(root).events, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FakeEvent);
}

/** The environment marker the fake osascript and sudo set for the commands they run "as root". */
export const FAKE_ROOT_MARKER = "FAKE_MAC_UID";
