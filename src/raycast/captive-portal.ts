import { showHUD } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { applyFromRaycast, isOn, readKillSwitch, snapshotFromStatus } from "./kill-switch";
import { refreshMenuBar } from "./menu-bar-refresh";
import { readNetworkState } from "./network";
import { loadSettings, showSettingsErrors } from "./settings-source";
import { writeCachedSnapshot, writeCaptivePortalUntil } from "./status";

/** The windows offered in the menu bar, in minutes. */
export const CAPTIVE_PORTAL_MINUTES = [2, 5] as const;

/**
 * Opens DNS and web ports outside the tunnel for `minutes` so a hotel or airport sign-in page can load.
 * The rules carry the window's end; closing it on time is the root side's job (it must not depend on Raycast).
 */
export async function allowCaptivePortal(minutes: number, now: Date = new Date()): Promise<void> {
  const loaded = await loadSettings();
  if (!loaded.ok) return showSettingsErrors(loaded.errors);
  try {
    const network = await readNetworkState();
    const status = await readKillSwitch(network);
    if (!isOn(status.state)) {
      await showHUD("Kill Switch Off · nothing blocks the sign-in page");
      return;
    }
    const until = new Date(now.getTime() + minutes * 60_000);
    // Keep connections: the VPN and whatever else is allowed carry on while the window is open.
    const outcome = await applyFromRaycast(loaded.settings, network, {
      captivePortalUntil: until,
      keepConnections: true,
    });
    if (outcome.kind === "cancelled") return;
    writeCaptivePortalUntil(until);
    writeCachedSnapshot(
      snapshotFromStatus(outcome.value.status, network, loaded.settings, {
        now,
        summary: outcome.value.summary,
        captivePortalUntil: until,
      }),
    );
    await showHUD(`Captive Portal Allowed for ${minutes} Minutes · DNS and web open outside the VPN`);
    await refreshMenuBar();
  } catch (error) {
    await showFailureToast(error, { title: "Could Not Open the Captive Portal Window" });
  }
}
