import { mkdirSync, writeFileSync } from "node:fs";
import { STATUS_FIELDS } from "../../src/privileged/root-contract";
import type { FakeMac } from "./fake-mac";

/** What Enable leaves in state.json and status.json: rules for utun4 loaded in the boot that started at `bootTime`. */
export function writeRecordedState(
  mac: Pick<FakeMac, "stateDirectory">,
  bootTime: number,
  fields: Record<string, unknown> = {},
): void {
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
  // And the part Status reads, as the root script writes it beside state.json.
  const shown = Object.fromEntries(
    Object.entries(state).filter(([key]) => (STATUS_FIELDS as readonly string[]).includes(key)),
  );
  writeFileSync(`${mac.stateDirectory}/status.json`, `${JSON.stringify(shown)}\n`);
}
