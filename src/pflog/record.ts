/**
 * The kill switch's own record of what pf blocked on this Mac: the rotating capture the root side keeps from
 * boot on (root-script/65-capture.sh), files blocked.pcap0, blocked.pcap1, ... (and previous.pcapN, what the
 * tcpdump before wrote) that the admin group may read.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { CAPTURE_FILE_LIMIT, readBoundedFile } from "../files/text-file";
import { CAPTURE_DIRECTORY } from "../privileged/paths";
import { type SystemCommands, systemRootOf } from "../system/commands";
import { type PflogPacket, readPflogCapture } from "./capture";
import { programName } from "../network/process-names";
import type { FlowContext, FlowPhase, RecordedProcess } from "./flows";

/** The files of the tcpdump running now, and those of the one before it (it ran until a restart, say). */
const CAPTURE_FILE = /^(blocked|previous)\.pcap\d{1,4}$/;

export interface BlockedTrafficRecord {
  directory: string;
  files: string[];
  /** Every packet of every file, the earliest first. */
  packets: PflogPacket[];
  /** What the root side noted beside the capture: process names and phases, for groupFlows. */
  context: FlowContext;
}

/** The last entry at or before `time` of a list sorted by time; null when all are later. */
function atTime<T extends { time: number }>(list: readonly T[], time: number): T | null {
  let found: T | null = null;
  for (const entry of list) {
    if (entry.time > time) break;
    found = entry;
  }
  return found;
}

const PHASES: readonly FlowPhase[] = ["boot", "vpn-down", "vpn-up"];

/** "START<tab>PID<tab>ENDED<tab>PATH", as note_processes writes it; a line of the older "TIME PID NAME" never matches. */
const PROCESS_LINE = /^(\d{1,12})\t(\d{1,7})\t(\d{1,12})\t([^\t]+)$/;

/**
 * The process that held `pid` when a packet was sent at `time`, from the processes of that pid sorted by start:
 * the latest one that had started by then. It names the packet only when it began in an earlier second (a
 * recorded start is never earlier than the real one, and a process starting in the packet's own second may
 * have started after it) and no check had yet missed it; otherwise the packet goes unnamed, never named after
 * an earlier holder of the pid.
 */
export function holderAt(processes: readonly RecordedProcess[], time: number): RecordedProcess | null {
  const second = Math.floor(time);
  let holder: RecordedProcess | null = null;
  for (const process of processes) {
    if (process.started > second) break;
    holder = process;
  }
  if (!holder || holder.started === second) return null;
  return holder.ended === null || time < holder.ended ? holder : null;
}

/**
 * Reads `phases` ("TIME PHASE BOOT_TIME" lines) and `processes` ("START<tab>PID<tab>ENDED<tab>PATH" lines), as
 * 65-capture.sh writes them. Lines that do not read so are left out: the older form of `processes`, without
 * starts, names nothing, as it cannot tell which process held a pid when.
 */
export function parseRecordNotes(phasesText: string, processesText: string): FlowContext {
  const phases = phasesText.split("\n").flatMap((line) => {
    const [time, phase] = line.split(" ");
    return /^\d+$/.test(time ?? "") && PHASES.includes(phase as FlowPhase)
      ? [{ time: Number(time), phase: phase as FlowPhase }]
      : [];
  });
  const holders = new Map<number, RecordedProcess[]>();
  for (const line of processesText.split("\n")) {
    const match = PROCESS_LINE.exec(line);
    if (!match) continue;
    const pid = Number(match[2]);
    const ended = Number(match[3]);
    const executable = match[4];
    const list = holders.get(pid) ?? [];
    list.push({
      pid,
      started: Number(match[1]),
      ended: ended === 0 ? null : ended,
      executable,
      name: programName(executable),
    });
    holders.set(pid, list);
  }
  phases.sort((a, b) => a.time - b.time);
  // By start; lines of one start (a process that ran another program) in the order written.
  for (const list of holders.values()) list.sort((a, b) => a.started - b.started);
  return {
    phaseAt: (time) => atTime(phases, time)?.phase ?? null,
    processAt: (pid, time) => holderAt(holders.get(pid) ?? [], time),
  };
}

/** A note beside the capture, "" when the root side has written none (yet). */
async function readNote(directory: string, names: readonly string[], name: string): Promise<string> {
  if (!names.includes(name)) return "";
  return (await readBoundedFile(join(directory, name), "record", NOTES_LIMIT)).toString("utf8");
}

/** 5,000 lines each, as the root side keeps them (a path of at most 512 characters), with room. */
const NOTES_LIMIT = 4 * 1024 * 1024;

/**
 * Reads the record; null when there is none (the kill switch is off, or records nothing). A file being written
 * may end inside a packet: that packet is left for the next reading. Unreadable files throw (TextFileError).
 */
export async function readBlockedTrafficRecord(system: SystemCommands): Promise<BlockedTrafficRecord | null> {
  const directory = `${systemRootOf(system)}${CAPTURE_DIRECTORY}`;
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const files = names.filter((name) => CAPTURE_FILE.test(name)).sort();
  const packets: PflogPacket[] = [];
  for (const name of files) {
    const path = join(directory, name);
    packets.push(
      ...readPflogCapture(await readBoundedFile(path, "capture", CAPTURE_FILE_LIMIT), path, { growing: true }),
    );
  }
  const context = parseRecordNotes(
    await readNote(directory, names, "phases"),
    await readNote(directory, names, "processes"),
  );
  return { directory, files, packets: packets.sort((a, b) => a.time - b.time), context };
}
