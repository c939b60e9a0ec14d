/**
 * The extension's commands by name, as package.json declares them: the one place the code names a command
 * (launchCommand, menu items). test/raycast/manifest.test.ts checks them against package.json.
 */
export const COMMANDS = {
  enable: "enable-kill-switch",
  setServerProtocol: "set-vpn-server-protocol",
  disable: "disable-kill-switch",
  status: "kill-switch-status",
  addException: "add-exception",
  manageExceptions: "manage-exceptions",
  blockedTraffic: "blocked-traffic",
  verify: "verify-kill-switch-rules",
  test: "test-kill-switch",
  uninstall: "uninstall-kill-switch",
} as const;

export type CommandName = (typeof COMMANDS)[keyof typeof COMMANDS];
