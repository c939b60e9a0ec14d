/** The user's settings file as the Raycast tests see it: under the HOME each test gets (resetRaycast). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { StoredException } from "../../src/exceptions/stored-exceptions";
import { userSettingsPath } from "../../src/settings/settings-file";

export function userSettingsFilePath(): string {
  const home = process.env.HOME;
  if (!home) throw new Error("HOME is not set (test/setup-file.ts sets it)");
  return userSettingsPath(home);
}

/** Writes the settings file as a front-end (or the user) would have. */
export function writeUserSettings(settings: Record<string, unknown>): void {
  const path = userSettingsFilePath();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(settings, null, 2));
}

/** What the settings file holds: its JSON, {} when there is none. */
export function readUserSettings(): Record<string, unknown> {
  const path = userSettingsFilePath();
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {};
}

/** The exceptions the settings file holds (none when there is no file). */
export function storedExceptions(): StoredException[] {
  return (readUserSettings().exceptions as StoredException[] | undefined) ?? [];
}

export function storeExceptions(exceptions: readonly unknown[]): void {
  writeUserSettings({ ...readUserSettings(), exceptions });
}
