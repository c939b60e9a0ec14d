/**
 * The rules in force, as Verify Kill Switch Rules judges them in every front-end: the copy of the rules last
 * loaded (root-owned, readable by admins without a prompt) and what to judge it against on the network the Mac
 * is on now, host names resolved as Enable resolved them (DNS outside the VPN is blocked meanwhile).
 */
import { readFile } from "node:fs/promises";
import {
  type FileReading,
  type RecordedState,
  readRecordedState,
  readResolvedRecord,
  rememberedNetwork,
} from "../lifecycle/record";
import { resolveWithRecord } from "../lifecycle/resolution";
import type { NetworkState } from "../network/state";
import { type HostLookup, systemHostLookup } from "../policy/policy";
import type { Settings } from "../policy/settings";
import { RULES_FILE } from "../privileged/paths";
import { type SystemCommands, systemPath } from "../system/commands";
import type { VerifyInput } from "./verify-policy";

/** Why the rules in force could not be judged (they cannot be read, a host name does not resolve). */
export class RulesInForceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RulesInForceError";
  }
}

export interface RulesInForce {
  /** The rules as last loaded. */
  text: string;
  /** Where they were read, for people. */
  origin: string;
  input: VerifyInput;
}

/** The rules last loaded, or null when there are none (Disable removes them). */
async function readLoadedRules(system: SystemCommands): Promise<string | null> {
  try {
    return await readFile(systemPath(system, RULES_FILE), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "EACCES" || code === "EPERM") {
      throw new RulesInForceError(
        "The rules in force can be read by administrators only: they name your networks and exceptions.",
      );
    }
    throw error;
  }
}

/** The open captive-portal window as the state file records it, else as the front-end that opened it remembers it. */
function openCaptivePortalUntil(
  record: FileReading<RecordedState>,
  now: Date,
  remembered: (now: Date) => Date | null,
): Date | null {
  if (record.kind !== "present") return remembered(now);
  const until = record.value.captivePortalUntil;
  return until && until * 1000 > now.getTime() ? new Date(until * 1000) : null;
}

/** The rules in force and what to judge them against; null when the kill switch has none loaded. */
export async function readRulesInForce(request: {
  system: SystemCommands;
  settings: Settings;
  network: NetworkState;
  now: Date;
  lookup?: HostLookup;
  /** When the captive-portal window closes, as the front-end remembers it, for a state file without it. */
  rememberedCaptivePortalUntil?: (now: Date) => Date | null;
}): Promise<RulesInForce | null> {
  const { system, settings, network, now } = request;
  const text = await readLoadedRules(system);
  if (text === null) return null;
  const recorded = await readResolvedRecord(system);
  const { result } = await resolveWithRecord(settings, request.lookup ?? systemHostLookup, recorded);
  if (!result.ok) throw new RulesInForceError(`Cannot resolve host names:\n${result.errors.join("\n")}`);
  const record = await readRecordedState(system);
  return {
    text,
    origin: systemPath(system, RULES_FILE),
    input: {
      policy: result.policy,
      network,
      now,
      captivePortalUntil: openCaptivePortalUntil(record, now, request.rememberedCaptivePortalUntil ?? (() => null)),
      ...rememberedNetwork(record),
    },
  };
}
