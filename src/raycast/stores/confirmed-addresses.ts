import { fieldsNaming } from "../../policy/name-trust";
import type { Settings } from "../../policy/settings";
import { SettingsFileError } from "../../settings/settings-file";
import { changeUserSettings, loadUserSettings } from "./user-settings";

/**
 * The addresses the user confirmed for host names resolved outside the VPN, kept across Disable and Enable in
 * the settings file (`confirmedAddresses`), where the CLI finds them too. None when the file is unreadable (then
 * the user is asked again, never passed unasked).
 */
export async function loadConfirmedAddresses(): Promise<Record<string, string[]>> {
  try {
    return (await loadUserSettings()).settings.confirmedAddresses;
  } catch (error) {
    if (error instanceof SettingsFileError) return {};
    throw error;
  }
}

/** The stored confirmations for the names the settings use now (a removed exception's are left out). */
export function confirmationsFor(settings: Settings, stored: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(stored).filter(([host]) => fieldsNaming(settings, host).length > 0));
}

/** Keeps `answers`: a name's new addresses replace what it had. */
export async function saveConfirmedAddresses(answers: Record<string, readonly string[]>): Promise<void> {
  await changeUserSettings((current) => {
    const next = { ...current.settings.confirmedAddresses };
    for (const [host, addresses] of Object.entries(answers)) next[host] = [...addresses];
    return { ...current.raw, confirmedAddresses: next };
  });
}
