/**
 * A fake `ps` that answers like macOS's (adv_cmds ps) for the forms the product runs, from the tree's process
 * table (MachineState.processes, their starts in processStarts):
 * - `ps -p PID[,PID...] -o pid=,comm=` (and `-o comm=`): the pid right-aligned to five places, then the
 *   executable's full path; pids not running are left out, and none running is exit status 1 with nothing
 *   printed (the `=` suppresses the header);
 * - `ps -axww -o pid=,etime=,comm=`: every process, in pid order, with its elapsed time as macOS prints it
 *   (`mm:ss`, `hh:mm:ss`, `dd-hh:mm:ss`) right-aligned to the widest, then the full path (`-ww`: never cut).
 * Anything else is refused, as a stand-in should.
 */
import { type MachineState, fakePaths, readJson } from "../machine";
import type { ProgramIo } from "./pfctl";

const two = (n: number) => String(n).padStart(2, "0");

/** `etime` as macOS's ps prints it (get_etime in adv_cmds' print.c): days only past one, minutes always. */
export function formatElapsed(seconds: number): string {
  const [days, hours, minutes, rest] = [
    Math.floor(seconds / 86_400),
    Math.floor(seconds / 3600) % 24,
    Math.floor(seconds / 60) % 60,
    seconds % 60,
  ];
  if (seconds > 100 * 86_400) return `${days}-${two(hours)}:${two(minutes)}:${two(rest)}`;
  if (seconds > 86_400) return `${two(days)}-${two(hours)}:${two(minutes)}:${two(rest)}`;
  if (seconds > 3600) return `${two(Math.floor(seconds / 3600))}:${two(minutes)}:${two(rest)}`;
  return `${two(Math.floor(seconds / 60))}:${two(rest)}`;
}

/** The lines of `ps -axww -o pid=,etime=,comm=` for these processes (elapsed seconds each), in pid order. */
export function formatProcessListing(processes: readonly { pid: number; elapsed: number; path: string }[]): string[] {
  const sorted = [...processes].sort((a, b) => a.pid - b.pid);
  const elapsed = sorted.map((process) => formatElapsed(process.elapsed));
  const width = Math.max(0, ...elapsed.map((text) => text.length));
  return sorted.map(
    (process, at) => `${String(process.pid).padStart(5)} ${elapsed[at].padStart(width)} ${process.path}`,
  );
}

export function runPs(root: string, args: string[], io: ProgramIo, now: number): number {
  const pids: number[] = [];
  let columns: string | null = null;
  let everyProcess = false;
  for (let at = 0; at < args.length; at++) {
    const flag = args[at];
    if (flag === "-axww") {
      everyProcess = true;
      continue;
    }
    const value = args[++at];
    if (value === undefined) {
      io.stderr.push(`ps: option requires an argument -- ${flag.replace(/^-/, "")}`);
      return 1;
    }
    if (flag === "-p") {
      for (const item of value.split(/[ ,]+/).filter(Boolean)) {
        if (!/^\d+$/.test(item)) {
          io.stderr.push(`ps: illegal process id: ${item}`);
          return 1;
        }
        pids.push(Number(item));
      }
    } else if (flag === "-o") columns = value;
    else {
      io.stderr.push(`fake-mac: ps ${args.join(" ")} is not modelled`);
      return 1;
    }
  }
  const machine = readJson<MachineState>(fakePaths(root).machine);
  const table = machine.processes ?? {};
  if (everyProcess && pids.length === 0 && columns === "pid=,etime=,comm=") {
    const running = Object.entries(table).map(([pid, path]) => {
      const started = machine.processStarts?.[Number(pid)] ?? machine.bootTime;
      return { pid: Number(pid), elapsed: Math.max(0, now - started), path };
    });
    io.stdout.push(...formatProcessListing(running));
    return 0;
  }
  if (everyProcess || (columns !== "pid=,comm=" && columns !== "comm=")) {
    io.stderr.push(`fake-mac: ps ${args.join(" ")} is not modelled`);
    return 1;
  }
  // macOS lists the matching processes in pid order, whatever order -p gave them in.
  const running = [...new Set(pids)].sort((a, b) => a - b).filter((pid) => table[pid] !== undefined);
  for (const pid of running) {
    io.stdout.push(columns === "comm=" ? table[pid] : `${String(pid).padStart(5)} ${table[pid]}`);
  }
  return running.length > 0 ? 0 : 1;
}
