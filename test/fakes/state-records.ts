/**
 * The records Enable and the watchdog leave (status.json, watchdog.json) for each state the status can judge, in
 * the boot that started at STATE_BOOT, judged at STATE_NOW: the same Mac for the menu bar's and the CLI's words.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import type { KillSwitchState } from "../../src/lifecycle/status";
import { writeRecordedState } from "./recorded-state";

export const STATE_BOOT = 1_700_000_000;
/** 200 s into that boot: 140 s after the Enable, 10 s after the watchdog's last check when it is on time. */
export const STATE_NOW = new Date((STATE_BOOT + 200) * 1000);

/** Whether the VPN is up in the state's scene (blocking and safe mode wait for it). */
export const vpnUpIn = (state: KillSwitchState) => state !== "blocking" && state !== "safe-mode";

/** The server OpenVPN's connection proved at that Enable: kept while the VPN is down. */
const SERVERS = ["198.51.100.7:1194/udp@process"];

function watchdogChecked(stateDirectory: string, check: Record<string, unknown> = {}): void {
  mkdirSync(stateDirectory, { recursive: true });
  const report = {
    version: 1,
    checkedAt: STATE_BOOT + 190,
    bootTime: STATE_BOOT,
    result: "ok",
    message: "",
    intervalSeconds: 10,
    ...check,
  };
  writeFileSync(`${stateDirectory}/watchdog.json`, `${JSON.stringify(report)}\n`);
}

/** Writes into `stateDirectory` what the Mac holds in `state`. */
export function recordState(stateDirectory: string, state: KillSwitchState): void {
  const at = { stateDirectory };
  const on = (fields: Record<string, unknown>) => writeRecordedState(at, STATE_BOOT, { servers: SERVERS, ...fields });
  switch (state) {
    case "protected":
    case "blocking":
      on({ protectFromStartup: true });
      watchdogChecked(stateDirectory);
      break;
    case "safe-mode":
      on({ protectFromStartup: true });
      watchdogChecked(stateDirectory, {
        result: "failed",
        failedClosed: true,
        message: "the rules for this network are missing or incomplete; blocking with the fail-closed rules",
      });
      break;
    case "unverified":
      on({ protectFromStartup: false });
      break;
    case "watchdog-stopped":
      // Its last check 100 s ago, every 10 s: three missed and more.
      on({ protectFromStartup: true });
      watchdogChecked(stateDirectory, { checkedAt: STATE_BOOT + 100 });
      break;
    case "not-protected":
      // Enabled without the watchdog in the day before this boot: pf forgot the rules at the restart.
      writeRecordedState(at, STATE_BOOT - 86_400, { servers: SERVERS, protectFromStartup: false });
      break;
    case "unknown":
      on({ status: "maybe" });
      break;
    case "off":
      break;
  }
}
