import { Alert, confirmAlert, showHUD } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { describeEnabled } from "./hud-text";
import { enableFromRaycast, snapshotFromStatus } from "./kill-switch";
import { refreshMenuBar } from "./menu-bar-refresh";
import { readNetworkState, wouldBlockVpnForever } from "./network";
import { loadSettings, showSettingsErrors } from "./settings-source";
import { writeCachedSnapshot, writeCaptivePortalUntil } from "./status";

/** The alert shown before enabling with nothing to let the VPN connect. */
export const NO_VPN_ALERT = {
  title: "No VPN Connected",
  message:
    "No VPN tunnel is up and no VPN server is set in the preferences, so the kill switch would block your VPN app " +
    "from connecting, too. Connect the VPN first, or add its server under VPN Servers in the preferences.",
  confirm: "Block All Traffic",
};

/** Enable Kill Switch: one password prompt, then a HUD saying what is in force. */
export async function runEnableKillSwitch(): Promise<void> {
  const loaded = await loadSettings();
  if (!loaded.ok) return showSettingsErrors(loaded.errors);
  try {
    const network = await readNetworkState();
    if (wouldBlockVpnForever(network, loaded.settings.vpnServers)) {
      const proceed = await confirmAlert({
        title: NO_VPN_ALERT.title,
        message: NO_VPN_ALERT.message,
        primaryAction: { title: NO_VPN_ALERT.confirm, style: Alert.ActionStyle.Destructive },
        dismissAction: { title: "Cancel" },
      });
      if (!proceed) return;
    }
    const outcome = await enableFromRaycast(loaded.settings, network);
    if (outcome.kind === "cancelled") return;
    const change = outcome.value;
    // A fresh Enable closes any captive-portal window: its rules are built without one.
    writeCaptivePortalUntil(null);
    writeCachedSnapshot(
      snapshotFromStatus(change.status, network, loaded.settings, { now: new Date(), summary: change.summary }),
    );
    await showHUD(change.summary ? describeEnabled(change.summary) : "Kill Switch On");
    await refreshMenuBar();
  } catch (error) {
    await showFailureToast(error, { title: "Could Not Enable the Kill Switch" });
  }
}
