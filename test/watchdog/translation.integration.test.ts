import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { getKillSwitchStatus } from "../../src/lifecycle";
import { PRODUCT_ID } from "../../src/privileged/paths";
import { createEvaluator } from "../../src/verify/evaluate";
import { parsePfRules } from "../../src/verify/parse-rules";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { anchorRules, enable, enabledOn, runWatchdog, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const PROTECTED = settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: true });
const HOME_VPN = { wifi: "home", vpn: "utun4" } as const;
const NAT_PASS = "nat pass on en0 inet from any to any -> 192.168.1.23";
const RDR_PASS = "rdr pass on en0 inet proto tcp from any to any port = 2222 -> 192.168.64.2 port 22";
const APPLE_TRANSLATION = ['nat-anchor "com.apple/*" all', 'rdr-anchor "com.apple/*" all'];

const watchdogStatus = () => JSON.parse(readFileSync(`${mac.stateDirectory}/watchdog.json`, "utf8"));
const status = () => getKillSwitchStatus({ system: mac.system, network: macNetworkState(HOME_VPN), now: mac.now() });

async function onAtHome() {
  mac = (await enabledOn(HOME_VPN, PROTECTED)).mac;
}

/** Another program loads translation rules, as `pfctl [-a ANCHOR] -N -f FILE` does. */
async function loadTranslation(lines: string[], anchor?: string) {
  const file = `${mac.root}/tmp/other-nat.conf`;
  writeFileSync(file, `${lines.join("\n")}\n`);
  const run = await mac.pfctlAsRoot([...(anchor ? ["-a", anchor] : []), "-N", "-f", file]);
  expect(run.exitCode).toBe(0);
}

/** What pf does with a new connection out of en0 to a site: every ruleset's translation rules, then ours. */
function verdictOutOfEn0(): string {
  const pf = mac.readPf();
  const translation = [pf.main, ...Object.values(pf.anchors)].flatMap((ruleset) => ruleset.nat);
  const parsed = parsePfRules(`${translation.join("\n")}\n${anchorRules(mac)}`);
  expect(parsed.errors).toEqual([]);
  return createEvaluator(parsed)({
    direction: "out",
    interface: "en0",
    family: "inet",
    protocol: "tcp",
    source: "192.168.1.23",
    destination: "93.184.216.34",
    sourcePort: 49152,
    destinationPort: 443,
  }).action;
}

/** A check that finds a problem exits 1, as launchd sees it. */
async function failingCheck() {
  await mac.advanceClock(1);
  expect((await mac.runLaunchDaemon(PRODUCT_ID)).exitCode).toBe(1);
}

describe("another program's translation rules", () => {
  it("sets a nat pass in the main ruleset aside and says Not Protected, naming it, until it is gone", async () => {
    await onAtHome();
    await loadTranslation([...APPLE_TRANSLATION, NAT_PASS]);
    expect(verdictOutOfEn0()).toBe("pass");

    await failingCheck();
    expect(watchdogStatus()).toMatchObject({ result: "failed", translationPasses: 1 });
    expect(watchdogStatus().message).toContain(`${NAT_PASS} (in the main ruleset)`);
    // Kept as a translation, without pass: Apple's anchor calls stay, and our rules decide its packets.
    expect(mac.readPf().main.nat).toEqual([...APPLE_TRANSLATION, "nat on en0 inet from any to any -> 192.168.1.23"]);
    expect(verdictOutOfEn0()).toBe("block");
    const exposed = await status();
    expect(exposed.state).toBe("not-protected");
    expect(exposed.headline).toMatch(/another program's nat or rdr rules with pass/);
    expect(exposed.notes[0]).toContain(NAT_PASS);

    await mac.advanceClock(1);
    await runWatchdog(mac);
    expect(watchdogStatus()).toMatchObject({ result: "ok", translationPasses: 0 });
    expect((await status()).state).toBe("protected");
  });

  it("sets an rdr pass in another anchor aside, leaving that anchor's filter rules as they are", async () => {
    await onAtHome();
    const file = `${mac.root}/tmp/vmtool.conf`;
    writeFileSync(file, `${RDR_PASS}\npass in quick on bridge100 all\n`);
    expect((await mac.pfctlAsRoot(["-a", "vmtool", "-f", file])).exitCode).toBe(0);
    await loadTranslation([...APPLE_TRANSLATION, 'rdr-anchor "vmtool" all']);

    await failingCheck();
    expect(watchdogStatus().message).toContain(`${RDR_PASS} (in anchor vmtool)`);
    expect(mac.readPf().anchors.vmtool).toMatchObject({
      nat: [RDR_PASS.replace("rdr pass ", "rdr ")],
      filter: ["pass in quick on bridge100 all"],
    });
    expect((await status()).state).toBe("not-protected");
  });

  it("leaves a plain nat alone (Internet Sharing's), and a translation on lo0 (sshuttle's)", async () => {
    await onAtHome();
    const sharing = [
      "nat on en0 inet from 192.168.2.0/24 to any -> 192.168.1.23",
      "no nat on bridge100 inet from 192.168.2.1 to 192.168.2.0/24",
    ];
    await loadTranslation(sharing, "com.apple.internet-sharing");
    await loadTranslation([
      'nat-anchor "com.apple.internet-sharing" all',
      'rdr-anchor "sshuttle-12300" all',
      ...APPLE_TRANSLATION,
    ]);
    // sshuttle's rdr pass on lo0: its packets stay on this Mac, and our rules pass lo0 anyway.
    const sshuttle = ["rdr pass on lo0 inet proto tcp from any to 10.0.0.0/8 -> 127.0.0.1 port 12300"];
    await loadTranslation(sshuttle, "sshuttle-12300");
    await mac.advanceClock(1);
    await runWatchdog(mac);
    expect(watchdogStatus()).toMatchObject({ result: "ok", translationPasses: 0 });
    expect(mac.readPf().anchors["com.apple.internet-sharing"].nat).toEqual(sharing);
    expect(mac.readPf().anchors["sshuttle-12300"].nat).toEqual(sshuttle);
    expect((await status()).state).toBe("protected");
  });

  it("leaves an anchor no translation rule calls: pf never evaluates its nat pass", async () => {
    await onAtHome();
    await loadTranslation([NAT_PASS], "unused");
    await mac.advanceClock(1);
    await runWatchdog(mac);
    expect(watchdogStatus()).toMatchObject({ result: "ok", translationPasses: 0 });
    expect(mac.readPf().anchors.unused.nat).toEqual([NAT_PASS]);
  });

  it("says Not Protected when pf does not let the rule be set aside", async () => {
    await onAtHome();
    // pfctl cannot change anchors whose names begin with "_" from the command line.
    const pf = mac.readPf();
    mac.writePf({
      ...pf,
      main: { ...pf.main, nat: [...pf.main.nat, 'nat-anchor "_vm" all'] },
      anchors: { ...pf.anchors, _vm: { filter: [], nat: [NAT_PASS], dummynet: [], tables: [] } },
    });
    await failingCheck();
    expect(watchdogStatus().message).toMatch(/they could not be set aside \(anchor _vm: pfctl: anchor names beginning/);
    expect(mac.readPf().anchors._vm.nat).toEqual([NAT_PASS]);
    expect((await status()).state).toBe("not-protected");
  });

  it("Enable sets a nat pass aside too, and says so", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    const pf = mac.readPf();
    mac.writePf({ ...pf, main: { ...pf.main, nat: [...pf.main.nat, NAT_PASS] } });
    const on = await enable(mac, PROTECTED, macNetworkState(HOME_VPN));
    expect(on.notes.join(" ")).toContain(`${NAT_PASS} (in the main ruleset). They were set aside`);
    expect(mac.readPf().main.nat).not.toContain(NAT_PASS);
    expect(verdictOutOfEn0()).toBe("block");
    expect(on.status.state).toBe("protected");
  });
});
