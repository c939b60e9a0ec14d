import { Toast, showToast } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { readKillSwitch, readNetworkOrNull } from "../reading/kill-switch-reading";
import { isOn } from "../models/kill-switch-state";
import { MAX_CHANGE_LENGTH, launchEnableCommand } from "../actions/launch-context";
import { refreshMenuBar } from "../reading/menu-bar-refresh";

/** applying: the Enable command reloads the rules (one prompt); saved: the kill switch is off, used at the next Enable. */
export type ExceptionChangeResult = "applying" | "saved";

/**
 * After the stored exceptions changed: when the kill switch is on, the Enable command reloads the rules with its
 * one prompt and says how it went; otherwise the change waits for the next Enable. `change` names it ("Printer
 * Blocked") for the HUD.
 */
export async function applyExceptionChange(change: string): Promise<ExceptionChangeResult> {
  const status = await readKillSwitch(await readNetworkOrNull());
  if (!isOn(status.state)) {
    await refreshMenuBar();
    return "saved";
  }
  const text = change.length > MAX_CHANGE_LENGTH ? `${change.slice(0, MAX_CHANGE_LENGTH - 1)}…` : change;
  await launchEnableCommand({ reason: "apply", change: text });
  return "applying";
}

/** What to tell people after a change, by result. */
function describeExceptionChange(result: ExceptionChangeResult, done: string): { title: string; message: string } {
  switch (result) {
    case "applying":
      return { title: done, message: "Reloading the kill switch rules: confirm the prompt to apply it now." };
    case "saved":
      return { title: done, message: "The kill switch is off: it applies at the next Enable." };
  }
}

/** For the exception views: applies (or keeps for later) a saved change and says so in a toast, never throws. */
export async function announceExceptionChange(done: string): Promise<void> {
  try {
    const result = await applyExceptionChange(done);
    await showToast({ style: Toast.Style.Success, ...describeExceptionChange(result, done) });
  } catch (error) {
    await showFailureToast(error, { title: `${done}, Not Applied` });
  }
}
