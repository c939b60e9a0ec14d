/**
 * Each setting by one name in every front-end: Raycast's preferences (package.json titles), the messages of the
 * lifecycle and the CLI, which add the settings file's key so both kinds of user find it ("VPN Servers (vpnServers)").
 * test/words checks package.json and the messages against these.
 */
import type { Settings } from "../policy/settings";

export type SettingKey = Exclude<keyof Settings, "confirmedAddresses">;

/** The settings' titles, as Raycast's preferences show them; a Record, so a new setting must be named here. */
export const SETTING_TITLES: Record<SettingKey, string> = {
  vpnServers: "VPN Servers",
  tunnelInterface: "Tunnel Interface",
  trustedTunnels: "Trusted Tunnels",
  allowLan: "Local Network",
  allowDiscovery: "Discovery",
  allowAirDrop: "AirDrop",
  dnsResolvers: "DNS Resolvers",
  authentication: "Authentication",
  protectFromStartup: "Startup Protection",
  blockedTrafficLog: "Blocked Traffic Log",
  exceptions: "Exceptions",
};

/** The menu-bar command's own preference. */
export const MENU_BAR_SETTING_TITLE = "Menu Bar";

/** A setting named in a message both front-ends show: "VPN Servers (vpnServers)". */
export function namedSetting(key: SettingKey): string {
  return `${SETTING_TITLES[key]} (${key})`;
}
