import { Alert, confirmAlert } from "@raycast/api";
import { NameConfirmationError } from "../../lifecycle/errors";
import { ACTION_TITLES } from "../../words/actions";
import type { Settings } from "../../policy/settings";
import { confirmationsFor, loadConfirmedAddresses, saveConfirmedAddresses } from "../stores/confirmed-addresses";
import { nameConfirmationQuestion } from "../../words/messages";

/**
 * Runs Enable or Apply with the confirmations kept for the settings' names; when it stops on names nobody
 * confirmed, asks once (listing the addresses), keeps the answer and runs it again. Null when the user declined.
 */
export async function withConfirmedNames<T>(
  settings: Settings,
  run: (confirmedAddresses: Record<string, string[]>) => Promise<T>,
): Promise<T | null> {
  const kept = confirmationsFor(settings, await loadConfirmedAddresses());
  try {
    return await run(kept);
  } catch (error) {
    if (!(error instanceof NameConfirmationError)) throw error;
    const question = nameConfirmationQuestion(error.names);
    const allowed = await confirmAlert({
      title: question.title,
      message: question.message,
      primaryAction: { title: ACTION_TITLES.allowOutsideVpn, style: Alert.ActionStyle.Destructive },
      dismissAction: { title: "Cancel" },
    });
    if (!allowed) return null;
    const answers = Object.fromEntries(error.names.map((n) => [n.host, n.addresses]));
    await saveConfirmedAddresses(answers);
    return run({ ...kept, ...answers });
  }
}
