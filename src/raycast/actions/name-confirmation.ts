import { Alert, confirmAlert } from "@raycast/api";
import { NameConfirmationError } from "../../lifecycle/errors";
import type { NameToConfirm } from "../../policy/name-trust";
import type { Settings } from "../../policy/settings";
import { confirmationsFor, loadConfirmedAddresses, saveConfirmedAddresses } from "../stores/confirmed-addresses";

/** The confirmation shown when names were resolved by the network rather than the VPN: each name and its addresses. */
export function nameConfirmationQuestion(names: readonly NameToConfirm[]): { title: string; message: string } {
  const lines = names.map((n) => `${n.host} → ${n.addresses.join(", ")}`);
  return {
    title: names.length === 1 ? "Allow This Address Outside the VPN?" : "Allow These Addresses Outside the VPN?",
    message:
      `${lines.join("\n")}\n\nThis network's DNS, not the VPN's, gave ${names.length === 1 ? "this answer" : "these answers"}, ` +
      `and it could have given any address. Traffic to ${names.length === 1 && names[0].addresses.length === 1 ? "it" : "them"} ` +
      `leaves outside the tunnel. Allow only if these are the right addresses; a different answer later is asked about again.`,
  };
}

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
      primaryAction: { title: "Allow Outside the VPN", style: Alert.ActionStyle.Destructive },
      dismissAction: { title: "Cancel" },
    });
    if (!allowed) return null;
    const answers = Object.fromEntries(error.names.map((n) => [n.host, n.addresses]));
    await saveConfirmedAddresses(answers);
    return run({ ...kept, ...answers });
  }
}
