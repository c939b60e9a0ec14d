import { openExtensionPreferences } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import type { Settings } from "../policy/settings";
import { type ExceptionList, loadExceptions } from "./exception-store";
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
