/**
 * The disk nearly full: no work folder can be made, so the watchdog cannot read the network, and tcpdump cannot
 * write. With pfctl alone it still keeps pf on and our anchor first, loads blocking rules when our rules are gone or
 * a window's time is up, and cuts what those rules no longer pass; once the disk has room, the next check puts the
 * network's rules back and the record starts again.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { getKillSwitchStatus } from "../../src/lifecycle";
import { ANCHOR_NAME, PRODUCT_ID } from "../../src/privileged/paths";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { type MacNetwork, macNetworkState, macSnapshot } from "../fakes/networks";
import { evaluationOrder } from "../fakes/pf-model";
import {
  anchorRules,
  enable,
  expectNoLeak,
  joinNetwork,
  openConnection,
  policyOf,
  runWatchdog,
  settingsFrom,
} from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const HOME_VPN: MacNetwork = { wifi: "home", vpn: "utun4" };
const SETTINGS = settingsFrom({
  vpnServers: ["198.51.100.7:1194/udp"],
  protectFromStartup: true,
  blockedTrafficLog: 10,
});
const FINAL_BLOCK = /block drop in log \(user(, to pflog\d+)?\) quick all/;
const TUNNEL_PASS = "pass out quick on utun4 all flags any keep state";
const watchdogStatus = () => JSON.parse(readFileSync(`${mac.stateDirectory}/watchdog.json`, "utf8"));

async function onAtHome(settings = SETTINGS) {
  mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
  await enable(mac, settings, macNetworkState(HOME_VPN), { now: mac.now() });
  mac.writePf({
    ...mac.readPf(),
    states: [
      openConnection("192.168.1.23", 50001, "198.51.100.7", 1194, "udp"),
      openConnection("10.8.0.2", 50400, "93.184.216.34", 443),
      openConnection("192.168.1.23", 50445, "203.0.113.80", 22),
    ],
  });
}

/** A check while the disk is full: it cannot make its work folder, and says so. */
async function checkWithFullDisk() {
  await mac.advanceClock(10);
  const run = await mac.runLaunchDaemon(PRODUCT_ID);
  expect(run.exitCode).not.toBe(0);
  expect(watchdogStatus().message).toMatch(/cannot make a private work folder/);
}

describe("with the disk full", () => {
  it("turns pf on again when another program stopped it, keeping the rules in force", async () => {
    await onAtHome();
    mac.fillDisk(true);
    await mac.pfctlAsRoot(["-d"]);
    await checkWithFullDisk();
    const pf = mac.readPf();
    expect(pf.enabled).toBe(true);
    expect(evaluationOrder(pf)[0]).toBe(ANCHOR_NAME);
    expect(anchorRules(mac)).toContain(TUNNEL_PASS);
    expect(mac.running().tcpdumps).toEqual([]); // it cannot write
  });

  it("blocks and cuts what is open when another program flushed our rules, and recovers once there is room", async () => {
    await onAtHome();
    mac.fillDisk(true);
    await mac.pfctlAsRoot(["-a", ANCHOR_NAME, "-F", "all"]);
    await checkWithFullDisk();
    expect(anchorRules(mac)).toMatch(FINAL_BLOCK);
    expect(anchorRules(mac)).not.toContain(TUNNEL_PASS);
    // Only the VPN's own connection to its server is left.
    expect(mac.readPf().states.map((state) => `${state.ext}:${state.extPort}`)).toEqual(["198.51.100.7:1194"]);
    expect(watchdogStatus()).toMatchObject({ result: "failed", failedClosed: true });
    const network = macNetworkState(HOME_VPN);
    expect((await getKillSwitchStatus({ system: mac.system, network, now: mac.now() })).state).toBe("safe-mode");

    mac.fillDisk(false);
    await mac.advanceClock(10);
    await runWatchdog(mac);
    expectNoLeak(mac, await policyOf(SETTINGS), network, mac.now(), "disk freed");
    expect(mac.running().tcpdumps).toHaveLength(1);
    expect((await getKillSwitchStatus({ system: mac.system, network, now: mac.now() })).state).toBe("protected");
  });

  it("blocks and cuts the tunnel's connections when the VPN drops, since it cannot follow the network", async () => {
    await onAtHome();
    mac.fillDisk(true);
    joinNetwork(mac, { wifi: "home", vpn: null });
    await checkWithFullDisk();
    expect(anchorRules(mac)).toMatch(FINAL_BLOCK);
    expect(anchorRules(mac)).not.toContain(TUNNEL_PASS);
    // An app still bound to the tunnel's address would send from it out of Wi-Fi on a floating state.
    expect(mac.readPf().states.map((state) => state.lan)).not.toContain("10.8.0.2");
  });

  it("ends an exception on time: blocking rules, since the network's cannot be loaded", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    const inAnHour = new Date(mac.now().getTime() + 3_600_000).toISOString();
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7:1194/udp"],
      protectFromStartup: true,
      exceptions: [{ address: "203.0.113.80", label: "Build server", expiresAt: inAnHour }],
    });
    await enable(mac, settings, macNetworkState(HOME_VPN), { now: mac.now() });
    expect(anchorRules(mac)).toContain("203.0.113.80");
    mac.fillDisk(true);
    await mac.advanceClock(3590);
    await checkWithFullDisk();
    expect(anchorRules(mac)).not.toContain("203.0.113.80");
    expect(anchorRules(mac)).toMatch(FINAL_BLOCK);
    mac.fillDisk(false);
    await mac.advanceClock(10);
    await runWatchdog(mac);
    expect(anchorRules(mac)).toContain(TUNNEL_PASS);
    expect(anchorRules(mac)).not.toContain("203.0.113.80");
  });

  it.each([true, false])(
    "ends an exception on time by the change timer alone (Startup Protection %s): blocking rules, its connections cut",
    async (protectFromStartup) => {
      mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
      const inAnHour = new Date(mac.now().getTime() + 3_600_000).toISOString();
      const settings = settingsFrom({
        vpnServers: ["198.51.100.7:1194/udp"],
        protectFromStartup,
        exceptions: [{ address: "203.0.113.80", label: "Build server", expiresAt: inAnHour }],
      });
      await enable(mac, settings, macNetworkState(HOME_VPN), { now: mac.now() });
      mac.writePf({
        ...mac.readPf(),
        states: [
          openConnection("192.168.1.23", 50001, "198.51.100.7", 1194, "udp"),
          openConnection("192.168.1.23", 50445, "203.0.113.80", 22),
        ],
      });
      mac.fillDisk(true);
      // No watchdog check: the timer Enable started is due on the hour, and cannot make its work folder.
      await mac.advanceClock(3600);
      await mac.advanceClock(0);
      expect(anchorRules(mac)).not.toContain("203.0.113.80");
      expect(anchorRules(mac)).toMatch(FINAL_BLOCK);
      expect(mac.readPf().states.map((state) => `${state.ext}:${state.extPort}`)).toEqual(["198.51.100.7:1194"]);
      expect(watchdogStatus()).toMatchObject({ result: "failed", failedClosed: true });
      const network = macNetworkState(HOME_VPN);
      expect((await getKillSwitchStatus({ system: mac.system, network, now: mac.now() })).state).toBe("safe-mode");
      expect(mac.running().sleepers).toEqual([]);
      if (!protectFromStartup) return;
      // Once there is room, the watchdog's next check loads the network's rules, without the exception.
      mac.fillDisk(false);
      await mac.advanceClock(10);
      await runWatchdog(mac);
      expect(anchorRules(mac)).toContain(TUNNEL_PASS);
      expect(anchorRules(mac)).not.toContain("203.0.113.80");
    },
  );
});
