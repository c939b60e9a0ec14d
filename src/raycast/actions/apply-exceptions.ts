import { showHUD } from "@raycast/api";
import { captivePortalUntil, readKillSwitch } from "../reading/kill-switch-reading";
import { isOn } from "../models/kill-switch-state";
import { applyFromRaycast, reportChange } from "./privileged-actions";
import { withConfirmedNames } from "./name-confirmation";
import { withSettingsAndNetwork } from "../stores/settings-source";
import { OUTCOMES, appliesAtNextEnable, notApplied, rulesReloaded } from "../../words/messages";

/**
 * Reloads the rules after the stored exceptions changed (launched by the exception views and the menu bar), so
 * an added exception works and a removed one stops at once. `change` names what changed, for the HUD.
 */
export function applyExceptions(change: string | null, now: Date = new Date()): Promise<void> {
  const what = change ?? OUTCOMES.exceptionsChanged;
  return withSettingsAndNetwork(`${what}, Not Applied`, async (settings, network, notes) => {
    const status = await readKillSwitch(network);
    if (!isOn(status.state)) {
      await showHUD(appliesAtNextEnable(what));
      return;
    }
    // An open captive-portal window stays open for the rest of its time.
    const until = captivePortalUntil(status, now);
    const outcome = await withConfirmedNames(settings, (confirmedAddresses) =>
      applyFromRaycast(settings, network, { captivePortalUntil: until, confirmedAddresses }),
    );
    if (outcome === null || outcome.kind === "cancelled") {
      await showHUD(notApplied(what));
      return;
    }
    await reportChange(outcome.value, rulesReloaded(what), {
      extra: notes,
      network,
      settings,
      captivePortalUntil: until,
      now,
    });
  });
}
