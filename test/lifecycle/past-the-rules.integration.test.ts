/**
 * Status never claims more than pf does: while another program makes pf skip a physical interface, keeps
 * translation rules that pass, or turns pf off, Enable, `killswitch status` and the menu bar say so, with or
 * without the watchdog; Protected is said only when the last look at pf found the rules holding everywhere.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type KillSwitchChange, describeChange, getKillSwitchStatus } from "../../src/lifecycle";
import { PRODUCT_ID } from "../../src/privileged/paths";
import { reportChange } from "../../src/raycast/actions/privileged-actions";
import { buildMenuBarModel } from "../../src/raycast/models/menu-bar-model";
import { readStatusSnapshot } from "../../src/raycast/reading/use-kill-switch-status";
import { runKillswitch } from "../cli/cli-harness";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { raycast, resetRaycast } from "../mocks/raycast-api";
import { temporaryDirectory } from "../temporary-directory";
import { enable, runWatchdog, settingsFrom } from "../watchdog/helpers";

let mac: FakeMac;
beforeEach(() => resetRaycast());
afterEach(() => mac?.cleanup());

const START = 1_800_000_000;
const HOME_VPN = { wifi: "home", vpn: "utun4" } as const;
const SERVER = { vpnServers: ["198.51.100.7:1194/udp"], blockedTrafficLog: 0 };
const UNCHECKED = settingsFrom({ ...SERVER, protectFromStartup: false });
const WATCHED = settingsFrom({ ...SERVER, protectFromStartup: true });
const SKIPS_EN0 = /^Not Protected: pf skips en0 \(another program's "set skip on"\), so nothing there is filtered/;
const NAT_PASS = "nat pass on en0 inet from any to any -> 192.168.1.23";
const TRANSLATION = /^Not Protected: another program's nat or rdr rules with pass let packets out/;

function onHomeWifi() {
  mac = createFakeMac({ network: macSnapshot(HOME_VPN), now: START });
}

/** Another program loads its main ruleset: macOS's own pf.conf, with `set skip on` in front. */
async function otherProgramLoads(skip: string) {
  const file = `${mac.root}/tmp/other-pf.conf`;
  writeFileSync(file, `${skip}\n${readFileSync(`${mac.root}/etc/pf.conf`, "utf8")}`);
  expect((await mac.pfctlAsRoot(["-f", file])).exitCode).toBe(0);
}

/** Another program's nat pass, in an anchor whose name pfctl will not change from the command line. */
function unchangeableNatPass() {
  const pf = mac.readPf();
  mac.writePf({
    ...pf,
    main: { ...pf.main, nat: [...pf.main.nat, 'nat-anchor "_vm" all'] },
    anchors: { ...pf.anchors, _vm: { filter: [], nat: [NAT_PASS], dummynet: [], tables: [] } },
  });
}

/** The CLI on the fake Mac, its clock the fake one. */
function killswitch(argv: string[], settings: object = {}) {
  const cwd = temporaryDirectory("killswitch-config-");
  writeFileSync(join(cwd, "settings.json"), JSON.stringify(settings));
  return runKillswitch(argv, { platform: "darwin", system: mac.system, cwd, now: () => mac.now() });
}

async function cliStatus() {
  const run = await killswitch(["status"]);
  expect(run.code).toBe(0);
  return run.stdout.split("\n");
}

/** The menu bar, from its reading of the fake Mac as the user opens it. */
async function menuBar() {
  const now = mac.now();
  const exceptions = { exceptions: [], rejected: [] };
  const snapshot = await readStatusSnapshot({ exceptions, now, refreshDetails: true, system: mac.system });
  return buildMenuBarModel({ snapshot, exceptions: [], rejectedExceptions: 0, now, showStateTitle: true });
}

const status = () => getKillSwitchStatus({ system: mac.system, network: macNetworkState(HOME_VPN), now: mac.now() });

/** What Enable Kill Switch shows for a change: its HUD, or the alert's title and first paragraph. */
async function shownFor(change: KillSwitchChange) {
  await reportChange(change, "Kill Switch On · utun4", { network: macNetworkState(HOME_VPN), settings: null });
  const alert = raycast.alerts.at(-1);
  return alert ? `${alert.title} | ${alert.message?.split("\n")[0]}` : (raycast.huds.at(-1) ?? "");
}

describe("while another program's main ruleset makes pf skip en0", () => {
  it("Enable, status and the menu bar say Not Protected naming en0, without the watchdog; then Unverified", async () => {
    onHomeWifi();
    await otherProgramLoads("set skip on { lo0 en0 }");

    const on = await killswitch(["enable", "--config", "settings.json"], { ...SERVER, protectFromStartup: false });
    expect(on.code).toBe(0);
    const [first, ...rest] = on.stdout.split("\n");
    expect(first).toMatch(SKIPS_EN0);
    expect(rest.join("\n")).toContain("Kill switch on: its rules are loaded, but what the first line names passes");
    // Its first line says Not Protected; nothing else claims more.
    expect(rest.join("\n")).not.toMatch(/Protected|Unverified|Note: pf skips/);

    expect((await cliStatus())[0]).toMatch(SKIPS_EN0);
    const json = JSON.parse((await killswitch(["status", "--json"])).stdout);
    expect(json).toMatchObject({ state: "not-protected", headline: expect.stringMatching(SKIPS_EN0) });
    const menu = await menuBar();
    expect(menu).toMatchObject({ state: "not-protected", title: "Not Protected", headline: "Not Protected" });
    expect(menu.tooltip).toMatch(/^VPN Kill Switch: Not Protected: pf skips en0 /);
    expect(menu.notes.join(" ")).toMatch(/take en0 out of its "set skip on"/);

    // The other program puts macOS's own ruleset back: Enable says what it found, and only as of then.
    await otherProgramLoads("");
    await mac.advanceClock(60);
    const again = await killswitch(["enable", "--config", "settings.json"], { ...SERVER, protectFromStartup: false });
    const at = new Date(mac.now()).toISOString().replace(/\.000Z$/, "Z");
    expect(again.stdout.split("\n")[0]).toBe(
      `Kill switch on. Unverified: when last checked (${at}), pf ran the kill switch rules, which let traffic out only through the VPN (utun4); nothing has checked pf since.`,
    );
    expect((await menuBar()).state).toBe("unverified");
  });

  it("Enable, status and the menu bar say Not Protected with the watchdog too, until a check finds en0 filtered again; then Protected", async () => {
    onHomeWifi();
    await otherProgramLoads("set skip on { lo0 en0 }");
    const on = await enable(mac, WATCHED, macNetworkState(HOME_VPN));
    expect(on.report.skippedInterfaces).toEqual(["en0"]);
    expect(on.status.state).toBe("not-protected");
    expect(describeChange(on)[0]).toMatch(SKIPS_EN0);
    // No success HUD: an alert that leads with what passes outside the rules.
    expect(await shownFor(on)).toMatch(/^Not Protected \| Not Protected: pf skips en0 /);
    expect(raycast.huds).toEqual([]);
    // Before the watchdog's first check: what Enable found.
    expect((await status()).notes).toContain(
      `The kill switch's Enable at ${new Date(START * 1000).toISOString().replace(/\.000Z$/, "Z")} found it.`,
    );

    await mac.advanceClock(1);
    expect((await mac.runLaunchDaemon(PRODUCT_ID)).exitCode).toBe(1);
    const checked = await status();
    expect(checked).toMatchObject({ state: "not-protected", headline: expect.stringMatching(SKIPS_EN0) });
    expect(checked.watchdog).toMatchObject({ result: "failed", skippedInterfaces: ["en0"] });
    expect((await cliStatus())[0]).toMatch(SKIPS_EN0);
    expect((await menuBar()).state).toBe("not-protected");

    // The honest case: pf filters en0 again, the check finds our rules first everywhere.
    await otherProgramLoads("set skip on lo0");
    await mac.advanceClock(1);
    await runWatchdog(mac);
    expect(await status()).toMatchObject({
      state: "protected",
      headline: "Protected: traffic leaves only through the VPN (utun4).",
    });
    expect((await cliStatus())[0]).toBe("Protected: traffic leaves only through the VPN (utun4).");
    expect((await menuBar()).state).toBe("protected");
  });
});

describe("while another program's nat pass cannot be set aside", () => {
  it("Enable, status and the menu bar say Not Protected, without the watchdog and with it", async () => {
    onHomeWifi();
    unchangeableNatPass();
    const unchecked = await enable(mac, UNCHECKED, macNetworkState(HOME_VPN));
    expect(unchecked.report.translationPassing).toBe(1);
    expect(describeChange(unchecked)[0]).toMatch(TRANSLATION);
    expect((await cliStatus())[0]).toMatch(TRANSLATION);
    expect((await status()).notes[0]).toMatch(/pf would not let that rule be set aside/);
    expect((await menuBar()).state).toBe("not-protected");

    await mac.advanceClock(1);
    const watched = await enable(mac, WATCHED, macNetworkState(HOME_VPN));
    expect(watched.status.headline).toMatch(TRANSLATION);
    await mac.advanceClock(1);
    expect((await mac.runLaunchDaemon(PRODUCT_ID)).exitCode).toBe(1);
    expect((await status()).notes[0]).toMatch(/they could not be set aside \(anchor _vm:/);
    expect((await cliStatus())[0]).toMatch(TRANSLATION);
    expect((await menuBar()).state).toBe("not-protected");
  });
});

describe("when another program turns pf off after Enable", () => {
  it("without the watchdog, says only what was true when last checked, never Protected", async () => {
    onHomeWifi();
    const on = await enable(mac, UNCHECKED, macNetworkState(HOME_VPN));
    expect(on.status.state).toBe("unverified");
    await mac.advanceClock(30);
    await mac.pfctlAsRoot(["-d"]);
    for (const said of [await status(), { headline: (await cliStatus())[0] }]) {
      expect(said.headline).toMatch(/^Unverified: when last checked \(\S+\), pf ran the kill switch rules,/);
      expect(said.headline).toMatch(/; nothing has checked pf since\.$/);
    }
    expect((await status()).notes[0]).toMatch(
      /^Another program can turn pf off or change its rules without this showing/,
    );
    expect((await menuBar()).state).toBe("unverified");
  });

  it("with the watchdog, its next check turns pf on again and Status says so", async () => {
    onHomeWifi();
    await enable(mac, WATCHED, macNetworkState(HOME_VPN));
    await mac.pfctlAsRoot(["-d"]);
    await mac.advanceClock(1);
    await runWatchdog(mac);
    expect(mac.readPf().enabled).toBe(true);
    const repaired = await status();
    expect(repaired.state).toBe("protected");
    expect(repaired.notes[0]).toMatch(/^The watchdog repaired the kill switch at \S+: enabled pf again/);
    expect(repaired.watchdog).toMatchObject({ pfEnabled: true, skippedInterfaces: [] });
  });
});
