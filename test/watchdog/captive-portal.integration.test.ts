import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { disableKillSwitch, getKillSwitchStatus } from "../../src/lifecycle";
import { ANCHOR_NAME } from "../../src/privileged/paths";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { anchorRules, enable, expectNoLeak, policyOf, runWatchdog, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

// Without the watchdog: the root timer alone must close the window.
const SETTINGS = settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: false });
const HOTEL = { wifi: "cafe", vpn: null } as const;
const WEB = "pass out quick proto tcp from any to any port { 80, 443 } flags any keep state";

const recorded = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8"));
const windowOpen = () => anchorRules(mac).includes(WEB);
const secondsFromNow = (seconds: number) => new Date(mac.now().getTime() + seconds * 1000);

describe("the captive portal window", () => {
  it("is closed on time by a root timer, without anything else running", async () => {
    mac = createFakeMac({ network: macSnapshot(HOTEL) });
    const network = macNetworkState(HOTEL);
    const until = secondsFromNow(120);
    const on = await enable(mac, SETTINGS, network, { now: mac.now(), captivePortalUntil: until });
    const end = Math.floor(until.getTime() / 1000);
    expect(windowOpen()).toBe(true);
    expect(recorded().captivePortalUntil).toBe(end);
    expect(on.report.captivePortalUntil).toBe(end);
    expect(on.status.captivePortalUntil).toEqual(new Date(end * 1000));
    expect(mac.launchDaemons()).toEqual([]);

    // A second before its end the window is still open; at its end the timer closes it.
    await mac.advanceClock(119);
    expect(windowOpen()).toBe(true);
    await mac.advanceClock(1);
    expect(windowOpen()).toBe(false);
    expect(recorded().captivePortalUntil).toBeNull();
    expect(existsSync(`${mac.stateDirectory}/watchdog.json`)).toBe(true);
    expectNoLeak(mac, await policyOf(SETTINGS), network, mac.now(), "window closed");
    const status = await getKillSwitchStatus({ system: mac.system, network, now: mac.now() });
    expect(status).toMatchObject({ state: "unverified", captivePortalUntil: null }); // no watchdog here
  });

  it("leaves a later Enable's window alone", async () => {
    mac = createFakeMac({ network: macSnapshot(HOTEL) });
    const network = macNetworkState(HOTEL);
    await enable(mac, SETTINGS, network, { now: mac.now(), captivePortalUntil: secondsFromNow(120) });
    await mac.advanceClock(60);
    const later = secondsFromNow(300);
    await enable(mac, SETTINGS, network, { now: mac.now(), captivePortalUntil: later });
    await mac.advanceClock(60);
    // The first timer found another window recorded and did nothing.
    expect(windowOpen()).toBe(true);
    expect(recorded().captivePortalUntil).toBe(Math.floor(later.getTime() / 1000));
    await mac.advanceClock(300);
    expect(windowOpen()).toBe(false);
    expect(recorded().captivePortalUntil).toBeNull();
  });

  it("never turns the kill switch back on after Disable", async () => {
    mac = createFakeMac({ network: macSnapshot(HOTEL) });
    await enable(mac, SETTINGS, macNetworkState(HOTEL), { now: mac.now(), captivePortalUntil: secondsFromNow(120) });
    await disableKillSwitch({ system: mac.system });
    const pf = mac.readPf();
    await mac.advanceClock(600);
    expect(mac.readPf()).toEqual(pf);
    expect(pf.anchors[ANCHOR_NAME]).toBeUndefined();
  });

  it("is closed by the watchdog too, when no timer is left to do it", async () => {
    mac = createFakeMac({ network: macSnapshot(HOTEL) });
    const network = macNetworkState(HOTEL);
    const until = secondsFromNow(120);
    await enable(mac, settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: true }), network, {
      now: mac.now(),
      captivePortalUntil: until,
    });
    expect(recorded().nextChangeAt).toBe(Math.floor(until.getTime() / 1000));
    // The timer is gone (killed, say).
    for (const { pid, ppid } of mac.running().sleepers) for (const gone of [ppid, pid]) process.kill(gone, "SIGKILL");
    await mac.advanceClock(600);
    expect(windowOpen()).toBe(true);
    await runWatchdog(mac);
    expect(windowOpen()).toBe(false);
    expect(recorded().captivePortalUntil).toBeNull();
    expect(JSON.parse(readFileSync(`${mac.stateDirectory}/watchdog.json`, "utf8")).message).toMatch(
      /^closed the captive portal window/,
    );
  });
});
