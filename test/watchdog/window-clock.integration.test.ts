/**
 * Windows timed by elapsed time: a captive portal window or an exception lasts no longer than the time it was
 * given, whatever the wall clock does (an NTP correction back an hour, the clock set forward a day), and ends by
 * the wall clock too when that comes first. On macOS kern.boottime moves with the clock, so the clock minus the
 * boot time is elapsed time that a step does not move; the fake Mac's stepClock does the same.
 */
import { readFileSync, readdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { applyKillSwitch } from "../../src/lifecycle";
import { PRODUCT_ID } from "../../src/privileged/paths";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { type MacNetwork, macNetworkState, macSnapshot } from "../fakes/networks";
import { emptyRuleset } from "../fakes/pf-model";
import { anchorRules, enable, openConnection, runWatchdog, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const CAFE: MacNetwork = { wifi: "cafe", vpn: null };
const HOME_VPN: MacNetwork = { wifi: "home", vpn: "utun4" };
const PORTAL_DNS = "pass out quick proto { tcp, udp } from any to any port 53 flags any keep state";
const BUILD_SERVER = "to 203.0.113.80 flags any keep state";

const recorded = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8"));
const at = (seconds: number) => new Date(mac.now().getTime() + seconds * 1000);
/** The timers waiting in the tree (each change timer sleeps in steps). */
const timers = () => mac.running().sleepers.length;

function withBuildServer(expiresAt: Date, protectFromStartup: boolean) {
  return settingsFrom({
    vpnServers: ["198.51.100.7:1194/udp"],
    protectFromStartup,
    exceptions: [{ address: "203.0.113.80", label: "Build server", expiresAt: expiresAt.toISOString() }],
  });
}

describe("a captive portal window", () => {
  it("closes after its two minutes though the wall clock went back an hour during it, without the watchdog", async () => {
    mac = createFakeMac({ network: macSnapshot(CAFE) });
    const settings = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false });
    await enable(mac, settings, macNetworkState(CAFE), { now: mac.now(), captivePortalUntil: at(120) });
    expect(anchorRules(mac)).toContain(PORTAL_DNS);
    mac.writePf({ ...mac.readPf(), states: [openConnection("192.168.50.57", 50123, "93.184.216.34", 443)] });
    await mac.advanceClock(30);
    await mac.stepClock(-3600); // an NTP correction
    await mac.advanceClock(89);
    expect(anchorRules(mac)).toContain(PORTAL_DNS);
    await mac.advanceClock(1);
    expect(anchorRules(mac)).not.toContain(PORTAL_DNS);
    expect(mac.readPf().states).toEqual([]); // what it opened is cut
    expect(recorded().captivePortalUntil).toBeNull();
    expect(timers()).toBe(0);
  });

  it("closes after its minutes at the watchdog's check, whatever the clock did, and after a nap", async () => {
    mac = createFakeMac({ network: macSnapshot(CAFE) });
    const settings = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: true });
    await enable(mac, settings, macNetworkState(CAFE), { now: mac.now(), captivePortalUntil: at(300) });
    await mac.stepClock(-3600);
    await mac.advanceClock(100);
    await runWatchdog(mac);
    expect(anchorRules(mac)).toContain(PORTAL_DNS);
    await mac.sleepFor(3600); // the lid closed: the window's time goes on
    await runWatchdog(mac);
    expect(anchorRules(mac)).not.toContain(PORTAL_DNS);
  });
});

describe("an exception that ends", () => {
  it("lasts its hour of elapsed time though the clock went back an hour, and is not opened again by an Apply", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    const settings = withBuildServer(at(3600), true);
    await enable(mac, settings, macNetworkState(HOME_VPN), { now: mac.now() });
    await mac.advanceClock(1800);
    await mac.stepClock(-3600);
    await mac.advanceClock(1799);
    await runWatchdog(mac);
    expect(anchorRules(mac)).toContain(BUILD_SERVER);
    await mac.advanceClock(1);
    expect(anchorRules(mac)).not.toContain(BUILD_SERVER);
    // By the wall clock it has an hour to go, so the front-end's rules still pass it: for a second (the timer
    // waits for the Apply to finish).
    await applyKillSwitch({ system: mac.system, settings, network: macNetworkState(HOME_VPN), now: mac.now() });
    await mac.advanceClock(1);
    expect(anchorRules(mac)).not.toContain(BUILD_SERVER);
    await runWatchdog(mac);
    expect(anchorRules(mac)).not.toContain(BUILD_SERVER);
  });

  it("ends when the wall clock passes its end first (the clock set forward a day)", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    await enable(mac, withBuildServer(at(3600), true), macNetworkState(HOME_VPN), { now: mac.now() });
    await mac.advanceClock(60);
    await mac.stepClock(86_400);
    await runWatchdog(mac);
    expect(anchorRules(mac)).not.toContain(BUILD_SERVER);
  });

  it("is timed again after a restart: the watchdog starts a timer for it, which ends it on the second", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    await enable(mac, withBuildServer(at(3600), true), macNetworkState(HOME_VPN), { now: mac.now() });
    await mac.advanceClock(600);
    mac.reboot(Math.floor(mac.now().getTime() / 1000));
    mac.writePf({ ...mac.readPf(), main: emptyRuleset(), anchors: {}, enabled: false });
    await mac.advanceClock(30);
    await runWatchdog(mac); // RunAtLoad
    expect(anchorRules(mac)).toContain(BUILD_SERVER);
    expect(timers()).toBe(1);
    await mac.advanceClock(3600 - 630);
    expect(anchorRules(mac)).not.toContain(BUILD_SERVER);
    expect(timers()).toBe(0);
  });
});

describe("the change timer", () => {
  it("runs one at a time: an Apply's new timer takes over, and the old one ends at its next step", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    await enable(mac, withBuildServer(at(3600), false), macNetworkState(HOME_VPN), { now: mac.now() });
    expect(timers()).toBe(1);
    const later = withBuildServer(at(7200), false);
    await applyKillSwitch({ system: mac.system, settings: later, network: macNetworkState(HOME_VPN), now: mac.now() });
    await mac.advanceClock(10);
    expect(timers()).toBe(1);
    // No change left to wait for: the timer ends.
    const none = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false });
    await applyKillSwitch({ system: mac.system, settings: none, network: macNetworkState(HOME_VPN), now: mac.now() });
    await mac.advanceClock(10);
    expect(timers()).toBe(0);
    expect(readdirSync(`${mac.root}/var/run`).filter((name) => name.startsWith(`${PRODUCT_ID}.lock`))).toEqual([]);
  });
});
