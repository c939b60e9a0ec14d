/**
 * The kill switch's own record of what pf blocked on this Mac: the rotating capture the root side keeps from
 * boot on (root-script/65-capture.sh), files blocked.pcap0, blocked.pcap1, ... that the admin group may read.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { CAPTURE_FILE_LIMIT, readBoundedFile } from "../files/text-file";
import { CAPTURE_DIRECTORY } from "../privileged/paths";
import { type SystemCommands, systemRootOf } from "../system/commands";
import { type PflogPacket, readPflogCapture } from "./capture";

const CAPTURE_FILE = /^blocked\.pcap\d{1,4}$/;

export interface BlockedTrafficRecord {
  directory: string;
  files: string[];
  /** Every packet of every file, the earliest first. */
  packets: PflogPacket[];
}

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
  return { directory, files, packets: packets.sort((a, b) => a.time - b.time) };
}
