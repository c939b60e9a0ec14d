/**
 * Enable's refusals and questions in an alert: it stays on screen wherever Enable was started (from the menu bar
 * Raycast would show a toast's title only), with the button that fixes it.
 */
import { Alert, confirmAlert, openExtensionPreferences } from "@raycast/api";
import { ACTION_TITLES } from "../../words/actions";
import type { EnableQuestion } from "../../words/enable";

/** Shows `question`; true when its fix was chosen. Open Preferences, as either button, opens them. */
export async function askEnableQuestion(
  question: EnableQuestion,
  style: Alert.ActionStyle = Alert.ActionStyle.Default,
): Promise<boolean> {
  const fixed = await confirmAlert({
    title: question.title,
    message: question.message,
    primaryAction: { title: question.fix, style },
    dismissAction: { title: question.other },
  });
  const chosen = fixed ? question.fix : question.other;
  if (chosen === ACTION_TITLES.openPreferences) await openExtensionPreferences();
  return fixed;
}
