/**
 * The privileged actions as the Raycast commands run them: the lifecycle with the Mac's programs, and a
 * cancelled password dialog turned into a plain outcome. Only Enable, Disable and Uninstall import this.
 */
import {
  type KillSwitchChange,
  KillSwitchError,
  applyKillSwitch,
  clearBlockedTraffic,
  disableKillSwitch,
  enableKillSwitch,
  uninstallKillSwitch,
} from "../../lifecycle";
import type { NetworkState } from "../../network/state";
import { type ServerAnswer, splitServerAnswers } from "../../policy/policy";
import type { Settings } from "../../policy/settings";
import { changeReport } from "../../words/change-report";
import { showReport } from "./show-report";
import { snapshotFromStatus } from "../reading/kill-switch-reading";
import { refreshMenuBar } from "../reading/menu-bar-refresh";
import { writeCachedSnapshot } from "../stores/snapshot-cache";
import { systemCommands } from "../system";

/** A privileged action either ran, or the user cancelled the dialog (nothing changed, nothing to say). */
export type Outcome<T> = { kind: "done"; value: T } | { kind: "cancelled" };

async function unlessCancelled<T>(action: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { kind: "done", value: await action() };
  } catch (error) {
    if (error instanceof KillSwitchError && error.kind === "cancelled") return { kind: "cancelled" };
    throw error;
  }
}

export function enableFromRaycast(
  settings: Settings,
  network: NetworkState,
  answers: readonly ServerAnswer[] = [],
  confirmedAddresses: Readonly<Record<string, readonly string[]>> = {},
): Promise<Outcome<KillSwitchChange>> {
  return unlessCancelled(() =>
    enableKillSwitch({
      system: systemCommands(),
      settings,
      network,
      ...splitServerAnswers(answers),
      confirmedAddresses,
    }),
  );
}

export function applyFromRaycast(
  settings: Settings,
  network: NetworkState,
  options: {
    captivePortalUntil?: Date | null;
    keepConnections?: boolean;
    confirmedAddresses?: Readonly<Record<string, readonly string[]>>;
  } = {},
): Promise<Outcome<KillSwitchChange>> {
  return unlessCancelled(() =>
    applyKillSwitch({
      system: systemCommands(),
      settings,
      network,
      captivePortalUntil: options.captivePortalUntil ?? null,
      keepConnections: options.keepConnections,
      confirmedAddresses: options.confirmedAddresses ?? {},
    }),
  );
}

/** Disable or Uninstall: both need only the authentication setting, so they work with broken preferences. */
export function removeFromRaycast(
  action: "disable" | "uninstall",
  authentication: Settings["authentication"],
  network: NetworkState | null,
): Promise<Outcome<KillSwitchChange>> {
  const remove = action === "disable" ? disableKillSwitch : uninstallKillSwitch;
  return unlessCancelled(() => remove({ system: systemCommands(), authentication, network }));
}

/** Empties the record of blocked traffic: one prompt, like Disable it needs only the authentication setting. */
export function clearLogFromRaycast(
  authentication: Settings["authentication"],
  network: NetworkState | null,
): Promise<Outcome<KillSwitchChange>> {
  return unlessCancelled(() => clearBlockedTraffic({ system: systemCommands(), authentication, network }));
}

/** What the context of a report may add: the front-end's own notes, and the alert's second button. */
export interface ReportContext {
  network: NetworkState | null;
  settings: Settings | null;
  captivePortalUntil?: Date | null;
  now?: Date;
  /** Notes of Raycast's own (a preference used over the settings file), after the lifecycle's. */
  extra?: readonly string[];
  /** The result was already shown (the first Enable's message): only cache and redraw. */
  quiet?: boolean;
}

/**
 * After an action ran: the menu bar's snapshot cached, the result shown, the menu bar redrawn. A plain success is
 * a HUD; a state that is not plainly good, a rule set passing no VPN server, or any note is shown in an alert
 * that stays on screen (from the menu bar a toast shows its title only), what weighs on protection first.
 */
export async function reportChange(change: KillSwitchChange, done: string, context: ReportContext): Promise<void> {
  writeCachedSnapshot(
    snapshotFromStatus(change.status, context.network, context.settings, {
      now: context.now ?? new Date(),
      summary: change.summary,
      captivePortalUntil: context.captivePortalUntil,
    }),
  );
  if (!context.quiet) await showReport(changeReport(change, done, context.extra), change.action);
  await refreshMenuBar();
}
