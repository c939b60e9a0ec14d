/**
 * What the Script Filter reads each time it runs, without a password: the status (as `killswitch status`), the
 * exceptions in the shared settings file, the record of blocked traffic, and what the workflow keeps between
 * runs. Each reading that fails says why instead, so the list always shows what it can.
 */
import { describeStatus } from "../lifecycle/describe";
import type { KillSwitchStatus } from "../lifecycle/status";
import type { NetworkState } from "../network/state";
import { type StoredException, exceptionsWithIds } from "../exceptions/stored-exceptions";
import { type Flow, groupFlows } from "../pflog/flows";
import { readBlockedTrafficRecord } from "../pflog/record";
import { readSettingsFile } from "../settings/settings-file";
import { userSettingsFileOf } from "../cli/context";
import type { CliIo } from "../cli/io";
import { readKillSwitchNow } from "../cli/settings-change";
import { type InFlight, type Questions, readInFlight, readQuestions, workflowCacheDirectory } from "./workflow-cache";

/** A reading, or what stopped it in words for people. */
export type Reading<T> = { ok: true; value: T } | { ok: false; problem: string };

export interface AlfredReading {
  now: Date;
  /** The status and the network it was judged on; the network is null when it could not be read. */
  kill: Reading<{ status: KillSwitchStatus; network: NetworkState | null; lines: string[] }>;
  exceptions: Reading<StoredException[]>;
  /** The flows blocked, newest first; null when no record is kept. */
  flows: Reading<Flow[] | null>;
  inFlight: InFlight | null;
  questions: Questions;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function attempt<T>(read: () => Promise<T>, explain = messageOf): Promise<Reading<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, problem: explain(error) };
  }
}

export async function readForAlfred(io: CliIo): Promise<AlfredReading> {
  const cache = workflowCacheDirectory(io.env);
  const [kill, exceptions, flows] = await Promise.all([
    attempt(async () => {
      const now = await readKillSwitchNow(io);
      if (!now) throw new Error(`the kill switch runs on macOS; this system is ${io.platform}`);
      return { ...now, lines: describeStatus(now.status) };
    }),
    attempt(async () => exceptionsWithIds((await readSettingsFile(userSettingsFileOf(io))).settings)),
    attempt(
      async () => {
        const record = await readBlockedTrafficRecord(io.system);
        if (!record) return null;
        return groupFlows(record.packets, record.context).sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
      },
      (error) =>
        (error as NodeJS.ErrnoException).code === "EACCES"
          ? "The record of blocked traffic is readable by admin users only."
          : messageOf(error),
    ),
  ]);
  return { now: io.now(), kill, exceptions, flows, inFlight: readInFlight(cache), questions: readQuestions(cache) };
}
