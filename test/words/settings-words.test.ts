/**
 * One name per setting: Raycast's preferences (package.json) carry the titles of src/words/settings.ts, every
 * message that names a setting with its key names it by that title ("VPN Servers (vpnServers)"), and the store
 * listing speaks of protection, not of pf.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { MENU_BAR_SETTING_TITLE, SETTING_TITLES, type SettingKey } from "../../src/words/settings";

const ROOT = resolve(__dirname, "../..");
const MANIFEST = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  description: string;
  commands: { name: string; description: string; preferences?: { name: string; title: string }[] }[];
  preferences: { name: string; title: string; description: string }[];
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe("the settings' names", () => {
  it("titles each Raycast preference as the words do", () => {
    expect(Object.fromEntries(MANIFEST.preferences.map((preference) => [preference.name, preference.title]))).toEqual(
      Object.fromEntries(Object.entries(SETTING_TITLES).filter(([key]) => key !== "exceptions")),
    );
    const menuBar = MANIFEST.commands.flatMap((command) => command.preferences ?? []);
    expect(menuBar.map((preference) => preference.title)).toEqual([MENU_BAR_SETTING_TITLE]);
  });

  it("names a setting beside its key only by its title, in every source file", () => {
    const keys = Object.keys(SETTING_TITLES).join("|");
    const named = new RegExp(`([A-Za-z][A-Za-z ]{0,40}) \\((${keys})\\)`, "g");
    const wrong: string[] = [];
    for (const file of sourceFiles(join(ROOT, "src"))) {
      const text = readFileSync(file, "utf8");
      for (const [, before, key] of text.matchAll(named)) {
        if (!before.endsWith(SETTING_TITLES[key as SettingKey])) wrong.push(`${file}: ${before} (${key})`);
      }
      if (text.includes("(Raycast: ")) wrong.push(`${file}: "(Raycast: …)" instead of namedSetting`);
    }
    expect(wrong).toEqual([]);
  });

  it("speaks of protection in the store listing, not of pf", () => {
    const descriptions = [MANIFEST.description, ...MANIFEST.commands.map((command) => command.description)];
    expect(descriptions.filter((text) => /\bpf\b/.test(text))).toEqual([]);
  });
});
