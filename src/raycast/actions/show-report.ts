/**
 * Shows a result: a HUD when all went as asked, else an alert that stays on screen until read. Raycast shows only
 * a toast's title when its window is closed (the menu bar's actions), so notes never go in a toast.
 */
import { LaunchType, confirmAlert, launchCommand, openExtensionPreferences, showHUD } from "@raycast/api";
import type { KillSwitchChange } from "../../lifecycle";
import { ACTION_TITLES } from "../../words/actions";
import type { ChangeReport } from "../../words/change-report";
import { DISMISS } from "../../words/messages";
import { COMMANDS } from "../commands";

/** The alert's second button: what helps next after each kind of action. */
function followUp(action: KillSwitchChange["action"]): { title: string; run: () => Promise<void> } {
  // After rules were loaded, a test shows at once whether anything gets out; otherwise the settings are the lever.
  return action === "enable" || action === "apply"
    ? {
        title: ACTION_TITLES.test,
        run: () => launchCommand({ name: COMMANDS.test, type: LaunchType.UserInitiated }),
      }
    : { title: ACTION_TITLES.openPreferences, run: openExtensionPreferences };
}

/** An alert with `title` and paragraphs, "OK" first and a follow-up beside it. */
export async function showNotesAlert(
  title: string,
  lines: readonly string[],
  action: KillSwitchChange["action"],
): Promise<void> {
  const next = followUp(action);
  const dismissed = await confirmAlert({
    title,
    message: lines.join("\n\n"),
    primaryAction: { title: DISMISS },
    dismissAction: { title: next.title },
  });
  if (!dismissed) await next.run().catch(() => undefined);
}

export async function showReport(report: ChangeReport, action: KillSwitchChange["action"]): Promise<void> {
  if (report.lines.length === 0) return showHUD(report.title);
  await showNotesAlert(report.title, report.lines, action);
}
