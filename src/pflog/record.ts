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
import type { FlowContext, FlowPhase } from "./flows";

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

/** The last entry at or before `time` of a list sorted by time; the first one when all are later. */
function atTime<T extends { time: number }>(list: readonly T[], time: number, before: "first" | "none"): T | null {
  let found: T | null = null;
  for (const entry of list) {
    if (entry.time > time) break;
    found = entry;
  }
  return found ?? (before === "first" ? (list[0] ?? null) : null);
}

const PHASES: readonly FlowPhase[] = ["boot", "vpn-down", "vpn-up"];

/**
 * Reads `phases` ("TIME PHASE BOOT_TIME" lines) and `processes` ("TIME PID NAME" lines), as 65-capture.sh writes
 * them. Lines that do not read so are left out. A packet before a pid's first sighting takes that first name:
 * the process was seen at the next check.
 */
export function parseRecordNotes(phasesText: string, processesText: string): FlowContext {
  const phases = phasesText.split("\n").flatMap((line) => {
    const [time, phase] = line.split(" ");
    return /^\d+$/.test(time ?? "") && PHASES.includes(phase as FlowPhase)
      ? [{ time: Number(time), phase: phase as FlowPhase }]
      : [];
  });
  const names = new Map<number, { time: number; name: string }[]>();
  for (const line of processesText.split("\n")) {
    const match = line.match(/^(\d+) (\d+) (.+)$/);
    if (!match) continue;
    const pid = Number(match[2]);
    names.set(pid, [...(names.get(pid) ?? []), { time: Number(match[1]), name: match[3] }]);
  }
  phases.sort((a, b) => a.time - b.time);
  for (const list of names.values()) list.sort((a, b) => a.time - b.time);
  return {
    phaseAt: (time) => atTime(phases, time, "none")?.phase ?? null,
    processAt: (pid, time) => atTime(names.get(pid) ?? [], time, "first")?.name ?? null,
  };
}

/** A note beside the capture, "" when the root side has written none (yet). */
async function readNote(directory: string, names: readonly string[], name: string): Promise<string> {
  if (!names.includes(name)) return "";
  return (await readBoundedFile(join(directory, name), "record", NOTES_LIMIT)).toString("utf8");
}

/** 5,000 lines each, as the root side keeps them, with room. */
const NOTES_LIMIT = 1024 * 1024;

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
