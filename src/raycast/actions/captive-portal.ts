import { showHUD } from "@raycast/api";
import { readKillSwitch } from "../reading/kill-switch-reading";
import { isOn } from "../models/kill-switch-state";
import { applyFromRaycast, reportChange } from "./privileged-actions";
import { withConfirmedNames } from "./name-confirmation";
import { withSettingsAndNetwork } from "../stores/settings-source";
import type { CaptivePortalMinutes } from "./launch-context";
import { writeCaptivePortalUntil } from "../stores/snapshot-cache";
import { FAILURES, OUTCOMES, portalOpened } from "../../words/messages";

/**
 * Opens DNS and web ports outside the tunnel for `minutes` so a hotel or airport sign-in page can load
 * (launched from the menu bar). The rules carry the window's end.
 */
export function allowCaptivePortal(minutes: CaptivePortalMinutes, now: Date = new Date()): Promise<void> {
  return withSettingsAndNetwork(FAILURES.portal, async (settings, network) => {
    const status = await readKillSwitch(network);
    if (!isOn(status.state)) {
      await showHUD(OUTCOMES.portalWhileOff);
      return;
    }
    const until = new Date(now.getTime() + minutes * 60_000);
    // Keep connections: the VPN and whatever else is allowed carry on while the window is open.
    const outcome = await withConfirmedNames(settings, (confirmedAddresses) =>
      applyFromRaycast(settings, network, { captivePortalUntil: until, keepConnections: true, confirmedAddresses }),
    );
    if (outcome === null || outcome.kind === "cancelled") return;
    writeCaptivePortalUntil(until);
    await reportChange(outcome.value, portalOpened(minutes), {
      network,
      settings,
      captivePortalUntil: until,
      now,
    });
  });
}
