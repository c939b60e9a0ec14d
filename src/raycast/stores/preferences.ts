import { getPreferenceValues } from "@raycast/api";
import { type ExceptionSetting, type SettingsResult, parseSettings } from "../../policy/settings";

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
export const PREFERENCE_TITLES: Record<string, string> = {
  vpnServers: "VPN Servers",
  tunnelInterface: "Tunnel Interface",
  trustedTunnels: "Trusted Tunnels",
  allowLan: "Allow Local Network",
  allowDiscovery: "Allow Bonjour Discovery",
  allowAirDrop: "Allow AirDrop",
  dnsResolvers: "DNS Resolvers",
  authentication: "Authentication",
  protectFromStartup: "Protect From Startup",
  blockedTrafficLog: "Blocked Traffic Log",
  exceptions: "Exceptions",
};

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

/** Validates preferences plus stored exceptions into settings; errors name the preference and the bad value. */
export function settingsFromPreferences(
  preferences: ExtensionPreferences,
  exceptions: readonly ExceptionSetting[] = [],
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
    authentication: preferences.authentication || "password",
    protectFromStartup: preferences.protectFromStartup ?? true,
    blockedTrafficLog: Number(preferences.blockedTrafficLog ?? "10"),
  });
  return result.ok ? result : { ok: false, errors: result.errors.map(withPreferenceTitle) };
}

export function readPreferences(): ExtensionPreferences {
  return getPreferenceValues<ExtensionPreferences>();
}
