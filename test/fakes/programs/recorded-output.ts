/**
 * Fake read-only macOS commands (ifconfig, netstat, route, scutil, arp, ipconfig, sysctl): each answers
 * from <root>/.fake/outputs.json, keyed by the command line (`route -n get default`), so tests serve
 * real captured output. `sysctl kern.boottime` comes from the machine's boot time.
 */
import { type MachineState, fakePaths, readJson } from "../machine";
import type { ProgramIo } from "./pfctl";

export interface RecordedOutput {
  stdout: string;
  stderr?: string;
  exitCode?: number;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** sysctl prints kern.boottime as a struct timeval and ctime(3). */
export function formatBootTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const ctime = `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${time} ${d.getUTCFullYear()}`;
  return `{ sec = ${seconds}, usec = 0 } ${ctime}`;
}

export function runRecorded(root: string, program: string, args: string[], io: ProgramIo): number {
  const paths = fakePaths(root);
  if (program === "sysctl" && args.includes("kern.boottime")) {
    const value = formatBootTime(readJson<MachineState>(paths.machine).bootTime);
    io.stdout.push(args.includes("-n") ? value : `kern.boottime: ${value}`);
    return 0;
  }
  const key = [program, ...args].join(" ");
  const recorded = readJson<Record<string, RecordedOutput>>(paths.outputs)[key];
  if (!recorded) {
    io.stderr.push(`fake-mac: no output recorded for "${key}"`);
    return 1;
  }
  if (recorded.stdout) io.stdout.push(recorded.stdout.replace(/\n$/, ""));
  if (recorded.stderr) io.stderr.push(recorded.stderr.replace(/\n$/, ""));
  return recorded.exitCode ?? 0;
}
