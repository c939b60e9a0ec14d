import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countingCommands } from "../../bench/measure";
import { readCachedSnapshot } from "../../src/raycast/status";
import { type StatusSnapshotRequest, readStatusSnapshot } from "../../src/raycast/use-kill-switch-status";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { writeRecordedState } from "../fakes/recorded-state";
import { resetRaycast } from "../mocks/raycast-api";

const BOOT = 1_700_000_000;

let mac: FakeMac;
beforeEach(() => resetRaycast());
afterEach(() => mac?.cleanup());

/** What Enable leaves behind: rules for utun4, loaded in the boot that started at BOOT. */
function recordKillSwitchOn() {
  writeRecordedState(mac, BOOT, { protectFromStartup: true, changedAt: Math.floor(Date.now() / 1000) });
}

describe("the menu bar's status reading on a fake Mac", () => {
  it("starts only ifconfig and netstat in a background run on an unchanged network, never sysctl", async () => {
    mac = createFakeMac({ bootTime: BOOT });
    recordKillSwitchOn();
    const counting = countingCommands(mac.system);
    const details = new Map<string, string>();
    let bootTime = BOOT;
    const reading = (refreshDetails: boolean): StatusSnapshotRequest => ({
      exceptions: { exceptions: [], rejected: [] },
      now: new Date(),
      refreshDetails,
      system: counting.system,
      details: { get: (key) => details.get(key), set: (key, value) => void details.set(key, value) },
      bootTime: async () => bootTime,
    });

    const opened = await readStatusSnapshot(reading(true));
    expect(opened.state).toBe("protected");
    expect(counting.started()).not.toContain("sysctl");

    counting.reset();
    const background = await readStatusSnapshot(reading(false));
    expect(counting.started().sort()).toEqual(["ifconfig", "netstat"]);
    expect(background).toMatchObject({ state: "protected", tunnels: ["utun4"], vpnServers: ["198.51.100.7"] });
    expect(background.network).toMatchObject({ label: "Example Home", gatewayMac: "3c:a6:2f:08:1e:7b" });
    expect(readCachedSnapshot()).toEqual(background);

    // A restart is seen from the boot time alone, still with two processes.
    counting.reset();
    bootTime = BOOT + 86_400;
    const restarted = await readStatusSnapshot(reading(false));
    expect(restarted.state).toBe("degraded");
    expect(counting.started().sort()).toEqual(["ifconfig", "netstat"]);
  });
});
