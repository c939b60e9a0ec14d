import { showHUD, showToast, Toast } from "@raycast/api";
import { readRulesInForce } from "../../verify/rules-in-force";
import { verificationSummary, verifyRuleset } from "../../verify/verify-policy";
import { withSettingsAndNetwork } from "../stores/settings-source";
import { readCaptivePortalUntil } from "../stores/snapshot-cache";
import { systemCommands } from "../system";
import { FAILURES, OUTCOMES, rulesDoNotMatch } from "../../words/messages";

/**
 * Verify Kill Switch Rules: checks the rules last loaded (the root-owned copy, readable by admins without a prompt) against the
 * policy on the network the Mac is on now: no leak outside the tunnel, and what should pass passes. It reads files
 * only, not the status, so the command stays small.
 */
export function runVerifyRules(now: Date = new Date()): Promise<void> {
  return withSettingsAndNetwork(FAILURES.verify, async (settings, network) => {
    const rules = await readRulesInForce({
      system: systemCommands(),
      settings,
      network,
      now,
      rememberedCaptivePortalUntil: readCaptivePortalUntil,
    });
    if (rules === null) {
      await showHUD(OUTCOMES.verifyWhileOff);
      return;
    }
    const summary = verificationSummary(verifyRuleset(rules.text, rules.input));
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
