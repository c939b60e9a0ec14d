import { Alert, LaunchType, confirmAlert, launchCommand } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { applyExceptions } from "./apply-exceptions";
import { withConfirmedNames } from "./name-confirmation";
import { allowCaptivePortal } from "./captive-portal";
import { FAILURES, OUTCOMES, describeEnabled } from "../../words/messages";
import { clearLogFromRaycast, enableFromRaycast, reportChange } from "./privileged-actions";
import { withSettingsAndNetwork } from "../stores/settings-source";
import { SERVER_PROTOCOL_COMMAND, type ServerProtocolContext, parseLaunchContext } from "./launch-context";
import { wouldBlockVpnForever } from "../reading/network-reading";
import { writeCaptivePortalUntil } from "../stores/snapshot-cache";
import { ServerTransportError } from "../../lifecycle/errors";
import { readRecordedState, rememberedServers } from "../../lifecycle/record";
import { parseServerAnswer } from "../../policy/policy";
import { systemCommands } from "../system";

/** The alert shown before enabling with nothing to let the VPN connect. */
export const NO_VPN_ALERT = {
  title: "No VPN Connected",
  message:
    "No VPN tunnel is up and no VPN server is set in the preferences, so the kill switch would block your VPN app " +
    "from connecting, too. Connect the VPN first, or add its server under VPN Servers in the preferences.",
  confirm: "Block All Traffic",
};

/** Turns the kill switch on: one password prompt, then a HUD saying what is in force. */
function enableKillSwitchNow(serverTransports: readonly string[] = []): Promise<void> {
  return withSettingsAndNetwork(FAILURES.enable, async (settings, network, notes) => {
    const remembered = rememberedServers(await readRecordedState(systemCommands()));
    // With startup protection Enable refuses this case itself, saying what to set: no question to ask first.
    if (!settings.protectFromStartup && wouldBlockVpnForever(network, settings.vpnServers, remembered)) {
      const proceed = await confirmAlert({
        title: NO_VPN_ALERT.title,
        message: NO_VPN_ALERT.message,
        primaryAction: { title: NO_VPN_ALERT.confirm, style: Alert.ActionStyle.Destructive },
        dismissAction: { title: "Cancel" },
      });
      if (!proceed) return;
    }
    const answers = serverTransports.flatMap((text) => parseServerAnswer(text) ?? []);
    let outcome;
    try {
      outcome = await withConfirmedNames(settings, (confirmed) =>
        enableFromRaycast(settings, network, answers, confirmed),
      );
    } catch (error) {
      // A server with nothing on the Mac saying how the VPN reaches it: ask, and that form runs Enable again.
      if (!(error instanceof ServerTransportError)) throw error;
      const context: ServerProtocolContext = { servers: [...error.servers], seen: { ...error.seen } };
      await launchCommand({ name: SERVER_PROTOCOL_COMMAND, type: LaunchType.UserInitiated, context });
      return;
    }
    if (outcome === null || outcome.kind === "cancelled") return;
    const change = outcome.value;
    // A fresh Enable closes any captive-portal window: its rules are built without one.
    writeCaptivePortalUntil(null);
    const hud = change.summary ? describeEnabled(change.summary) : "Kill Switch On";
    await reportChange(change, [hud, ...notes].join(" · "), { network, settings });
  });
}

/** Blocked Traffic's Clear Log: one prompt, then a HUD. */
function clearBlockedTrafficNow(): Promise<void> {
  return withSettingsAndNetwork(FAILURES.clearLog, async (settings, network) => {
    const outcome = await clearLogFromRaycast(settings.authentication, network);
    if (outcome.kind === "cancelled") return;
    await reportChange(outcome.value, OUTCOMES.logCleared, { network, settings });
  });
}

/**
 * Enable Kill Switch, and every privileged action started elsewhere (the menu bar, the exception views launch
 * it with a context), so that only this command and Disable carry the code that runs as root.
 */
export async function runEnableKillSwitch(launchContext?: unknown): Promise<void> {
  const parsed = parseLaunchContext(launchContext);
  if (!parsed.ok) {
    await showFailureToast(new Error(parsed.error), { title: "Could Not Start the Kill Switch Action" });
    return;
  }
  const context = parsed.context;
  switch (context.reason) {
    case "enable":
      return enableKillSwitchNow(context.serverTransports);
    case "apply":
      return applyExceptions(context.change ?? null);
    case "captive-portal":
      return allowCaptivePortal(context.captivePortalMinutes);
    case "clear-blocked-traffic":
      return clearBlockedTrafficNow();
  }
}
