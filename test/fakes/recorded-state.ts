import { mkdirSync, writeFileSync } from "node:fs";
import type { FakeMac } from "./fake-mac";

/** What Enable leaves in state.json: rules for utun4 loaded in the boot that started at `bootTime`. */
export function writeRecordedState(mac: FakeMac, bootTime: number, fields: Record<string, unknown> = {}): void {
  mkdirSync(mac.stateDirectory, { recursive: true });
  const state = {
    version: 1,
    status: "on",
    anchor: "com.apple/000.vpnkillswitch",
    attachment: "com.apple",
    bootTime,
    changedAt: bootTime + 60,
    tunnels: ["utun4"],
    reference: "8914907148313668449",
    ...fields,
  };
  writeFileSync(`${mac.stateDirectory}/state.json`, `${JSON.stringify(state)}\n`);
}
