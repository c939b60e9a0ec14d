import { LaunchType, launchCommand } from "@raycast/api";
import { COMMANDS } from "../commands";

/** The menu-bar command's name in package.json. */
export const STATUS_COMMAND = COMMANDS.status;

/** Redraws the menu bar after a change; quiet when the user never activated it (launchCommand then throws). */
export async function refreshMenuBar(): Promise<void> {
  try {
    await launchCommand({ name: STATUS_COMMAND, type: LaunchType.Background });
  } catch {
    // Nothing to refresh: the menu-bar command is not enabled.
  }
}
