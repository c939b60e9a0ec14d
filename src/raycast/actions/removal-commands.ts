import { Alert, confirmAlert } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { readNetworkOrNull } from "../reading/kill-switch-reading";
import { removeFromRaycast, reportChange } from "./privileged-actions";
import { readPreferences } from "../stores/preferences";
import { writeCaptivePortalUntil } from "../stores/snapshot-cache";
import { ACTION_TITLES } from "../../words/actions";
import { FAILURES, OUTCOMES, UNINSTALL_WARNING } from "../../words/messages";

const REMOVALS = {
  disable: { hud: OUTCOMES.disabled, failure: FAILURES.disable },
  uninstall: { hud: OUTCOMES.uninstalled, failure: FAILURES.uninstall },
} as const;

/** One password prompt, a HUD, the menu bar redrawn. Works even with broken preferences. */
async function remove(action: keyof typeof REMOVALS): Promise<void> {
  const authentication = readPreferences().authentication === "touchid" ? "touchid" : "password";
  try {
    const network = await readNetworkOrNull();
    const outcome = await removeFromRaycast(action, authentication, network);
    if (outcome.kind === "cancelled") return;
    writeCaptivePortalUntil(null);
    await reportChange(outcome.value, REMOVALS[action].hud, { network, settings: null });
  } catch (error) {
    await showFailureToast(error, { title: REMOVALS[action].failure });
  }
}

/** Disable Kill Switch: its rules and startup watchdog removed, traffic flows normally. */
export function runDisableKillSwitch(): Promise<void> {
  return remove("disable");
}

/** The alert shown before uninstalling. */
export const UNINSTALL_ALERT = {
  title: `${ACTION_TITLES.uninstall}?`,
  message: `${UNINSTALL_WARNING} Your preferences and exceptions stay in Raycast.`,
  confirm: "Uninstall",
};

/** Uninstall Kill Switch: after a confirmation, every trace removed with one password prompt. */
export async function runUninstallKillSwitch(): Promise<void> {
  const proceed = await confirmAlert({
    title: UNINSTALL_ALERT.title,
    message: UNINSTALL_ALERT.message,
    primaryAction: { title: UNINSTALL_ALERT.confirm, style: Alert.ActionStyle.Destructive },
    dismissAction: { title: "Cancel" },
  });
  if (proceed) await remove("uninstall");
}
