/**
 * The user's one set of settings, shared by every front-end (the Raycast commands, the CLI, any other): a JSON
 * file of the same schema as `killswitch --config`, in the user's Library. Readers see a whole file, old or new
 * (it is replaced by rename); writers take turns under a lock and change only what they mean to, on what the
 * file holds at that moment, so two front-ends writing at once both keep their change.
 */
import { randomUUID } from "node:crypto";
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { TEXT_FILE_LIMITS, TextFileError, readTextFileSync } from "../files/text-file";
import { PRODUCT_ID } from "../privileged/paths";
import { DEFAULT_SETTINGS, type Settings, parseSettings } from "../policy/settings";
import { type LockOptions, LockBusyError, withFileLock } from "./file-lock";

/** Where the settings live under the user's home: `~/Library/Application Support/<product id>/settings.json`. */
export function userSettingsPath(home: string): string {
  return join(home, "Library", "Application Support", PRODUCT_ID, "settings.json");
}

/** The file cannot be read, is not JSON, or holds invalid settings; or a change would make them invalid. */
export class SettingsFileError extends Error {
  constructor(
    message: string,
    readonly path: string,
    /** The setting at fault and its value, when one is. */
    readonly field: string | null = null,
    readonly value: string | null = null,
  ) {
    super(message);
    this.name = "SettingsFileError";
  }
}

export interface SettingsFile {
  path: string;
  /** False when there is no file yet: the settings are the defaults. */
  exists: boolean;
  /** The JSON as written, only the fields it sets: a field it leaves out is no disagreement with a front-end. */
  raw: Record<string, unknown>;
  settings: Settings;
}

/** The text's settings, or the error naming the file, the field and the value. */
function parseFileText(path: string, text: string): SettingsFile {
  let data: unknown;
  try {
    // A byte-order mark (some editors write one) is not part of the JSON.
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new SettingsFileError(`settings file ${path} is not valid JSON: ${(error as Error).message}`, path);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new SettingsFileError(`settings file ${path} does not hold a JSON object of settings`, path);
  }
  const raw = data as Record<string, unknown>;
  const parsed = parseSettings(raw);
  if (!parsed.ok) {
    const first = parsed.problems?.[0];
    throw new SettingsFileError(
      `settings file ${path} holds invalid settings:\n  ${parsed.errors.join("\n  ")}`,
      path,
      first?.field ?? null,
      first?.value ?? null,
    );
  }
  return { path, exists: true, raw, settings: parsed.settings };
}

/** Reads and validates the file; none there means the defaults. Throws SettingsFileError naming the file. */
export async function readSettingsFile(path: string): Promise<SettingsFile> {
  if (isMissing(path)) return { path, exists: false, raw: {}, settings: structuredClone(DEFAULT_SETTINGS) };
  let text: string;
  try {
    text = readTextFileSync(path, "settings file", TEXT_FILE_LIMITS.config);
  } catch (error) {
    if (error instanceof TextFileError) throw new SettingsFileError(error.message, path);
    throw error;
  }
  return parseFileText(path, text);
}

/** True when nothing is at `path` (a dangling link is something: reading it says what is wrong). */
function isMissing(path: string): boolean {
  try {
    lstatSync(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT";
  }
}

/** Writes `text` to `path` whole or not at all: a new file beside it, flushed, then renamed over it. */
function writeAtomically(path: string, text: string): void {
  const draft = `${path}.${randomUUID()}.tmp`;
  try {
    const descriptor = openSync(draft, "wx", 0o600);
    try {
      writeFileSync(descriptor, text);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(draft, path);
  } catch (error) {
    rmSync(draft, { force: true });
    throw error;
  }
}

/** What the user should read when the file is busy: who holds it, and what to do. */
function describeBusy(path: string, error: LockBusyError): string {
  const who = error.holderPid === null ? "holds no process id" : `is held by process ${error.holderPid}`;
  return `settings file ${path} is being changed by another command (its lock ${error.lockPath} ${who}), so nothing was changed. Try again; if no kill switch command is running, delete ${error.lockPath}.`;
}

/**
 * Changes the settings file: `change` gets what it holds now (under the lock) and returns the JSON to write,
 * which must be valid settings. A file that cannot be read or holds invalid settings is left as it is, and so is
 * one a change would make invalid: each throws SettingsFileError naming the file (and the field and value).
 */
export async function updateSettingsFile(
  path: string,
  change: (current: SettingsFile) => Record<string, unknown>,
  options: LockOptions = {},
): Promise<SettingsFile> {
  const folder = dirname(path);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new SettingsFileError(`cannot create the folder of settings file ${path} (${code})`, path);
  }
  try {
    return await withFileLock(
      `${path}.lock`,
      async () => {
        const current = await readSettingsFile(path).catch((error: unknown) => {
          if (!(error instanceof SettingsFileError)) throw error;
          throw new SettingsFileError(`${error.message}\n(nothing was changed)`, path, error.field, error.value);
        });
        const raw = change(current);
        const parsed = parseSettings(raw);
        if (!parsed.ok) {
          const first = parsed.problems?.[0];
          throw new SettingsFileError(
            `${parsed.errors.join("\n")}\n(nothing was changed in settings file ${path})`,
            path,
            first?.field ?? null,
            first?.value ?? null,
          );
        }
        try {
          writeAtomically(path, `${JSON.stringify(raw, null, 2)}\n`);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? String(error);
          throw new SettingsFileError(`cannot write settings file ${path} (${code}); nothing was changed`, path);
        }
        return { path, exists: true, raw, settings: parsed.settings };
      },
      options,
    );
  } catch (error) {
    if (error instanceof LockBusyError) throw new SettingsFileError(describeBusy(path, error), path);
    if (error instanceof SettingsFileError || !(error as NodeJS.ErrnoException).code) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new SettingsFileError(`cannot change settings file ${path} (${code}); nothing was changed`, path);
  }
}
