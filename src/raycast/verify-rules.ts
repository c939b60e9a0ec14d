import { readFile } from "node:fs/promises";
import { showHUD, showToast, Toast } from "@raycast/api";
import { RULES_FILE } from "../privileged/paths";
import { resolvePolicy } from "../policy/policy";
import { systemPath } from "../system/commands";
import { verificationSummary, verifyRuleset } from "../verify/verify-policy";
import { captivePortalUntil, isOn, readKillSwitch } from "./kill-switch";
import { withSettingsAndNetwork } from "./settings-source";
import { systemCommands } from "./system";

/**
 * Verify Kill Switch Rules: checks the rules last loaded (the root-owned copy, readable without a prompt) against the
 * policy on the network the Mac is on now: no leak outside the tunnel, and what should pass passes.
 */
export function runVerifyRules(now: Date = new Date()): Promise<void> {
  return withSettingsAndNetwork("Could Not Verify the Rules", async (settings, network) => {
    const status = await readKillSwitch(network);
    if (!isOn(status.state)) {
      await showHUD("Kill Switch Off · no rules to verify");
      return;
    }
    const rules = await readFile(systemPath(systemCommands(), RULES_FILE), "utf8");
    const resolved = await resolvePolicy(settings);
    if (!resolved.ok) throw new Error(`Cannot resolve host names:\n${resolved.errors.join("\n")}`);
    const result = verifyRuleset(rules, {
      policy: resolved.policy,
      network,
      now,
      captivePortalUntil: captivePortalUntil(status, now),
    });
    const summary = verificationSummary(result);
    if (summary.passed) {
      await showHUD("Rules Verified · nothing leaves outside the VPN on this network");
      return;
    }
    await showToast({
      style: Toast.Style.Failure,
      title: `Rules Do Not Match (${summary.failures.length} problem${summary.failures.length === 1 ? "" : "s"})`,
      message: `${summary.failures.slice(0, 5).join("\n")}\nEnable the kill switch again to reload them.`,
    });
  });
}
