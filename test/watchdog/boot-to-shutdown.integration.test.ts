/**
 * A day with "Protect from startup" on, on the fake Mac, checked by the verifier at every step: the rules pf
 * holds are run through the policy's packet matrix for that step's network, pf runs, and our anchor is
 * evaluated first. In the first day only the root watchdog acts between Enable and Disable (no prompt, no
 * extension); the second adds every withdrawal, each of which must cut the connections it no longer passes.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { disableKillSwitch, getKillSwitchStatus } from "../../src/lifecycle";
import type { NetworkState } from "../../src/network/state";
import { ANCHOR_NAME, PRODUCT_ID } from "../../src/privileged/paths";
import { verifyRuleset } from "../../src/verify/verify-policy";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { CAFE_ID, HOME_ID, macNetworkState, macSnapshot } from "../fakes/networks";
import { type PfStateEntry, appleMainRuleset, emptyRuleset, evaluationOrder } from "../fakes/pf-model";
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

const SETTINGS = settingsFrom({
  vpnServers: ["198.51.100.7:1194/udp"],
  protectFromStartup: true,
  exceptions: [
    { address: "192.168.1.40", label: "Home printer", scope: HOME_ID },
    { address: "192.168.50.9", port: 631, protocol: "tcp", label: "Cafe printer", scope: CAFE_ID },
    { address: "10.20.0.5", port: 445, protocol: "tcp", label: "NAS" },
  ],
});

const mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
let withdrawals: FakeMac | undefined;
afterAll(() => {
  mac.cleanup();
  withdrawals?.cleanup();
});

describe("from boot to shutdown, nothing leaves outside the VPN", () => {
  it("holds at every step of the day", async () => {
    const policy = await policyOf(SETTINGS);
    const status = (network: ReturnType<typeof macNetworkState>) =>
      getKillSwitchStatus({ system: mac.system, network, now: mac.now() });

    // The evening before: on at home, VPN up, with the watchdog installed in the same prompt.
    const evening = macNetworkState({ wifi: "home", vpn: "utun4" });
    const on = await enable(mac, SETTINGS, evening);
    expect(on.report.watchdog).toBe("installed");
    expectNoLeak(mac, policy, evening, new Date(), "enabled");

    // Boot: pf is empty and stopped until com.apple.pfctl loads /etc/pf.conf; nobody has logged in.
    mac.reboot();
    mac.writePf({ ...mac.readPf(), main: emptyRuleset(), anchors: {} });
    const boot = joinNetwork(mac, { wifi: "home", vpn: null });
    await runWatchdog(mac); // RunAtLoad
    expectNoLeak(mac, policy, boot, new Date(), "boot, before login");
    expect(anchorRules(mac)).toContain("to 192.168.1.40 flags any keep state");
    await mac.pfctlAsRoot(["-f", `${mac.root}/etc/pf.conf`]); // com.apple.pfctl
    expectNoLeak(mac, policy, boot, new Date(), "boot, Apple's rules loaded");
    await runWatchdog(mac); // StartInterval
    expectNoLeak(mac, policy, boot, new Date(), "boot, checked again");
    expect((await status(boot)).state).toBe("blocking");

    // The VPN connects (configd rewrites resolv.conf: WatchPaths).
    const vpn = joinNetwork(mac, { wifi: "home", vpn: "utun4" });
    await runWatchdog(mac);
    expectNoLeak(mac, policy, vpn, new Date(), "VPN connected");
    expect(await status(vpn)).toMatchObject({ state: "protected", activeTunnel: "utun4" });

    // Wi-Fi moves to the cafe: the VPN drops, the home printer must stop, the cafe printer may start.
    const cafe = joinNetwork(mac, { wifi: "cafe", vpn: null });
    await runWatchdog(mac);
    expectNoLeak(mac, policy, cafe, new Date(), "Wi-Fi changed");
    expect(anchorRules(mac)).not.toContain("192.168.1.40");
    expect(anchorRules(mac)).toContain("to 192.168.50.9 port 631 flags any keep state");

    // The VPN reconnects on a new tunnel.
    const renumbered = joinNetwork(mac, { wifi: "cafe", vpn: "utun5" });
    await runWatchdog(mac);
    expectNoLeak(mac, policy, renumbered, new Date(), "VPN on utun5");
    expect(await status(renumbered)).toMatchObject({ state: "protected", activeTunnel: "utun5" });

    // The system reloads pf.conf: our child of com.apple stays and stays first.
    await mac.pfctlAsRoot(["-f", `${mac.root}/etc/pf.conf`]);
    expectNoLeak(mac, policy, renumbered, new Date(), "pf.conf reloaded");
    // Internet Sharing replaces the main ruleset without Apple's anchor point and flushes ours.
    const sharing = mac.readPf();
    const others = Object.fromEntries(Object.entries(sharing.anchors).filter(([path]) => path !== ANCHOR_NAME));
    mac.writePf({
      ...sharing,
      main: { ...emptyRuleset(), filter: ['anchor "com.apple.internet-sharing" all'] },
      anchors: { ...others, "com.apple.internet-sharing": { ...emptyRuleset(), filter: ["pass quick all"] } },
    });
    expect(evaluationOrder(mac.readPf())).not.toContain(ANCHOR_NAME);
    await runWatchdog(mac);
    expectNoLeak(mac, policy, renumbered, new Date(), "repaired after Internet Sharing");
    expect((await status(renumbered)).notes.join(" ")).toMatch(/The watchdog repaired the kill switch/);

    // The user disables: everything of ours goes, and nothing comes back.
    await disableKillSwitch({ system: mac.system });
    const off = mac.readPf();
    expect(off.anchors[ANCHOR_NAME]).toBeUndefined();
    expect(off.main.filter).toEqual(['anchor "com.apple.internet-sharing" all']);
    expect(mac.launchDaemons()).toEqual([]);
    expect(existsSync(mac.stateDirectory)).toBe(false);
    mac.reboot();
    expect(mac.launchDaemons()).toEqual([]);
    expect(mac.readPf().main.filter).toEqual(appleMainRuleset().filter);
    expect((await status(renumbered)).state).toBe("off");
  });

  it("holds through every withdrawal of a day: a corrupt template, a portal window, an exception that ends, a new network, a renumbered tunnel", async () => {
    const day = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
    withdrawals = day;
    const at = (seconds: number) => new Date(day.now().getTime() + seconds * 1000);
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7:1194/udp"],
      protectFromStartup: true,
      exceptions: [
        { address: "192.168.1.40", label: "Home printer", scope: HOME_ID },
        { address: "203.0.113.80", label: "Build server", expiresAt: at(3_600).toISOString() },
      ],
    });
    const policy = await policyOf(settings);
    const state = (lan: string, lanPort: number, ext: string, extPort: number) =>
      openConnection(lan, lanPort, ext, extPort, extPort === 1194 ? "udp" : "tcp");
    const open = (...entries: PfStateEntry[]) => day.writePf({ ...day.readPf(), states: entries });
    const connections = () => day.readPf().states.map((s) => `${s.lan}:${s.lanPort} -> ${s.ext}:${s.extPort}`);
    const status = (network: NetworkState) => getKillSwitchStatus({ system: day.system, network, now: day.now() });
    const check = (network: NetworkState, step: string) => expectNoLeak(day, policy, network, day.now(), step);
    /** Only leaks count: the fail-closed rules block more than the policy asks. */
    const checkLeaksOnly = (network: NetworkState, step: string) => {
      const pf = day.readPf();
      expect(pf.enabled, step).toBe(true);
      expect(evaluationOrder(pf)[0], step).toBe(ANCHOR_NAME);
      const result = verifyRuleset(anchorRules(day), { policy, network, now: day.now() });
      expect(
        result.clauses.flatMap((c) => c.failures.filter((f) => f.leak)),
        step,
      ).toEqual([]);
    };
    const VPN_TO_SERVER = "192.168.1.23:50001 -> 198.51.100.7:1194";

    // On at home the evening before; then the home template is damaged (a disk error, a bad edit).
    await enable(day, settings, macNetworkState({ wifi: "home", vpn: "utun4" }), { now: day.now() });
    const index = readFileSync(`${day.stateDirectory}/rules/index`, "utf8");
    const home = index.match(new RegExp(`^network (\\S+) ${HOME_ID.replace(/[.]/g, "\\.")} protected$`, "m"))?.[1];
    expect(home).toBeDefined();
    const template = `${day.stateDirectory}/rules/${home}`;
    writeFileSync(template, readFileSync(template, "utf8").split("# Everything else")[0]);

    // Boot: the watchdog fails closed, never open; Status says so.
    day.reboot();
    await day.advanceClock(60);
    day.writePf({ ...day.readPf(), main: emptyRuleset(), anchors: {}, enabled: false });
    const boot = joinNetwork(day, { wifi: "home", vpn: null });
    expect((await day.runLaunchDaemon(PRODUCT_ID)).exitCode).toBe(1);
    checkLeaksOnly(boot, "boot, template corrupt");
    expect((await status(boot)).state).toBe("safe-mode");

    // Enable again repairs it; the VPN connects; the build server and the printer are used.
    await enable(day, settings, boot, { now: day.now() });
    const vpn = joinNetwork(day, { wifi: "home", vpn: "utun4" });
    await runWatchdog(day);
    check(vpn, "home, VPN up");
    expect((await status(vpn)).state).toBe("protected");
    open(
      state("192.168.1.23", 50200, "203.0.113.80", 22),
      state("192.168.1.23", 50001, "198.51.100.7", 1194),
      state("10.8.0.2", 50400, "93.184.216.34", 443),
    );

    // The exception ends: the root timer loads the rules without it and cuts its connection.
    await day.advanceClock(3_600 - 60);
    expect(anchorRules(day)).not.toContain("203.0.113.80");
    expect(connections()).toEqual([VPN_TO_SERVER, "10.8.0.2:50400 -> 93.184.216.34:443"]);
    check(vpn, "exception ended");

    // Off to a hotel: the VPN drops; the home printer's connection is cut with the network switch, and the
    // gone tunnel's with it.
    open(state("192.168.1.23", 50300, "192.168.1.40", 631), state("10.8.0.2", 50400, "93.184.216.34", 443));
    const hotel = joinNetwork(day, { wifi: "cafe", vpn: null });
    await runWatchdog(day);
    check(hotel, "hotel, VPN down");
    expect(anchorRules(day)).not.toContain("192.168.1.40");
    expect(connections()).toEqual([]);

    // Its sign-in page: a portal window, and what opened in it is cut when the root timer closes it.
    await enable(day, settings, hotel, { now: day.now(), captivePortalUntil: at(120) });
    open(state("192.168.50.57", 50123, "93.184.216.34", 443), state("192.168.50.57", 50001, "198.51.100.7", 1194));
    await day.advanceClock(120);
    expect(connections()).toEqual(["192.168.50.57:50001 -> 198.51.100.7:1194"]);
    check(hotel, "portal window closed");

    // The VPN connects, then reconnects on a new tunnel: an app bound to Wi-Fi meanwhile is cut.
    const connected = joinNetwork(day, { wifi: "cafe", vpn: "utun4" });
    await runWatchdog(day);
    check(connected, "hotel, VPN up");
    open(state("192.168.50.57", 50600, "93.184.216.34", 443), state("192.168.50.57", 50001, "198.51.100.7", 1194));
    const renumbered = joinNetwork(day, { wifi: "cafe", vpn: "utun5" });
    await runWatchdog(day);
    check(renumbered, "VPN on utun5");
    expect(connections()).toEqual(["192.168.50.57:50001 -> 198.51.100.7:1194"]);
    expect(await status(renumbered)).toMatchObject({ state: "protected", activeTunnel: "utun5" });

    await disableKillSwitch({ system: day.system });
    expect(day.readPf().anchors[ANCHOR_NAME]).toBeUndefined();
    expect(day.launchDaemons()).toEqual([]);
  });
});
