import { randomUUID } from "node:crypto";
import { Cache, LocalStorage } from "@raycast/api";
import {
  type ExceptionList as StoredList,
  type StoredException,
  exceptionsWithIds,
  parseStoredExceptions,
  serializeExceptions,
  withException,
  withExceptionEnabled,
  withoutException,
} from "../../exceptions/stored-exceptions";
import { SettingsFileError } from "../../settings/settings-file";
import { UNREADABLE_EXCEPTIONS_KEY, changeUserSettings, loadUserSettings } from "./user-settings";

export type { StoredException };

/**
 * The exceptions every command shows, from the user's settings file (shared with the CLI and other front-ends),
 * with the entries an older version kept that nothing can read. `fileError`: the settings file cannot be read,
 * so none of its exceptions is shown or applied, and nothing is written to it.
 */
export interface ExceptionList extends StoredList {
  fileError?: string;
}

/** A synchronous copy of the list, so the menu bar can draw at once; the settings file stays the source of truth. */
const mirror = new Cache({ namespace: "kill-switch" });
const MIRROR_KEY = "exceptions";

export function readCachedExceptions(): ExceptionList {
  return parseStoredExceptions(mirror.get(MIRROR_KEY));
}

async function readUnreadableEntries(): Promise<StoredList["rejected"]> {
  const text = await LocalStorage.getItem<string>(UNREADABLE_EXCEPTIONS_KEY);
  return parseStoredExceptions(typeof text === "string" ? text : undefined).rejected;
}

function listOf(exceptions: StoredException[], rejected: StoredList["rejected"]): ExceptionList {
  const list = { exceptions, rejected };
  mirror.set(MIRROR_KEY, serializeExceptions(list));
  return list;
}

/** The list now; a settings file that cannot be read gives none, with `fileError` saying why. */
export async function loadExceptions(): Promise<ExceptionList> {
  try {
    // First: it moves an older version's entries, the unreadable ones to their own key.
    const file = await loadUserSettings();
    return listOf(exceptionsWithIds(file.settings), await readUnreadableEntries());
  } catch (error) {
    if (!(error instanceof SettingsFileError)) throw error;
    return { exceptions: [], rejected: await readUnreadableEntries(), fileError: error.message };
  }
}

/** Changes the list as the settings file holds it at the moment it is written; returns the new list. */
async function changeExceptions(change: (exceptions: StoredException[]) => StoredException[]): Promise<ExceptionList> {
  const written = await changeUserSettings((current) => ({
    ...current.raw,
    exceptions: change(exceptionsWithIds(current.settings)),
  }));
  return listOf(exceptionsWithIds(written.settings), await readUnreadableEntries());
}

export function newExceptionId(): string {
  return randomUUID();
}

/** Adds, or replaces the exception with the same id. */
export function saveException(exception: StoredException): Promise<ExceptionList> {
  return changeExceptions((list) => withException(list, exception));
}

export function removeException(id: string): Promise<ExceptionList> {
  return changeExceptions((list) => withoutException(list, id));
}

export function setExceptionEnabled(id: string, enabled: boolean): Promise<ExceptionList> {
  return changeExceptions((list) => withExceptionEnabled(list, id, enabled));
}

/** Drops the entries nothing could read (the user chose to after reading the reasons). */
export async function removeRejectedExceptions(): Promise<ExceptionList> {
  await LocalStorage.removeItem(UNREADABLE_EXCEPTIONS_KEY);
  return loadExceptions();
}
