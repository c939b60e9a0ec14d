import { openExtensionPreferences } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { exceptionsWithIds } from "../../exceptions/stored-exceptions";
import type { NetworkState } from "../../network/state";
import type { Settings } from "../../policy/settings";
import { type SettingsFile, SettingsFileError } from "../../settings/settings-file";
import { readNetworkState } from "../reading/network-reading";
import {
  describePreferenceConflicts,
  preferenceConflicts,
  readPreferences,
  settingsFromPreferences,
} from "./preferences";
import { loadUserSettings } from "./user-settings";

export type LoadedSettings =
  | {
      ok: true;
      settings: Settings;
      /** What people should know about where the settings came from: preferences used over the settings file. */
      notes: string[];
    }
  | { ok: false; errors: string[]; source: "preferences" | "settings file" };

/**
 * The settings in force: Raycast's preferences, with the exceptions and confirmed addresses of the user's settings
 * file (shared with the CLI). Where the file sets a preference's field to another value, the preference is used,
 * and a note says so.
 */
export async function loadSettings(): Promise<LoadedSettings> {
  let file: SettingsFile;
  try {
    file = await loadUserSettings();
  } catch (error) {
    if (error instanceof SettingsFileError) return { ok: false, errors: [error.message], source: "settings file" };
    throw error;
  }
  const preferences = readPreferences();
  const result = settingsFromPreferences(
    preferences,
    exceptionsWithIds(file.settings),
    file.settings.confirmedAddresses,
  );
  if (!result.ok) return { ok: false, errors: result.errors, source: "preferences" };
  const conflicts = describePreferenceConflicts(preferenceConflicts(result.settings, file.raw, file.settings));
  return { ok: true, settings: result.settings, notes: conflicts ? [conflicts] : [] };
}

/** A toast naming each bad preference (or the settings file's problem) and its value, with a way to fix it. */
export async function showSettingsErrors(
  errors: string[],
  source: "preferences" | "settings file" = "preferences",
): Promise<void> {
  await showFailureToast(new Error(errors.join("\n")), {
    title: source === "preferences" ? "Check the Kill Switch Preferences" : "Check the Kill Switch Settings File",
    message: errors.join("\n"),
    ...(source === "preferences"
      ? { primaryAction: { title: "Open Preferences", onAction: () => void openExtensionPreferences() } }
      : {}),
  });
}

/**
 * What every command that acts on the kill switch needs first: valid settings, the network now, a toast on
 * failure. `notes` say which preference was used over the settings file's value, for the command's HUD.
 * `showErrors` shows settings Raycast cannot use (default: a toast with Open Preferences).
 */
export async function withSettingsAndNetwork(
  failureTitle: string,
  action: (settings: Settings, network: NetworkState, notes: string[]) => Promise<void>,
  showErrors: (errors: string[], source: "preferences" | "settings file") => Promise<void> = showSettingsErrors,
): Promise<void> {
  const loaded = await loadSettings();
  if (!loaded.ok) return showErrors(loaded.errors, loaded.source);
  try {
    await action(loaded.settings, await readNetworkState(), loaded.notes);
  } catch (error) {
    await showFailureToast(error, { title: failureTitle });
  }
}
