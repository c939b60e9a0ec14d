import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { disableKillSwitch, getKillSwitchStatus } from "../../src/lifecycle";
import { ANCHOR_NAME } from "../../src/privileged/paths";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { anchorRules, enable, expectNoLeak, policyOf, runWatchdog, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const SETTINGS = settingsFrom({ vpnServers: ["198.51.100.7"] });
const HOTEL = { wifi: "cafe", vpn: null } as const;
const WEB = "pass out quick proto tcp from any to any port { 80, 443 } keep state";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const recorded = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8"));
const windowOpen = () => anchorRules(mac).includes(WEB);

/** Closed: the rules without the window are in force and the timer has recorded it (its last step). */
const closed = () => !windowOpen() && existsSync(`${mac.stateDirectory}/watchdog.json`);

async function waitUntilClosed(limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (closed()) return true;
    await sleep(250);
  }
  return closed();
}

describe("the captive portal window", () => {
  it("is closed on time by a root timer, without anything else running", async () => {
    mac = createFakeMac({ network: macSnapshot(HOTEL) });
    const network = macNetworkState(HOTEL);
    const until = new Date(Date.now() + 2000);
    const on = await enable(mac, SETTINGS, network, { captivePortalUntil: until });
    const end = Math.floor(until.getTime() / 1000);
    expect(windowOpen()).toBe(true);
    expect(recorded().captivePortalUntil).toBe(end);
    expect(on.report.captivePortalUntil).toBe(end);
    expect(on.status.captivePortalUntil).toEqual(new Date(end * 1000));
    expect(mac.launchDaemons()).toEqual([]);

    expect(await waitUntilClosed(8000)).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(end * 1000);
    expect(recorded().captivePortalUntil).toBeNull();
    expectNoLeak(mac, await policyOf(SETTINGS), network, new Date(), "window closed");
    const status = await getKillSwitchStatus({ system: mac.system, network });
    expect(status).toMatchObject({ state: "blocking", captivePortalUntil: null });
  });

  it("leaves a later Enable's window alone", async () => {
    mac = createFakeMac({ network: macSnapshot(HOTEL) });
    const network = macNetworkState(HOTEL);
    await enable(mac, SETTINGS, network, { captivePortalUntil: new Date(Date.now() + 1500) });
    const later = new Date(Date.now() + 5000);
    await enable(mac, SETTINGS, network, { captivePortalUntil: later });
    await sleep(2500);
    // The first timer found another window recorded and did nothing.
    expect(windowOpen()).toBe(true);
    expect(recorded().captivePortalUntil).toBe(Math.floor(later.getTime() / 1000));
    expect(await waitUntilClosed(8000)).toBe(true);
  });

  it("never turns the kill switch back on after Disable", async () => {
    mac = createFakeMac({ network: macSnapshot(HOTEL) });
    await enable(mac, SETTINGS, macNetworkState(HOTEL), { captivePortalUntil: new Date(Date.now() + 1000) });
    await disableKillSwitch({ system: mac.system });
    const pf = mac.readPf();
    await sleep(2500);
    expect(mac.readPf()).toEqual(pf);
    expect(pf.anchors[ANCHOR_NAME]).toBeUndefined();
  });

  it("is closed by the watchdog too, when no timer is left to do it", async () => {
    mac = createFakeMac({ network: macSnapshot(HOTEL) });
    const network = macNetworkState(HOTEL);
    const until = new Date(Date.now() + 1500);
    await enable(mac, settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: true }), network, {
      captivePortalUntil: until,
    });
    // The timer acts only on the window it was started for: recording another end leaves it idle.
    const state = recorded();
    const end = Math.floor(until.getTime() / 1000);
    writeFileSync(`${mac.stateDirectory}/state.json`, `${JSON.stringify({ ...state, captivePortalUntil: end + 1 })}\n`);
    await sleep(Math.max(0, (end + 1) * 1000 - Date.now()) + 1500);
    expect(windowOpen()).toBe(true);
    await runWatchdog(mac);
    expect(windowOpen()).toBe(false);
    expect(recorded().captivePortalUntil).toBeNull();
    expect(JSON.parse(readFileSync(`${mac.stateDirectory}/watchdog.json`, "utf8")).message).toMatch(
      /^closed the captive portal window/,
    );
  });
});
