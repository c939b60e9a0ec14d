/**
 * The fake macOS programs' one long-lived process. Each executable in a fake tree is a small C program (see
 * ../shim.c) that writes its arguments to `<root>/.fake/calls/<slot>.args`, names that call on this
 * server's door (a FIFO) and waits on the slot's reply FIFO; the server runs the program here and answers
 * with its output and exit status. One Node start per test file instead of one per program call.
 *
 * Door lines: `call <slot path>` (a shim's call), `done <slot path>` (it has read the answer: the slot is
 * free), `tick <root>` (the tree's clock moved: wake the sleeps that are due), `shift <seconds> <root>` (the
 * clock moved by that much without any sleep counting it: each is due that much later), `forget <root>` (it is gone),
 * `settle <id> <root>` (answer `{ settled: id }` on the IPC channel once the tree's root shells and what they
 * left have ended or sleep), `asleep <id> <count> <root>` (answer once that many sleeps wait), `capturing <id> <pid> <root>` (once that tcpdump captures) and `launch <id> <job>`
 * (run a launchd job's program in the tree: JSON of its root, program, arguments and environment).
 */
import { closeSync, constants, openSync, readFileSync, rmSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { Socket } from "node:net";
import { dirname } from "node:path";
import { type MachineState, fakePaths, logEvent, readJson, writeJson } from "../machine";
import { runDate, sleepSeconds } from "./clock";
import { forgetGroups, groupsIdle, onGroupChange } from "./groups";
import { runLaunchctl } from "./launchctl";
import { runOsascript } from "./osascript";
import { runConnectByName } from "./connect-by-name";
import { runConsoleStat, runNc, runPflogIfconfig, runTcpdump } from "./pflog";
import { type ProgramIo, runPfctl } from "./pfctl";
import { runPs } from "./ps";
import { runInterfaceIfconfig, runRecorded } from "./recorded-output";
import { runProgram } from "./spawn";
import { runSudo } from "./sudo";
import { type PfState, holdsBlockingRuleset } from "../pf-model";
import { ANCHOR_NAME } from "../../../src/privileged/paths";

interface Call {
  path: string;
  root: string;
  program: string;
  pid: number;
  ppid: number;
  asRoot: boolean;
  args: string[];
  /** What the caller piped in, when an argument is "-" (`pfctl -f -`): the shim passes it along then only. */
  stdin?: string;
}

interface Sleeper {
  call: Call;
  until: number;
}

const CALLS_DIRECTORY = "/.fake/calls/";

/** `<program>\n<pid>\n<ppid>\n<root marker>\n<argc>\n` then each argument as `<bytes>\n<argument>\n`. */
export function parseCallFile(path: string, bytes: Buffer): Call {
  let at = 0;
  const line = () => {
    const end = bytes.indexOf(10, at);
    if (end === -1) throw new Error(`${path}: cut short`);
    const text = bytes.subarray(at, end).toString("utf8");
    at = end + 1;
    return text;
  };
  const program = line();
  const pid = Number(line());
  const ppid = Number(line());
  const asRoot = line() === "0";
  const count = Number(line());
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = Number(line());
    args.push(bytes.subarray(at, at + length).toString("utf8"));
    at += length + 1;
  }
  const root = path.slice(0, path.indexOf(CALLS_DIRECTORY));
  return { path, root, program, pid, ppid, asRoot, args };
}

const sleepers = new Map<string, Sleeper[]>();
/** The fake tcpdumps capturing now, by tree: never answered, ended by a kill. */
const captures = new Map<string, Call[]>();

function clockOf(root: string): number {
  return readJson<MachineState>(fakePaths(root).machine).now;
}

/** What the test side waits for, by tree: each resolved when `done` holds, on the first event it does. */
const waits = new Map<string, { id: string; done: () => boolean }[]>();

/** Trees with a wait not met yet, looked at again shortly (see `changed`). */
const lookAgain = new Map<string, NodeJS.Timeout>();

/**
 * Something in `root` changed (a sleep began or ended, a shell or its life line ended): answer the waits met. A
 * process that ends while another of its group still holds the life line (a timer beside the tcpdump its run
 * started) says nothing, so a wait not met is looked at again a moment later.
 */
function changed(root: string): void {
  const list = waits.get(root);
  if (!list) return;
  const left = list.filter((wait) => {
    if (!wait.done()) return true;
    process.send?.({ settled: wait.id });
    return false;
  });
  waits.set(root, left);
  if (left.length > 0 && !lookAgain.has(root)) {
    lookAgain.set(
      root,
      setTimeout(() => {
        lookAgain.delete(root);
        changed(root);
      }, 20),
    );
  }
}

function waitFor(root: string, id: string, done: () => boolean): void {
  waits.set(root, [...(waits.get(root) ?? []), { id, done }]);
  changed(root);
}

onGroupChange(changed);

/** Who sleeps until when, for the test side (FakeMac.sleepers, and killed by its cleanup). */
const sleepersOf = (root: string) => (sleepers.get(root) ?? []).map(({ call }) => call);

function recordSleepers(root: string): void {
  const list = (sleepers.get(root) ?? []).map(({ call, until }) => ({ pid: call.pid, ppid: call.ppid, until }));
  try {
    writeJson(fakePaths(root).sleeping, list);
    writeJson(
      fakePaths(root).capturing,
      (captures.get(root) ?? []).map(({ pid, ppid }) => ({ pid, ppid })),
    );
  } catch {
    // The tree is being removed.
  }
}

/** The lines a fake program printed: each output is whole lines (a last line without its newline gets one). */
function linesOf(lines: string[]): string[] {
  return lines.length > 0 ? lines.join("\n").split("\n") : [];
}

/** Past this, stdout goes through a file, which the shim copies to its own. */
const INLINE_OUTPUT_BYTES = 32_768;

function answer(call: Call, status: number, io: ProgramIo): void {
  const out = linesOf(io.stdout);
  const err = linesOf(io.stderr);
  let head = `${status} ${out.length} ${err.length}`;
  let lines = [...out, ...err];
  const outText = out.length > 0 ? `${out.join("\n")}\n` : "";
  if (outText.length > INLINE_OUTPUT_BYTES) {
    try {
      writeFileSync(`${call.path}.out`, outText);
    } catch {
      return; // The tree is gone.
    }
    head = `${status} file ${err.length}`;
    lines = err;
  }
  const text = `${[head, ...lines].join("\n")}\n`;
  let fd: number;
  try {
    fd = openSync(`${call.path}.fifo`, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return; // The caller is gone (killed, or its tree removed): nobody waits for this answer.
  }
  // Most answers fit the FIFO's buffer: written at once. The rest goes through libuv, which waits while the FIFO
  // is full instead of failing with EAGAIN.
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    written = writeSync(fd, bytes);
  } catch {
    // Full (EAGAIN), or the caller is gone: libuv tries again, or drops it.
  }
  if (written === bytes.length) {
    closeSync(fd);
    return;
  }
  const pipe = new Socket({ fd, readable: false, writable: true });
  pipe.on("error", () => pipe.destroy());
  pipe.end(bytes.subarray(written));
}

/** While the tree traces it: whether pf holds the kill switch's blocking ruleset now, as a program starts. */
function traced(root: string): { pfBlocking?: boolean } {
  if (!readJson<MachineState>(fakePaths(root).machine).traceBlocking) return {};
  return { pfBlocking: holdsBlockingRuleset(readJson<PfState>(fakePaths(root).pf), ANCHOR_NAME) };
}

async function run(call: Call, io: ProgramIo): Promise<number | "asleep"> {
  const { root, program, args } = call;
  if (program === "date") return runDate(args, io, clockOf(root));
  if (program === "sleep") {
    const seconds = sleepSeconds(args, io);
    if (seconds === null) return 1;
    const until = clockOf(root) + seconds;
    if (until <= clockOf(root)) return 0;
    const list = sleepers.get(root) ?? [];
    list.push({ call, until });
    sleepers.set(root, list);
    recordSleepers(root);
    changed(root);
    return "asleep";
  }
  if (program !== "osascript" && program !== "sudo")
    logEvent(root, { program, args, asRoot: call.asRoot, ...traced(root) });
  if (program === "pfctl") return runPfctl(root, args, io, Math.floor(clockOf(root)), call);
  if (program === "osascript") return runOsascript(root, args, io, call.pid);
  if (program === "sudo") return runSudo(root, args, io);
  if (program === "launchctl") return runLaunchctl(root, args, io, call.asRoot);
  if (program === "ifconfig") {
    const status = runPflogIfconfig(root, args, io) ?? runInterfaceIfconfig(root, args, io);
    if (status !== null) return status;
  }
  if (program === "stat") return runConsoleStat(root, args, io);
  if (program === "nc") return runNc(root, args, io, call.pid);
  if (program === "connect-by-name") return runConnectByName(root, args, io);
  if (program === "ps") return runPs(root, args, io, Math.floor(clockOf(root)));
  if (program === "tcpdump") {
    const status = runTcpdump(root, args, io);
    if (status !== "capturing") return status;
    // Captures until killed (a restart or the test's cleanup ends it); waits like a sleep, but counts as none.
    captures.set(root, [...(captures.get(root) ?? []), call]);
    recordSleepers(root);
    changed(root);
    return "asleep";
  }
  return runRecorded(root, program, args, io);
}

/** Removes a file if it is there (one unlink: rmSync looks before it removes). */
function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already, or its tree with it.
  }
}

async function handleCall(path: string): Promise<void> {
  let call: Call;
  try {
    call = parseCallFile(path, readFileSync(`${path}.args`));
    removeFile(`${path}.args`);
    if (call.args.includes("-")) {
      call.stdin = readFileSync(`${path}.stdin`, "utf8");
      removeFile(`${path}.stdin`);
    }
  } catch {
    return;
  }
  const io: ProgramIo = { stdout: [], stderr: [] };
  let status: number | "asleep";
  try {
    status = await run(call, io);
  } catch (error) {
    io.stderr.push(`fake-mac: ${call.program} failed: ${(error as Error).stack ?? error}`);
    status = 70;
  }
  if (status !== "asleep") answer(call, status, io);
}

function wakeDue(root: string): void {
  const list = sleepers.get(root);
  if (!list) return;
  let now: number;
  try {
    now = clockOf(root);
  } catch {
    return;
  }
  const due = list.filter((sleeper) => sleeper.until <= now).sort((a, b) => a.until - b.until);
  sleepers.set(
    root,
    list.filter((sleeper) => sleeper.until > now),
  );
  recordSleepers(root);
  for (const sleeper of due) answer(sleeper.call, 0, { stdout: [], stderr: [] });
  changed(root);
}

interface Launch {
  root: string;
  program: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Runs a launchd job's program in the tree, followed as its root shells are (groups.ts), so that settling waits for
 * what it leaves behind (a timer) too; answers `{ launched: id, result }` on the IPC channel once it has ended.
 */
async function launch(id: string, job: Launch): Promise<void> {
  const finished = await runProgram(job.program, job.args, job.env, job.root);
  process.send?.({
    launched: id,
    result: { exitCode: finished.status, stdout: finished.stdout, stderr: finished.stderr },
  });
}

/** The clock moved by `seconds` that no sleep counts (it was set, or the Mac slept): each sleep is due as much later. */
function shiftSleepers(root: string, seconds: number): void {
  const list = sleepers.get(root);
  if (!list || !Number.isFinite(seconds)) return;
  for (const sleeper of list) sleeper.until += seconds;
  recordSleepers(root);
}

function serve(door: string): void {
  // Read-write, so the door never reads end-of-file between two callers; non-blocking for libuv's pipe.
  const fd = openSync(door, constants.O_RDWR | constants.O_NONBLOCK);
  const socket = new Socket({ fd, readable: true, writable: false });
  let pending = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      const space = line.indexOf(" ");
      const verb = line.slice(0, space);
      const subject = line.slice(space + 1);
      if (verb === "call") void handleCall(subject);
      else if (verb === "tick") wakeDue(subject);
      else if (verb === "shift") {
        const space = subject.indexOf(" ");
        shiftSleepers(subject.slice(space + 1), Number(subject.slice(0, space)));
      } else if (verb === "done") removeFile(`${subject}.lock`);
      else if (verb === "forget") {
        sleepers.delete(subject);
        captures.delete(subject);
        waits.delete(subject);
        forgetGroups(subject);
      } else if (verb === "settle") {
        const [id, root] = [subject.slice(0, subject.indexOf(" ")), subject.slice(subject.indexOf(" ") + 1)];
        waitFor(root, id, () => groupsIdle(root, [...sleepersOf(root), ...(captures.get(root) ?? [])]));
      } else if (verb === "launch") {
        const space = subject.indexOf(" ");
        void launch(subject.slice(0, space), JSON.parse(subject.slice(space + 1)) as Launch);
      } else if (verb === "asleep") {
        const [id, count, ...rest] = subject.split(" ");
        const root = rest.join(" ");
        waitFor(root, id, () => sleepersOf(root).length >= Number(count));
      } else if (verb === "capturing") {
        const [id, pid, ...rest] = subject.split(" ");
        const root = rest.join(" ");
        waitFor(root, id, () => (captures.get(root) ?? []).some((call) => call.pid === Number(pid)));
      }
    }
  });
  // Stopped, or the test process is gone: wake every sleeper (so no shim waits for ever), remove the door, end.
  const stop = () => {
    for (const list of sleepers.values()) {
      for (const sleeper of list) answer(sleeper.call, 70, { stdout: [], stderr: [] });
    }
    rmSync(dirname(door), { recursive: true, force: true });
    process.exit(0);
  };
  process.on("disconnect", stop);
  process.on("SIGTERM", stop);
  process.send?.("ready");
}

serve(process.argv[2]);
