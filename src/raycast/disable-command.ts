import { showHUD } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { disableFromRaycast, readNetworkOrNull, snapshotFromStatus } from "./kill-switch";
import { refreshMenuBar } from "./menu-bar-refresh";
import { readPreferences } from "./preferences";
import { writeCachedSnapshot, writeCaptivePortalUntil } from "./status";

/** Disable Kill Switch: one password prompt, a HUD, the menu bar redrawn. Works even with broken preferences. */
export async function runDisableKillSwitch(): Promise<void> {
  const authentication = readPreferences().authentication === "touchid" ? "touchid" : "password";
  try {
    const network = await readNetworkOrNull();
    const outcome = await disableFromRaycast(authentication, network);
    if (outcome.kind === "cancelled") return;
    writeCaptivePortalUntil(null);
    writeCachedSnapshot(snapshotFromStatus(outcome.value.status, network, null, { now: new Date() }));
    await showHUD("Kill Switch Off · traffic flows normally");
    await refreshMenuBar();
  } catch (error) {
    await showFailureToast(error, { title: "Could Not Disable the Kill Switch" });
  }
}
