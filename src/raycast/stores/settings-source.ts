import { openExtensionPreferences } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import type { NetworkState } from "../../network/state";
import type { Settings } from "../../policy/settings";
import { type ExceptionList, loadExceptions } from "./exception-store";
import { readNetworkState } from "../reading/network-reading";
import { readPreferences, settingsFromPreferences } from "./preferences";

export type LoadedSettings =
  | { ok: true; settings: Settings; exceptions: ExceptionList }
  | { ok: false; errors: string[]; exceptions: ExceptionList };

/** The settings in force: the preferences plus the stored exceptions (unreadable ones left out and reported). */
export async function loadSettings(): Promise<LoadedSettings> {
  const exceptions = await loadExceptions();
  const result = settingsFromPreferences(readPreferences(), exceptions.exceptions);
  return result.ok
    ? { ok: true, settings: result.settings, exceptions }
    : { ok: false, errors: result.errors, exceptions };
}

/** A toast naming each bad preference and its value, with a way to fix it. */
export async function showSettingsErrors(errors: string[]): Promise<void> {
  await showFailureToast(new Error(errors.join("\n")), {
    title: "Check the Kill Switch Preferences",
    message: errors.join("\n"),
    primaryAction: { title: "Open Preferences", onAction: () => void openExtensionPreferences() },
  });
}

/** What every command that acts on the kill switch needs first: valid settings, the network now, a toast on failure. */
export async function withSettingsAndNetwork(
  failureTitle: string,
  action: (settings: Settings, network: NetworkState) => Promise<void>,
): Promise<void> {
  const loaded = await loadSettings();
  if (!loaded.ok) return showSettingsErrors(loaded.errors);
  try {
    await action(loaded.settings, await readNetworkState());
  } catch (error) {
    await showFailureToast(error, { title: failureTitle });
  }
}
