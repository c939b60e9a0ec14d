import { getPreferenceValues } from "@raycast/api";
import { SETTING_TITLES } from "../../words/settings";
import { type ExceptionSetting, type Settings, type SettingsResult, parseSettings } from "../../policy/settings";

/** The extension's preferences as Raycast stores them (see `preferences` in package.json). */
export interface ExtensionPreferences {
  vpnServers?: string;
  tunnelInterface?: string;
  trustedTunnels?: string;
  allowLan?: boolean;
  allowDiscovery?: boolean;
  allowAirDrop?: boolean;
  dnsResolvers?: string;
  authentication?: string;
  protectFromStartup?: boolean;
  /** Megabytes, as the dropdown's value text ("0" for none). */
  blockedTrafficLog?: string;
  /** Menu-bar command only: show the state as text next to the icon. */
  showStateInMenuBar?: boolean;
}

/** The titles people see in Raycast's preferences, so an error names the field they can find. */
export const PREFERENCE_TITLES: Record<string, string> = SETTING_TITLES;

/** "a, b,,c " -> ["a", "b", "c"]: text fields hold comma-separated lists (spaces stay, so typos are reported). */
export function splitList(text: string | undefined): string[] {
  return (text ?? "")
    .split(/[,;\n]+/)
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Rewrites `vpnServers[1]: ...` as `VPN Servers: ...` (the list index means nothing in a text field). */
function withPreferenceTitle(error: string): string {
  const match = error.match(/^([a-zA-Z]+)(\[\d+\])?(\.[^:]*)?: (.*)$/);
  if (!match || !(match[1] in PREFERENCE_TITLES)) return error;
  const title = PREFERENCE_TITLES[match[1]];
  return match[1] === "exceptions"
    ? `${title}${match[2] ?? ""}${match[3] ?? ""}: ${match[4]}`
    : `${title}: ${match[4]}`;
}

/**
 * Validates preferences plus the settings file's exceptions and confirmed addresses into settings; errors name the
 * preference and the bad value.
 */
export function settingsFromPreferences(
  preferences: ExtensionPreferences,
  exceptions: readonly ExceptionSetting[] = [],
  confirmedAddresses: Readonly<Record<string, readonly string[]>> = {},
): SettingsResult {
  const result = parseSettings({
    vpnServers: splitList(preferences.vpnServers),
    tunnelInterface: (preferences.tunnelInterface ?? "").trim(),
    trustedTunnels: splitList(preferences.trustedTunnels),
    allowLan: preferences.allowLan ?? false,
    allowDiscovery: preferences.allowDiscovery ?? true,
    allowAirDrop: preferences.allowAirDrop ?? true,
    dnsResolvers: splitList(preferences.dnsResolvers),
    exceptions: [...exceptions],
    confirmedAddresses,
    authentication: preferences.authentication || "password",
    protectFromStartup: preferences.protectFromStartup ?? true,
    blockedTrafficLog: Number(preferences.blockedTrafficLog ?? "10"),
  });
  return result.ok ? result : { ok: false, errors: result.errors.map(withPreferenceTitle) };
}

export function readPreferences(): ExtensionPreferences {
  return getPreferenceValues<ExtensionPreferences>();
}

/** A setting both Raycast's preferences and the settings file give, with different values: the preference is used. */
export interface PreferenceConflict {
  field: keyof Settings;
  /** As Raycast's preferences show it ("VPN Servers"). */
  title: string;
  /** The value used, and the file's, in words. */
  used: string;
  ignored: string;
}

/** "on", "none", "a, b": a setting's value as a short text. */
function describeValue(value: unknown): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(", ");
  const text = String(value);
  return text === "" ? "none" : text;
}

/**
 * The fields the settings file sets (`fileRaw`: its JSON as written) to another value than the preferences give
 * (`fromPreferences`): Raycast uses its preferences, which is what people see in Raycast, and says so.
 */
export function preferenceConflicts(
  fromPreferences: Settings,
  fileRaw: Record<string, unknown>,
  fileSettings: Settings,
): PreferenceConflict[] {
  const fields = Object.keys(PREFERENCE_TITLES).filter((field) => field !== "exceptions") as (keyof Settings)[];
  return fields.flatMap((field) => {
    if (!(field in fileRaw)) return [];
    const used = fromPreferences[field];
    const ignored = fileSettings[field];
    if (JSON.stringify(used) === JSON.stringify(ignored)) return [];
    return [{ field, title: PREFERENCE_TITLES[field], used: describeValue(used), ignored: describeValue(ignored) }];
  });
}

const cut = (text: string) => (text.length > 60 ? `${text.slice(0, 59)}…` : text);

/** "Raycast's preferences used: VPN Servers a (settings file: b)": one line for the HUD, null without conflict. */
export function describePreferenceConflicts(conflicts: readonly PreferenceConflict[]): string | null {
  if (conflicts.length === 0) return null;
  const parts = conflicts.map((c) => `${c.title} ${cut(c.used)} (settings file: ${cut(c.ignored)})`);
  return `Raycast's preferences used: ${parts.join("; ")}`;
}
