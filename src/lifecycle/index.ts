/**
 * Turning the kill switch on and off, and telling what it is doing. Used by the CLI and the Raycast
 * commands alike; every function takes the `SystemCommands` port (tests pass a fake macOS tree).
 *
 *   enableKillSwitch({ system, settings, network, now?, lookup?, captivePortalUntil? })
 *     -> Promise<KillSwitchChange>   one authorisation; rules loaded, evaluated first, pf referenced
 *   applyKillSwitch({ ...same, keepConnections? })
 *     -> Promise<KillSwitchChange>   reload while on (settings, exceptions, tunnel changed); one authorisation
 *   disableKillSwitch({ system, authentication?, network? })
 *     -> Promise<KillSwitchChange>   watchdog removed, our anchor flushed, our reference released, our files removed
 *   clearBlockedTraffic({ system, authentication?, network? })
 *     -> Promise<KillSwitchChange>   the record of blocked traffic emptied; recording goes on while on
 *   uninstallKillSwitch({ system, authentication?, network? })
 *     -> Promise<KillSwitchChange>   every trace removed (LaunchDaemon, anchor, reference, state directory);
 *                                    `report.removed` lists the paths
 *   getKillSwitchStatus({ system, network, now?, bootTime? })
 *     -> Promise<KillSwitchStatus>   protected | blocking | safe-mode | unverified | watchdog-stopped |
 *                                    not-protected | off | unknown (words/states.ts names them); never asks
 *                                    for a password;
 *                                    `bootTime` (seconds) replaces reading it from the kernel (tests, benches)
 *   describeChange(change), describeStatus(status) -> string[]   the same, in lines for people
 *
 * Enable and apply, with `settings.protectFromStartup`, install the boot-time watchdog in the same prompt
 * (without it, they remove an installed one); with `captivePortalUntil` they open a captive portal window that
 * a root timer closes on time. While the kill switch blocks DNS, host names fall back to the addresses
 * recorded when they last resolved (a note says so). A name resolved outside the VPN to public addresses the
 * user has not confirmed (`confirmedAddresses`) stops Enable with a `NameConfirmationError` listing them.
 *
 * The actions throw `KillSwitchError` (`kind`, `nothingChanged`, a message for people): a cancelled
 * dialog is `cancelled` with nothing changed; rules pf rejects are `rules-rejected` with pfctl's words.
 * `settings.authentication` picks the password dialog or Touch ID (through sudo, falling back to the
 * dialog; see privileged/runner.ts).
 */
export {
  type ApplyRequest,
  type DisableRequest,
  type KillSwitchChange,
  type KillSwitchRequest,
  type UninstallRequest,
  applyKillSwitch,
  clearBlockedTraffic,
  disableKillSwitch,
  enableKillSwitch,
  uninstallKillSwitch,
} from "./actions";
export { describeChange, describeStatus } from "./describe";
export { KillSwitchError, type KillSwitchErrorKind, NameConfirmationError, ServerTransportError } from "./errors";
export { type RecordedState, type WatchdogStatus, parseBootTime } from "./record";
export { type KillSwitchState, type KillSwitchStatus, type StatusRequest, getKillSwitchStatus } from "./status";
export {
  ANCHOR_NAME,
  LAUNCH_DAEMON_FILE,
  PRODUCT_ID,
  STATE_DIRECTORY,
  STATE_FILE,
  WATCHDOG_INTERVAL_SECONDS,
  WATCHDOG_SCRIPT_FILE,
  WATCHDOG_STATUS_FILE,
} from "../privileged/paths";
