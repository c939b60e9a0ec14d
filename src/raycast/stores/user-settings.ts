/**
 * The user's settings file as the Raycast commands use it: its exceptions and confirmed addresses are the ones
 * the CLI and every other front-end show and change. Older versions kept both in Raycast's LocalStorage; they
 * move into the file the first time a command reads it, and leave LocalStorage, so the move happens once.
 */
import { homedir } from "node:os";
import { LocalStorage } from "@raycast/api";
import * as z from "zod/mini";
import { isIpAddress } from "../../address/ip";
import {
  exceptionsWithIds,
  mergeConfirmedAddresses,
  mergeExceptions,
  parseStoredExceptions,
} from "../../exceptions/stored-exceptions";
import { isHostName } from "../../policy/settings";
import {
  type SettingsFile,
  SettingsFileError,
  readSettingsFile,
  updateSettingsFile,
  userSettingsPath,
} from "../../settings/settings-file";

/** Where older versions kept the exceptions, and the names' confirmed addresses (LocalStorage keys). */
export const LEGACY_EXCEPTIONS_KEY = "exceptions";
export const LEGACY_CONFIRMED_ADDRESSES_KEY = "confirmed-addresses";

/** Entries of the older list no version can read: kept here, shown as unreadable, until the user deletes them. */
export const UNREADABLE_EXCEPTIONS_KEY = "unreadable-exceptions";

/** `~/Library/Application Support/<product id>/settings.json` for the user Raycast runs as. */
export function userSettingsFile(): string {
  return userSettingsPath(homedir());
}

const legacyConfirmationsSchema = z.record(
  z.string().check(z.refine((name) => isHostName(name) && !name.endsWith("."))),
  z.array(z.string().check(z.refine((address) => isIpAddress(address) && !address.includes("%")))),
);

/** The older version's confirmations; none when unreadable (that version ignored them then too). */
function parseLegacyConfirmations(text: string | undefined): Record<string, string[]> {
  if (text === undefined) return {};
  try {
    const parsed = legacyConfirmationsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/**
 * Moves what an older version kept in LocalStorage into the settings file: exceptions the file does not hold yet
 * are added, confirmations joined. Written to the file first, removed from LocalStorage after: a move cut short
 * is done again, and adds nothing twice. Entries nothing can read stay in LocalStorage, under their own key.
 */
export async function moveLegacyStorage(path: string): Promise<void> {
  const exceptionsText = await LocalStorage.getItem<string>(LEGACY_EXCEPTIONS_KEY);
  const confirmationsText = await LocalStorage.getItem<string>(LEGACY_CONFIRMED_ADDRESSES_KEY);
  if (exceptionsText === undefined && confirmationsText === undefined) return;
  const legacy = parseStoredExceptions(typeof exceptionsText === "string" ? exceptionsText : undefined);
  const confirmations = parseLegacyConfirmations(typeof confirmationsText === "string" ? confirmationsText : undefined);
  if (legacy.exceptions.length > 0 || Object.keys(confirmations).length > 0) {
    try {
      await updateSettingsFile(path, (current) => ({
        ...current.raw,
        exceptions: mergeExceptions(exceptionsWithIds(current.settings), legacy.exceptions),
        confirmedAddresses: mergeConfirmedAddresses(current.settings.confirmedAddresses, confirmations),
      }));
    } catch (error) {
      if (!(error instanceof SettingsFileError)) throw error;
      const message = `The exceptions an earlier version kept in Raycast could not move into the settings file, so they stay in Raycast until it can be changed: ${error.message}`;
      throw new SettingsFileError(message, error.path, error.field, error.value);
    }
  }
  const unreadable = legacy.rejected.some((entry) => entry.index === null)
    ? String(exceptionsText)
    : JSON.stringify(legacy.rejected.map((entry) => entry.raw));
  if (legacy.rejected.length > 0) await LocalStorage.setItem(UNREADABLE_EXCEPTIONS_KEY, unreadable);
  await LocalStorage.removeItem(LEGACY_EXCEPTIONS_KEY);
  await LocalStorage.removeItem(LEGACY_CONFIRMED_ADDRESSES_KEY);
}

/** The settings file after moving an older version's LocalStorage into it. Throws SettingsFileError. */
export async function loadUserSettings(): Promise<SettingsFile> {
  const path = userSettingsFile();
  await moveLegacyStorage(path);
  return readSettingsFile(path);
}

/** Changes the user's settings file (after the move), as `change` says. Throws SettingsFileError. */
export async function changeUserSettings(
  change: (current: SettingsFile) => Record<string, unknown>,
): Promise<SettingsFile> {
  const path = userSettingsFile();
  await moveLegacyStorage(path);
  return updateSettingsFile(path, change);
}
