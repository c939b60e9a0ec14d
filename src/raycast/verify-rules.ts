import { readFile } from "node:fs/promises";
import { showHUD, showToast, Toast } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { RULES_FILE } from "../privileged/paths";
import { resolvePolicy } from "../policy/policy";
import { systemPath } from "../system/commands";
import { verificationSummary, verifyRuleset } from "../verify/verify-policy";
import { isOn, readKillSwitch } from "./kill-switch";
import { macosCommands } from "./macos-commands";
import { readNetworkState } from "./network";
import { loadSettings, showSettingsErrors } from "./settings-source";
import { readCaptivePortalUntil } from "./status";

/**
 * Verify Rules: checks the rules last loaded (the root-owned copy, readable without a prompt) against the
 * policy on the network the Mac is on now: no leak outside the tunnel, and what should pass passes.
 */
export async function runVerifyRules(now: Date = new Date()): Promise<void> {
  const loaded = await loadSettings();
  if (!loaded.ok) return showSettingsErrors(loaded.errors);
  try {
    const network = await readNetworkState();
    const status = await readKillSwitch(network);
    if (!isOn(status.state)) {
      await showHUD("Kill Switch Off · no rules to verify");
      return;
    }
    const rules = await readFile(systemPath(macosCommands(), RULES_FILE), "utf8");
    const resolved = await resolvePolicy(loaded.settings);
    if (!resolved.ok) throw new Error(`Cannot resolve host names:\n${resolved.errors.join("\n")}`);
    const result = verifyRuleset(rules, {
      policy: resolved.policy,
      network,
      now,
      captivePortalUntil: readCaptivePortalUntil(now),
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
  } catch (error) {
    await showFailureToast(error, { title: "Could Not Verify the Rules" });
  }
}
