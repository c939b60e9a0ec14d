import { showHUD } from "@raycast/api";
import { captivePortalUntil, readKillSwitch } from "../reading/kill-switch-reading";
import { isOn } from "../models/kill-switch-state";
import { captivePortalUseful } from "../../policy/captive-portal";
import { applyFromRaycast, reportChange } from "./privileged-actions";
import { withConfirmedNames } from "./name-confirmation";
import { withSettingsAndNetwork } from "../stores/settings-source";
import type { CaptivePortalMinutes } from "./launch-context";
import { writeCaptivePortalUntil } from "../stores/snapshot-cache";
import { FAILURES, OUTCOMES, PORTAL_CLOSED, portalOpened } from "../../words/messages";

/**
 * Opens DNS and web ports outside the tunnel for `minutes` so a hotel or airport sign-in page can load
 * (launched from the menu bar), only while the kill switch blocks for want of the VPN. The rules carry the
 * window's end.
 */
export function allowCaptivePortal(minutes: CaptivePortalMinutes, now: Date = new Date()): Promise<void> {
  return withSettingsAndNetwork(FAILURES.portal, async (settings, network) => {
    const status = await readKillSwitch(network);
    if (!isOn(status.state)) {
      await showHUD(OUTCOMES.portalWhileOff);
      return;
    }
    // Only while blocking: once the VPN is up, a sign-in page has nothing left to unlock, and the window a leak.
    if (!captivePortalUseful(status.state, network.tunnels.length > 0 || network.vpnInterface !== null)) {
      await showHUD(OUTCOMES.portalWhileConnected);
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

/** Closes an open captive-portal window before its time: the rules reloaded without it, its connections cut. */
export function closeCaptivePortal(now: Date = new Date()): Promise<void> {
  return withSettingsAndNetwork(FAILURES.closePortal, async (settings, network) => {
    const status = await readKillSwitch(network);
    if (!isOn(status.state) || captivePortalUntil(status, now) === null) {
      await showHUD(OUTCOMES.portalNotOpen);
      return;
    }
    const outcome = await withConfirmedNames(settings, (confirmedAddresses) =>
      applyFromRaycast(settings, network, { captivePortalUntil: null, confirmedAddresses }),
    );
    if (outcome === null || outcome.kind === "cancelled") return;
    writeCaptivePortalUntil(null);
    await reportChange(outcome.value, PORTAL_CLOSED, { network, settings, captivePortalUntil: null, now });
  });
}
