import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { networkInterfaces } from "node:os";
import { readPflogCapture } from "../../src/pflog/capture";
import { groupFlows } from "../../src/pflog/flows";
import { CAPTURE_DIRECTORY } from "../../src/privileged/paths";
import { MORNING, pflogCapture } from "../pflog/capture-writer";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countingCommands } from "../../bench/measure";
import { readCachedSnapshot } from "../../src/raycast/stores/snapshot-cache";
import { type StatusSnapshotRequest, readStatusSnapshot } from "../../src/raycast/reading/use-kill-switch-status";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { writeRecordedState } from "../fakes/recorded-state";
import { resetRaycast } from "../mocks/raycast-api";

const BOOT = 1_700_000_000;

let mac: FakeMac;
beforeEach(() => resetRaycast());
afterEach(() => mac?.cleanup());

/** What Enable leaves behind: rules for utun4, loaded in the boot that started at BOOT, with the watchdog. */
function recordKillSwitchOn() {
  // The server OpenVPN's connection proved at that Enable: the menu bar's quick reading has no sockets to prove it.
  writeRecordedState(mac, BOOT, { protectFromStartup: true, servers: ["198.51.100.7:1194/udp@process"] });
}

/** A moment after that Enable (the watchdog counts as on time); the clock is never read. */
const NOW = new Date((BOOT + 70) * 1000);

describe("the menu bar's status reading on a fake Mac", () => {
  it("starts no process in a background run while the interfaces are as they were, and never sysctl", async () => {
    mac = createFakeMac({ bootTime: BOOT });
    recordKillSwitchOn();
    const counting = countingCommands(mac.system);
    const details = new Map<string, string>();
    let bootTime = BOOT;
    let interfaces: Record<string, { address: string }[]> = {
      en0: [{ address: "192.168.1.23" }],
      utun4: [{ address: "10.8.0.2" }],
    };
    const reading = (refreshDetails: boolean): StatusSnapshotRequest => ({
      exceptions: { exceptions: [], rejected: [] },
      now: NOW,
      refreshDetails,
      system: counting.system,
      details: { get: (key) => details.get(key), set: (key, value) => void details.set(key, value) },
      bootTime: async () => bootTime,
      interfaces: () => interfaces as unknown as ReturnType<typeof networkInterfaces>,
    });

    const opened = await readStatusSnapshot(reading(true));
    expect(opened.state).toBe("protected");
    expect(counting.started()).not.toContain("sysctl");

    counting.reset();
    const background = await readStatusSnapshot(reading(false));
    expect(counting.started()).toEqual([]);
    expect(background).toMatchObject({ state: "protected", tunnels: ["utun4"], vpnServers: ["198.51.100.7"] });
    expect(background.network).toMatchObject({ label: "Example Home", gatewayMac: "3c:a6:2f:08:1e:7b" });
    expect(readCachedSnapshot()).toEqual(background);

    // A restart is seen from the boot time alone, still with no process.
    counting.reset();
    bootTime = BOOT + 86_400;
    const restarted = await readStatusSnapshot(reading(false));
    expect(restarted.state).toBe("not-protected");
    expect(counting.started()).toEqual([]);

    // Node lists other addresses: ifconfig and netstat are read again.
    counting.reset();
    bootTime = BOOT;
    interfaces = { en0: [{ address: "192.168.1.23" }] };
    await readStatusSnapshot(reading(false));
    expect(counting.started().sort()).toEqual(["ifconfig", "netstat"]);
  });

  it("counts the connections of the record of blocked traffic when the menu is opened, and keeps that count", async () => {
    mac = createFakeMac({ bootTime: BOOT });
    recordKillSwitchOn();
    const dir = `${mac.root}${CAPTURE_DIRECTORY}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/blocked.pcap0`, pflogCapture(MORNING));
    const request = (refreshDetails: boolean): StatusSnapshotRequest => ({
      exceptions: { exceptions: [], rejected: [] },
      now: NOW,
      refreshDetails,
      system: mac.system,
      bootTime: async () => BOOT,
      interfaces: () => ({}) as ReturnType<typeof networkInterfaces>,
    });
    const opened = await readStatusSnapshot(request(true));
    const flows = groupFlows(readPflogCapture(pflogCapture(MORNING)));
    expect(opened.blocked).toEqual({
      connections: flows.length,
      packets: MORNING.filter((packet) => packet.action !== 0).length,
      since: flows[0].firstSeen,
    });
    // In the background the record is not read again: the count of the last opening stands.
    rmSync(`${dir}/blocked.pcap0`);
    expect((await readStatusSnapshot(request(false))).blocked).toEqual(opened.blocked);
  });
});
