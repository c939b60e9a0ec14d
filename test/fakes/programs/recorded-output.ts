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

/**
 * `ifconfig NAME` for an interface the recorded `ifconfig -a` lists: its block (the line naming it and the indented
 * ones after). Any other: "interface NAME does not exist" and status 1, as ifconfig.c says. Null for other arguments.
 */
export function runInterfaceIfconfig(root: string, args: string[], io: ProgramIo): number | null {
  if (args.length !== 1 || !/^[a-z]+\d+$/.test(args[0])) return null;
  const listing = readJson<Record<string, RecordedOutput>>(fakePaths(root).outputs)["ifconfig -a"]?.stdout ?? "";
  const lines = listing.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`${args[0]}: `));
  if (start === -1) {
    io.stderr.push(`ifconfig: interface ${args[0]} does not exist`);
    return 1;
  }
  let end = start + 1;
  while (end < lines.length && /^\s/.test(lines[end])) end++;
  io.stdout.push(...lines.slice(start, end));
  return 0;
}
