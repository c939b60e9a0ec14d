/**
 * Turning the kill switch on and off, and telling what it is doing. Used by the CLI and the Raycast
 * commands alike; every function takes the `SystemCommands` port (tests pass a fake macOS tree).
 *
 *   enableKillSwitch({ system, settings, network, now?, lookup?, captivePortalUntil? })
 *     -> Promise<KillSwitchChange>   one authorisation; rules loaded, evaluated first, pf referenced
 *   applyKillSwitch({ ...same, keepConnections? })
 *     -> Promise<KillSwitchChange>   reload while on (settings, exceptions, tunnel changed); one authorisation
 *   disableKillSwitch({ system, authentication?, network? })
 *     -> Promise<KillSwitchChange>   our anchor flushed, our reference released, our files removed
 *   getKillSwitchStatus({ system, network })
 *     -> Promise<KillSwitchStatus>   protected | blocking | degraded | off | unknown; never asks for a password
 *   describeChange(change), describeStatus(status) -> string[]   the same, in lines for people
 *
 * The three actions throw `KillSwitchError` (`kind`, `nothingChanged`, a message for people): a cancelled
 * dialog is `cancelled` with nothing changed; rules pf rejects are `rules-rejected` with pfctl's words.
 * `settings.authentication` picks the password dialog or Touch ID (through sudo, falling back to the
 * dialog; see privileged/runner.ts).
 */
export {
  type ApplyRequest,
  type DisableRequest,
  type KillSwitchChange,
  type KillSwitchRequest,
  applyKillSwitch,
  disableKillSwitch,
  enableKillSwitch,
} from "./actions";
export { describeChange, describeStatus } from "./describe";
export { KillSwitchError, type KillSwitchErrorKind } from "./errors";
export { type RecordedState, type WatchdogStatus, parseBootTime } from "./record";
export { type KillSwitchState, type KillSwitchStatus, type StatusRequest, getKillSwitchStatus } from "./status";
export { ANCHOR_NAME, PRODUCT_ID, STATE_DIRECTORY, STATE_FILE, WATCHDOG_STATUS_FILE } from "../privileged/paths";
