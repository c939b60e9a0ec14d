/**
 * What people can do, by one title in every front-end: Raycast's commands (package.json) and menu items, Alfred's
 * items, and what the CLI's notifications and messages call them. test/words checks each front-end against these.
 */
import type { CaptivePortalMinutes } from "../policy/captive-portal";

export const ACTION_TITLES = {
  enable: "Enable Kill Switch",
  disable: "Disable Kill Switch",
  status: "Kill Switch Status",
  addException: "Add Exception",
  manageExceptions: "Manage Exceptions",
  blockedTraffic: "Blocked Traffic",
  verify: "Verify Kill Switch Rules",
  test: "Test Kill Switch",
  uninstall: "Uninstall Kill Switch",
  setServerProtocol: "Set VPN Server Protocol",
  editException: "Edit Exception",
  saveException: "Save Exception",
  enableException: "Enable Exception",
  disableException: "Disable Exception",
  deleteException: "Delete Exception",
  allowAsException: "Allow as Exception",
  clearLog: "Clear Log",
  copyFlow: "Copy Flow",
  testAgain: "Test Again",
  openPreferences: "Open Preferences",
  allowOutsideVpn: "Allow Outside the VPN",
  closeCaptivePortal: "Close Captive Portal Now",
} as const;

export type ActionName = keyof typeof ACTION_TITLES;

/** "Allow Captive Portal for 2 Minutes". */
export function captivePortalTitle(minutes: CaptivePortalMinutes): string {
  return `Allow Captive Portal for ${minutes} Minutes`;
}

/** An action that asks or shows more before it acts (a form, a list, a confirmation), as macOS menus write it. */
export function asksMore(title: string): string {
  return `${title}…`;
}
