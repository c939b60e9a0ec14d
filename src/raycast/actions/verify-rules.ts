import { readFile } from "node:fs/promises";
import { showHUD, showToast, Toast } from "@raycast/api";
import {
  type FileReading,
  type RecordedState,
  readRecordedState,
  readResolvedRecord,
  rememberedNetwork,
} from "../../lifecycle/record";
import { resolveWithRecord } from "../../lifecycle/resolution";
import { RULES_FILE } from "../../privileged/paths";
import { systemHostLookup } from "../../policy/policy";
import { systemPath } from "../../system/commands";
import { verificationSummary, verifyRuleset } from "../../verify/verify-policy";
import { withSettingsAndNetwork } from "../stores/settings-source";
import { readCaptivePortalUntil } from "../stores/snapshot-cache";
import { systemCommands } from "../system";
import { FAILURES, OUTCOMES, rulesDoNotMatch } from "../../words/messages";

/** The rules last loaded, or null when there are none (Disable removes them). */
async function readLoadedRules(): Promise<string | null> {
  try {
    return await readFile(systemPath(systemCommands(), RULES_FILE), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "EACCES" || code === "EPERM") {
      throw new Error("The rules in force can be read by administrators only: they name your networks and exceptions.");
    }
    throw error;
  }
}

/** The open captive-portal window as the state file records it, else as the command that opened it remembers it. */
async function openCaptivePortalUntil(record: FileReading<RecordedState>, now: Date): Promise<Date | null> {
  if (record.kind !== "present") return readCaptivePortalUntil(now);
  const until = record.value.captivePortalUntil;
  return until && until * 1000 > now.getTime() ? new Date(until * 1000) : null;
}

/**
 * Verify Kill Switch Rules: checks the rules last loaded (the root-owned copy, readable by admins without a prompt) against the
 * policy on the network the Mac is on now: no leak outside the tunnel, and what should pass passes. It reads files
 * only, not the status, so the command stays small.
 */
export function runVerifyRules(now: Date = new Date()): Promise<void> {
  return withSettingsAndNetwork(FAILURES.verify, async (settings, network) => {
    const rules = await readLoadedRules();
    if (rules === null) {
      await showHUD(OUTCOMES.verifyWhileOff);
      return;
    }
    // Host names resolve as Enable resolved them: with DNS outside the VPN blocked, the recorded addresses stand in.
    const recorded = await readResolvedRecord(systemCommands());
    const { result: resolved } = await resolveWithRecord(settings, systemHostLookup, recorded);
    if (!resolved.ok) throw new Error(`Cannot resolve host names:\n${resolved.errors.join("\n")}`);
    const record = await readRecordedState(systemCommands());
    const result = verifyRuleset(rules, {
      policy: resolved.policy,
      network,
      now,
      captivePortalUntil: await openCaptivePortalUntil(record, now),
      ...rememberedNetwork(record),
    });
    const summary = verificationSummary(result);
    if (summary.passed) {
      await showHUD(OUTCOMES.verified);
      return;
    }
    await showToast({
      style: Toast.Style.Failure,
      title: rulesDoNotMatch(summary.failures.length),
      message: `${summary.failures.slice(0, 5).join("\n")}\nEnable the kill switch again to reload them.`,
    });
  });
}
