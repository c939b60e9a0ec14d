import { Alert, LaunchType, LocalStorage, Toast, launchCommand, showToast } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { applyExceptions } from "./apply-exceptions";
import { withConfirmedNames } from "./name-confirmation";
import { allowCaptivePortal, closeCaptivePortal } from "./captive-portal";
import { FAILURES, OUTCOMES, describeEnabled } from "../../words/messages";
import { clearLogFromRaycast, enableFromRaycast, reportChange } from "./privileged-actions";
import { showSettingsErrors, withSettingsAndNetwork } from "../stores/settings-source";
import { SERVER_PROTOCOL_COMMAND, type ServerProtocolContext, parseLaunchContext } from "./launch-context";
import { wouldBlockVpnForever } from "../reading/network-reading";
import { writeCaptivePortalUntil } from "../stores/snapshot-cache";
import { KillSwitchError, ServerTransportError } from "../../lifecycle/errors";
import type { KillSwitchChange } from "../../lifecycle";
import type { NetworkState } from "../../network/state";
import type { Settings } from "../../policy/settings";
import { changeReport } from "../../words/change-report";
import {
  CONNECT_VPN_FIRST,
  FIRST_ENABLE_TITLE,
  NO_VPN_CONNECTED,
  PASSWORD_REASON,
  VPN_SERVER_NOT_FOUND,
  aboutToEnable,
  firstEnableMessage,
  hostNameNotResolved,
  preferencesToFix,
} from "../../words/enable";
import { askEnableQuestion } from "./enable-questions";
import { showNotesAlert } from "./show-report";
import { readRecordedState, rememberedServers } from "../../lifecycle/record";
import { parseServerAnswer } from "../../policy/policy";
import { systemCommands } from "../system";

/** Remembers that the first Enable's message was shown: it is said once. */
const FIRST_ENABLE_KEY = "first-enable-shown";

/** Enable's refusal for want of a server to keep reachable, as a question; true to enable without startup protection. */
async function askAboutNoServer(network: NetworkState): Promise<boolean> {
  const connected = network.tunnels.length > 0 || network.vpnInterface !== null;
  if (!connected) {
    await askEnableQuestion(CONNECT_VPN_FIRST);
    return false;
  }
  return askEnableQuestion(VPN_SERVER_NOT_FOUND);
}

/** Settings Raycast cannot use, for Enable: an alert, since from the menu bar a toast shows its title only. */
async function askToFixSettings(errors: string[], source: "preferences" | "settings file"): Promise<void> {
  if (source === "settings file") return showSettingsErrors(errors, source);
  await askEnableQuestion(preferencesToFix(errors));
}

/** The line before the password prompt: a toast whose title says what is about to change. */
function sayWhatChanges(settings: Settings): Promise<Toast> {
  return showToast({
    style: Toast.Style.Animated,
    title: aboutToEnable(settings.protectFromStartup),
    message: PASSWORD_REASON,
  });
}

/** Whether this is the first Enable on this Mac's Raycast, marking it done: its message is said once. */
async function firstEnable(change: KillSwitchChange): Promise<boolean> {
  if (change.action !== "enable" || (await LocalStorage.getItem(FIRST_ENABLE_KEY)) !== undefined) return false;
  await LocalStorage.setItem(FIRST_ENABLE_KEY, true);
  return true;
}

/** The first Enable's message: what is in force, that it survives a restart, how to turn it off, and any note. */
async function showFirstEnable(change: KillSwitchChange, done: string, extra: readonly string[]): Promise<void> {
  const startup = change.report.watchdog === "installed" || change.report.watchdog === "kept";
  const report = changeReport(change, done, extra);
  await showNotesAlert(FIRST_ENABLE_TITLE, [...firstEnableMessage(change.summary, startup), ...report.lines], "enable");
}

/**
 * Turns the kill switch on: one password prompt, then a HUD saying what is in force, or an alert with the notes.
 * `withoutStartup`: this once, with Startup Protection off (the user chose it when no server was found).
 */
function enableKillSwitchNow(serverTransports: readonly string[] = [], withoutStartup = false): Promise<void> {
  return withSettingsAndNetwork(
    FAILURES.enable,
    async (preferred, network, notes) => {
      const settings = withoutStartup ? { ...preferred, protectFromStartup: false } : preferred;
      const remembered = rememberedServers(await readRecordedState(systemCommands()));
      // With startup protection Enable refuses this case itself: no question to ask first.
      if (!settings.protectFromStartup && wouldBlockVpnForever(network, settings.vpnServers, remembered)) {
        if (!(await askEnableQuestion(NO_VPN_CONNECTED, Alert.ActionStyle.Destructive))) return;
      }
      const answers = serverTransports.flatMap((text) => parseServerAnswer(text) ?? []);
      let outcome;
      const aboutToChange = await sayWhatChanges(settings);
      try {
        outcome = await withConfirmedNames(settings, (confirmed) =>
          enableFromRaycast(settings, network, answers, confirmed),
        );
      } catch (error) {
        // Refused or failed: nothing changes, so the line saying what would is gone.
        await aboutToChange.hide();
        // A server with nothing on the Mac saying how the VPN reaches it: ask, and that form runs Enable again.
        if (error instanceof ServerTransportError) {
          const context: ServerProtocolContext = { servers: [...error.servers], seen: { ...error.seen } };
          await launchCommand({ name: SERVER_PROTOCOL_COMMAND, type: LaunchType.UserInitiated, context });
          return;
        }
        if (error instanceof KillSwitchError && error.kind === "no-server") {
          // Asked once: without startup protection Enable never refuses for want of a server.
          if (!withoutStartup && (await askAboutNoServer(network))) await enableKillSwitchNow(serverTransports, true);
          return;
        }
        if (error instanceof KillSwitchError && error.kind === "resolve") {
          await askEnableQuestion(hostNameNotResolved(error.detail || error.message));
          return;
        }
        throw error;
      }
      if (outcome === null || outcome.kind === "cancelled") {
        await aboutToChange.hide();
        return;
      }
      const change = outcome.value;
      // A fresh Enable closes any captive-portal window: its rules are built without one.
      writeCaptivePortalUntil(null);
      const done = change.summary ? describeEnabled(change.summary) : "Kill Switch On";
      const first = await firstEnable(change);
      await reportChange(change, done, { network, settings, extra: notes, quiet: first });
      if (first) await showFirstEnable(change, done, notes);
    },
    askToFixSettings,
  );
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
    case "close-captive-portal":
      return closeCaptivePortal();
    case "clear-blocked-traffic":
      return clearBlockedTrafficNow();
  }
}
