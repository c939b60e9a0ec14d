/**
 * A fake `ps` that answers like macOS's for the one form the product runs, `ps -p PID[,PID...] -o pid=,comm=`
 * (and `-o comm=`), from the tree's process table (MachineState.processes): the pid right-aligned to five
 * places, then the executable's full path; pids not running are left out, and none running is exit status 1
 * with nothing printed (the `=` suppresses the header). Anything else is refused, as a stand-in should.
 */
import { type MachineState, fakePaths, readJson } from "../machine";
import type { ProgramIo } from "./pfctl";

export function runPs(root: string, args: string[], io: ProgramIo): number {
  const pids: number[] = [];
  let columns: string | null = null;
  for (let at = 0; at < args.length; at += 2) {
    const [flag, value] = [args[at], args[at + 1]];
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
  if (columns !== "pid=,comm=" && columns !== "comm=") {
    io.stderr.push(`fake-mac: ps -o ${columns ?? "(none)"} is not modelled`);
    return 1;
  }
  const table = readJson<MachineState>(fakePaths(root).machine).processes ?? {};
  // macOS lists the matching processes in pid order, whatever order -p gave them in.
  const running = [...new Set(pids)].sort((a, b) => a - b).filter((pid) => table[pid] !== undefined);
  for (const pid of running) {
    io.stdout.push(columns === "comm=" ? table[pid] : `${String(pid).padStart(5)} ${table[pid]}`);
  }
  return running.length > 0 ? 0 : 1;
}
