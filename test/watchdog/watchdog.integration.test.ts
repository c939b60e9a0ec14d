import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { disableKillSwitch, getKillSwitchStatus, uninstallKillSwitch } from "../../src/lifecycle";
import {
  ANCHOR_NAME,
  LAUNCH_DAEMON_FILE,
  PRODUCT_ID,
  WATCHDOG_INTERVAL_SECONDS,
  WATCHDOG_SCRIPT_FILE,
} from "../../src/privileged/paths";
import { STATE_FIELDS, STATUS_FIELDS, WATCHDOG_STATUS_FIELDS } from "../../src/privileged/root-contract";
import { loadRootScript } from "../../src/privileged/root-script-loader";

const ROOT_SCRIPT = loadRootScript();
import { runKillswitch } from "../cli/cli-harness";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { buildFailClosedAnchor } from "../../src/pf/anchor";
import { CAFE_ID, HOME_ID, macNetworkState, macSnapshot } from "../fakes/networks";
import { appleMainRuleset, emptyRuleset, evaluationOrder } from "../fakes/pf-model";
import { deriveNetworkState } from "../../src/network/derive";
import { VM_BRIDGE_NOTE, VM_BRIDGED_TO_EN0 } from "../network/bridged-vm";
import {
  anchorRules,
  enable,
  enabledOn,
  expectNoLeak,
  joinNetwork,
  policyOf,
  runWatchdog,
  settingsFrom,
} from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const PROTECTED = settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: true });
const HOME_VPN = { wifi: "home", vpn: "utun4" } as const;

const readJsonFile = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const watchdogStatus = () => readJsonFile(`${mac.stateDirectory}/watchdog.json`);
const recordedState = () => readJsonFile(`${mac.stateDirectory}/state.json`);
/** The network the rules were built for: root's alone, beside the world-readable records. */
const recordedNetwork = () => readFileSync(`${mac.stateDirectory}/network`, "utf8").trim();
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

async function onAtHome(settings = PROTECTED) {
  const enabled = await enabledOn(HOME_VPN, settings);
  mac = enabled.mac;
  return enabled.on;
}

describe("installing the watchdog", () => {
  it("installs a LaunchDaemon running a root-owned copy of the root script, in the Enable prompt", async () => {
    const on = await onAtHome();
    expect(mac.prompts()).toHaveLength(1);
    expect(on.report.watchdog).toBe("installed");
    const script = `${mac.root}${WATCHDOG_SCRIPT_FILE}`;
    const plist = `${mac.root}${LAUNCH_DAEMON_FILE}`;
    expect(readFileSync(script, "utf8")).toBe(ROOT_SCRIPT);
    expect(mode(script)).toBe("755");
    expect(mode(plist)).toBe("644");
    expect(statSync(plist).uid).toBe(statSync(mac.stateDirectory).uid);
    expect(mac.launchDaemons()).toEqual([
      {
        label: PRODUCT_ID,
        plist,
        programArguments: [`${mac.root}/bin/sh`, script, "watch", mac.root],
        runAtLoad: true,
        startInterval: WATCHDOG_INTERVAL_SECONDS,
        watchPaths: ["/private/var/run/resolv.conf", "/Library/Preferences/SystemConfiguration"],
      },
    ]);
    expect(recordedState()).toMatchObject({ protectFromStartup: true });
    expect(recordedNetwork()).toBe(HOME_ID);
    expect(on.status.protectFromStartup).toBe(true);

    // Enabling again with nothing changed leaves launchd alone.
    const again = await enable(mac, PROTECTED, macNetworkState(HOME_VPN));
    expect(again.report.watchdog).toBe("kept");
  });

  it("runs its own root-owned copy, never the script in the extension's folder", async () => {
    await onAtHome();
    const script = `${mac.root}${WATCHDOG_SCRIPT_FILE}`;
    const [job] = mac.launchDaemons();
    // Only paths inside the root-owned folder: nothing the user's account can write is run by launchd.
    expect(job.programArguments.slice(0, 2)).toEqual([`${mac.root}/bin/sh`, script]);
    expect(statSync(mac.stateDirectory).mode & 0o022).toBe(0);
    expect(statSync(script).mode & 0o022).toBe(0);
    // The check runs that copy: a mark put in it (as root could) shows up, the extension's copy is not read.
    writeFileSync(script, `${ROOT_SCRIPT.replace(/\n/, `\necho ran-root-copy >"${mac.root}/tmp/mark"\n`)}`);
    await runWatchdog(mac);
    expect(readFileSync(`${mac.root}/tmp/mark`, "utf8")).toBe("ran-root-copy\n");
  });

  it("removes an installed watchdog when Enable runs with the setting off", async () => {
    await onAtHome();
    const off = await enable(
      mac,
      settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: false }),
      macNetworkState(HOME_VPN),
    );
    expect(off.report.watchdog).toBe("removed");
    expect(mac.launchDaemons()).toEqual([]);
    expect(existsSync(`${mac.root}${LAUNCH_DAEMON_FILE}`)).toBe(false);
    expect(existsSync(`${mac.root}${WATCHDOG_SCRIPT_FILE}`)).toBe(false);
    expect(recordedState().protectFromStartup).toBe(false);
  });

  it("says so, and keeps the rules on, when launchd refuses the job", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    // A plist of ours that is world-writable: launchd refuses it, and so must the install.
    rmLaunchctl(mac);
    const on = await enable(mac, PROTECTED, macNetworkState(HOME_VPN));
    expect(on.report.watchdog).toBe("failed");
    expect(on.notes.join(" ")).toMatch(/Protection from startup could not be installed/);
    expect(mac.readPf().anchors[ANCHOR_NAME].filter).toContain("block drop in log (user) quick all");
    expect(recordedState().protectFromStartup).toBe(false);
  });
});

/** launchctl missing altogether (a stand-in for launchd refusing): every call fails. */
function rmLaunchctl(fake: FakeMac) {
  fake.replaceProgram("launchctl", "#!/bin/sh\necho 'Bootstrap failed: 5: Input/output error' >&2\nexit 5\n");
}

describe("at boot", () => {
  it("loads the blocking rules before anyone logs in, from an empty pf, and records a repair", async () => {
    await onAtHome();
    const policy = await policyOf(PROTECTED);
    const token = recordedState().reference;
    mac.reboot();
    // Before com.apple.pfctl has loaded /etc/pf.conf: no rules at all, pf stopped.
    mac.writePf({ ...mac.readPf(), main: emptyRuleset(), anchors: {} });
    expect(mac.launchDaemons().map((job) => [job.label, job.runAtLoad])).toEqual([[PRODUCT_ID, true]]);
    const booting = joinNetwork(mac, { wifi: "home", vpn: null });
    await runWatchdog(mac);

    expectNoLeak(mac, policy, booting, new Date(), "boot");
    expect(anchorRules(mac)).not.toMatch(/pass (out )?quick on utun/);
    expect(mac.readPf().main.filter).toEqual([`anchor "${ANCHOR_NAME}" all`]);
    const state = recordedState();
    expect(state.reference).not.toBe(token);
    expect(state).toMatchObject({ tunnels: [], attachment: "main", bootTime: 1_700_000_000 + 86_400 });
    expect(watchdogStatus()).toMatchObject({
      result: "repaired",
      message:
        "loaded the rules after a restart, re-attached the kill switch anchor to the main ruleset; now letting through no tunnel (blocking mode)",
      pfEnabled: true,
      tunnels: [],
      rulesFile: "other.pf",
    });
    const status = await getKillSwitchStatus({ system: mac.system, network: booting, now: mac.now() });
    expect(status.state).toBe("blocking");
    expect(status.notes.join(" ")).toMatch(
      /The watchdog repaired the kill switch at .*loaded the rules after a restart/,
    );

    // Apple's pf.conf loads next: the anchor point is back, our child still runs first.
    await mac.pfctlAsRoot(["-f", `${mac.root}/etc/pf.conf`]);
    await runWatchdog(mac);
    expect(evaluationOrder(mac.readPf())[0]).toBe(ANCHOR_NAME);
    expect(watchdogStatus().result).toBe("ok");
    expect(recordedState().attachment).toBe("com.apple");
  });
});

describe("under bash in sh mode, as /bin/sh is on a Mac", () => {
  it("boots, follows a renumbered tunnel and repairs the same way", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN), shell: "/bin/bash" });
    await enable(mac, PROTECTED, macNetworkState(HOME_VPN));
    const policy = await policyOf(PROTECTED);
    mac.reboot();
    const renumbered = joinNetwork(mac, { wifi: "home", vpn: "utun5" });
    await runWatchdog(mac);
    expectNoLeak(mac, policy, renumbered, new Date(), "bash: boot with the VPN on utun5");
    expect(watchdogStatus()).toMatchObject({ result: "repaired", tunnels: ["utun5"] });
    await mac.pfctlAsRoot(["-d"]);
    await runWatchdog(mac);
    expectNoLeak(mac, policy, renumbered, new Date(), "bash: pf stopped by someone");
  });
});

describe("repairs", () => {
  it("re-attaches the anchor when another program replaces the main ruleset without Apple's anchor point", async () => {
    await onAtHome();
    const policy = await policyOf(PROTECTED);
    const pf = mac.readPf();
    mac.writePf({ ...pf, main: { ...emptyRuleset(), filter: ['anchor "vmtool" all'] } });
    expect(evaluationOrder(mac.readPf())).not.toContain(ANCHOR_NAME);
    await runWatchdog(mac);
    expect(mac.readPf().main.filter).toEqual([`anchor "${ANCHOR_NAME}" all`, 'anchor "vmtool" all']);
    expectNoLeak(mac, policy, macNetworkState(HOME_VPN), new Date(), "re-attached");
    expect(watchdogStatus()).toMatchObject({ result: "repaired", lastRepair: expect.stringMatching(/re-attached/) });
  });

  it("enables pf again when someone stopped it (pfctl -d), with a new reference", async () => {
    await onAtHome();
    const token = recordedState().reference;
    await mac.pfctlAsRoot(["-d"]);
    expect(mac.readPf()).toMatchObject({ enabled: false, references: [] });
    await runWatchdog(mac);
    expect(mac.readPf().enabled).toBe(true);
    expect(mac.readPf().references.map((r) => r.token)).toEqual([recordedState().reference]);
    expect(recordedState().reference).not.toBe(token);
    expect(watchdogStatus().lastRepair).toMatch(/enabled pf again/);
  });

  it("takes a reference again when ours was released by someone else", async () => {
    await onAtHome();
    await mac.pfctlAsRoot(["-X", recordedState().reference]);
    await runWatchdog(mac);
    expect(mac.readPf().enabled).toBe(true);
    expect(mac.readPf().references).toHaveLength(1);
  });

  it("says Not Protected while another program's main ruleset makes pf skip a physical interface", async () => {
    await onAtHome();
    const conf = readFileSync(`${mac.root}/etc/pf.conf`, "utf8");
    const other = `${mac.root}/tmp/other-pf.conf`;
    // lo0 skipped, as VPN apps do: harmless, our rules pass it anyway.
    writeFileSync(other, `set skip on lo0\n${conf}`);
    await mac.pfctlAsRoot(["-f", other]);
    await runWatchdog(mac);
    expect(watchdogStatus().result).not.toBe("failed");
    expect(evaluationOrder(mac.readPf())[0]).toBe(ANCHOR_NAME);

    writeFileSync(other, `set skip on { lo0 en0 }\n${conf}`);
    await mac.pfctlAsRoot(["-f", other]);
    await mac.advanceClock(1); // a check after the Enable, as launchd runs it
    expect((await mac.runLaunchDaemon(PRODUCT_ID)).exitCode).toBe(1); // a check that failed, as for others
    expect(watchdogStatus()).toMatchObject({ result: "failed", failedClosed: false });
    expect(watchdogStatus().message).toMatch(
      /^pf skips en0 \(set skip on, in the main ruleset\): nothing is filtered there/,
    );
    const status = await getKillSwitchStatus({
      system: mac.system,
      network: macNetworkState(HOME_VPN),
      now: mac.now(),
    });
    expect(status.state).toBe("not-protected");
    expect(status.notes[0]).toMatch(/^pf skips en0/);
    // Enable says so too, and the rules stay loaded.
    const again = await enable(mac, PROTECTED, macNetworkState(HOME_VPN));
    expect(again.status).toMatchObject({
      state: "not-protected",
      headline: expect.stringMatching(/^Not Protected: pf skips en0 /),
    });

    // A check that repairs (and so rewrites state.json) in the same second as that Enable still says so.
    await mac.pfctlAsRoot(["-a", ANCHOR_NAME, "-F", "all"]);
    expect((await mac.runLaunchDaemon(PRODUCT_ID)).exitCode).toBe(1);
    expect(watchdogStatus().message).toMatch(/put back the kill switch rules, which were gone from pf$/);
    expect(recordedState().changedBy).toBe("watchdog");
    const repaired = await getKillSwitchStatus({
      system: mac.system,
      network: macNetworkState(HOME_VPN),
      now: mac.now(),
    });
    expect(repaired.state).toBe("not-protected");

    // Once the other program's rules no longer skip it, the next check is good again.
    await mac.pfctlAsRoot(["-f", `${mac.root}/etc/pf.conf`]);
    await mac.advanceClock(1);
    await runWatchdog(mac);
    expect(watchdogStatus().result).not.toBe("failed");
  });

  it("says Not Protected while a virtual machine is bridged to Wi-Fi, past pf, and Enable warns", async () => {
    await onAtHome();
    const bridged = {
      ...macSnapshot(HOME_VPN),
      ifconfig: `${macSnapshot(HOME_VPN).ifconfig ?? ""}${VM_BRIDGED_TO_EN0}`,
    };
    mac.setNetwork(bridged);
    await mac.advanceClock(1);
    expect((await mac.runLaunchDaemon(PRODUCT_ID)).exitCode).toBe(1);
    expect(watchdogStatus()).toMatchObject({ result: "failed", failedClosed: false, message: VM_BRIDGE_NOTE });
    expect(evaluationOrder(mac.readPf())[0]).toBe(ANCHOR_NAME); // the rules stay in force
    const status = await getKillSwitchStatus({
      system: mac.system,
      network: deriveNetworkState(bridged),
      now: mac.now(),
    });
    expect(status).toMatchObject({ state: "not-protected", headline: `Not Protected: ${VM_BRIDGE_NOTE}.` });
    const again = await enable(mac, PROTECTED, deriveNetworkState(bridged));
    expect(again.notes.join(" ")).toContain(
      `A bridge forwards past pf, so past the kill switch rules: ${VM_BRIDGE_NOTE}.`,
    );

    // The virtual machine shut down: the bridge is gone, and the next check is good again.
    mac.setNetwork(macSnapshot(HOME_VPN));
    await mac.advanceClock(1);
    await runWatchdog(mac);
    expect(watchdogStatus().result).not.toBe("failed");
  });

  it("sets another program's main rules aside, never leaving ours behind them, when they cannot be kept", async () => {
    await onAtHome();
    const policy = await policyOf(PROTECTED);
    // A main ruleset with an inline anchor that passes everything: pf cannot reload it as it prints it.
    const pf = mac.readPf();
    mac.writePf({ ...pf, main: { ...emptyRuleset(), filter: ['anchor "_1" all {', "pass quick all", "}"] } });
    expect(evaluationOrder(mac.readPf())).not.toContain(ANCHOR_NAME);
    await mac.advanceClock(1);
    await runWatchdog(mac);
    expect(mac.readPf().main.filter).toEqual([`anchor "${ANCHOR_NAME}" all`]);
    expectNoLeak(mac, policy, macNetworkState(HOME_VPN), mac.now(), "other rules set aside");
    expect(watchdogStatus()).toMatchObject({ result: "repaired", attachment: "main" });
    expect(watchdogStatus().message).toMatch(
      /set the other main pf rules aside to put the kill switch first \(the main ruleset holds inline anchors/,
    );
    // The next check finds our anchor first and changes nothing.
    await runWatchdog(mac);
    expect(watchdogStatus().result).toBe("ok");
  });

  it("puts the rules back when another program replaced them, even with rules that end as ours do", async () => {
    await onAtHome();
    const before = anchorRules(mac);
    const replaced = `${mac.root}/tmp/other-rules.pf`;
    writeFileSync(
      replaced,
      "pass out quick all\nblock return out log (user) quick all\nblock drop in log (user) quick all\n",
    );
    expect((await mac.pfctlAsRoot(["-a", ANCHOR_NAME, "-f", replaced])).exitCode).toBe(0);
    expect(anchorRules(mac)).toMatch(/^pass out quick all$/m);
    await runWatchdog(mac);
    expect(anchorRules(mac)).toBe(before);
    expect(watchdogStatus()).toMatchObject({
      result: "repaired",
      message: "put back the kill switch rules, which another program had replaced",
    });
    // The next check finds them as loaded: nothing more to repair.
    await runWatchdog(mac);
    expect(watchdogStatus().result).toBe("ok");
  });

  it("puts the rules back when our anchor was flushed, and kills what opened meanwhile", async () => {
    await onAtHome();
    const before = anchorRules(mac);
    await mac.pfctlAsRoot(["-a", ANCHOR_NAME, "-F", "all"]);
    const pf = mac.readPf();
    mac.writePf({
      ...pf,
      states: [
        {
          iface: "ALL",
          proto: "tcp",
          direction: "out",
          lan: "192.168.1.23",
          lanPort: 50123,
          ext: "93.184.216.34",
          extPort: 443,
          description: "ESTABLISHED:ESTABLISHED",
        },
      ],
    });
    await runWatchdog(mac);
    expect(anchorRules(mac)).toBe(before);
    expect(mac.readPf().states).toEqual([]);
    expect(watchdogStatus().lastRepair).toMatch(/put back the kill switch rules, which were gone from pf/);
  });

  it("never loads a lost or truncated rules file in place of the kill switch: it fails closed", async () => {
    await onAtHome();
    const template = `${mac.stateDirectory}/rules/other.pf`;
    writeFileSync(template, readFileSync(template, "utf8").split("# Everything else")[0]);
    joinNetwork(mac, { wifi: "cafe", vpn: "utun4" });
    await mac.advanceClock(10);
    // A failed check exits non-zero (launchd logs it) and runs again at the next interval.
    expect((await mac.runLaunchDaemon(PRODUCT_ID)).exitCode).toBe(1);
    // Neither the truncated rules nor the home network's: the fail-closed rules (VPN servers, link plumbing)
    // for the cafe's link.
    const failClosed = buildFailClosedAnchor({
      policy: await policyOf(PROTECTED),
      network: macNetworkState({ wifi: "cafe", vpn: "utun4" }),
      now: mac.now(),
    });
    expect(anchorRules(mac)).toBe(
      `${failClosed
        .split("\n")
        .filter((l) => l !== "" && !l.startsWith("#"))
        .join("\n")}\n`,
    );
    expect(watchdogStatus()).toMatchObject({
      result: "failed",
      failedClosed: true,
      message: expect.stringMatching(/missing or incomplete; blocking with the fail-closed rules/),
    });
    const status = await getKillSwitchStatus({
      system: mac.system,
      network: macNetworkState(HOME_VPN),
      now: mac.now(),
    });
    expect(status.state).toBe("safe-mode");
  });

  it("changes nothing and says ok when everything is in force", async () => {
    await onAtHome();
    const pf = mac.readPf();
    const state = recordedState();
    const calls = mac.pfctlCalls().length;
    await runWatchdog(mac);
    expect(mac.readPf()).toEqual(pf);
    expect(recordedState()).toEqual(state);
    expect(watchdogStatus()).toMatchObject({ result: "ok", message: "rules in force", lastRepair: null });
    // It only looked: no load, no reference, no kill.
    const changes = mac
      .pfctlCalls()
      .slice(calls)
      .filter((args) => ["-f", "-E", "-k", "-X", "-F"].some((flag) => args.includes(flag)));
    expect(changes).toEqual([]);
  });
});

describe("following the network", () => {
  it("lets the VPN through on its new tunnel, and nothing new outside it", async () => {
    await onAtHome();
    const policy = await policyOf(PROTECTED);
    const renumbered = joinNetwork(mac, { wifi: "home", vpn: "utun5", moreTunnels: [] });
    await runWatchdog(mac);
    expect(anchorRules(mac)).toContain("pass out quick on utun5 all flags any keep state (if-bound)");
    expect(anchorRules(mac)).not.toContain("utun4");
    expectNoLeak(mac, policy, renumbered, new Date(), "renumbered");
    expect(recordedState().tunnels).toEqual(["utun5"]);
    expect(watchdogStatus()).toMatchObject({ result: "ok", message: "now letting through utun5", tunnels: ["utun5"] });
    const status = await getKillSwitchStatus({ system: mac.system, network: renumbered, now: mac.now() });
    expect(status).toMatchObject({ state: "protected", activeTunnel: "utun5" });
  });

  it("switches to the new network's exceptions and stops the old ones", async () => {
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7"],
      protectFromStartup: true,
      exceptions: [
        { address: "192.168.1.40", label: "Home printer", scope: HOME_ID },
        { address: "192.168.50.9", label: "Cafe printer", scope: CAFE_ID },
      ],
    });
    await onAtHome(settings);
    const policy = await policyOf(settings);
    expect(anchorRules(mac)).toContain("192.168.1.40");
    const cafe = joinNetwork(mac, { wifi: "cafe", vpn: null });
    await runWatchdog(mac);
    expect(anchorRules(mac)).toContain("to 192.168.50.9 flags any keep state");
    expect(anchorRules(mac)).not.toContain("192.168.1.40");
    expectNoLeak(mac, policy, cafe, new Date(), "cafe");
    expect(recordedNetwork()).toBe(CAFE_ID);
    expect(watchdogStatus().rulesFile).toBe("network-2.pf");

    const elsewhere = joinNetwork(mac, { wifi: "cafe", vpn: "utun4" });
    // An unknown router at the cafe's address: any other network.
    mac.setNetwork({ ...macSnapshot({ wifi: "cafe", vpn: "utun4" }), arp: "", netstatRoutes: "" });
    await runWatchdog(mac);
    expect(anchorRules(mac)).not.toContain("192.168.50.9");
    expect(watchdogStatus().rulesFile).toBe("other.pf");
    expectNoLeak(mac, policy, { ...elsewhere, identity: null }, new Date(), "unknown network");
  });
});

describe("respecting the user", () => {
  it("never puts anything back after Disable, even if launchd still ran it", async () => {
    await onAtHome();
    const installed = mac.launchDaemons()[0];
    const off = await disableKillSwitch({ system: mac.system });
    expect(off.report.watchdog).toBe("removed");
    expect(mac.launchDaemons()).toEqual([]);
    expect(existsSync(mac.stateDirectory)).toBe(false);
    const pf = mac.readPf();
    // A run that launchd had already started: the script is gone from disk, so run the same text by hand.
    mkdirSync(mac.stateDirectory, { recursive: true });
    writeFileSync(installed.programArguments[1], ROOT_SCRIPT);
    const run = await mac.system.run("sh", [installed.programArguments[1], "watch", mac.root], {
      env: { FAKE_MAC_UID: "0" },
    });
    expect(run.exitCode).toBe(0);
    expect(mac.readPf()).toEqual(pf);
    expect(existsSync(`${mac.stateDirectory}/watchdog.json`)).toBe(false);
  });

  it("keeps the watchdog when Disable fails, so nothing is half off", async () => {
    await onAtHome();
    mac.failPfctl(["-a", ANCHOR_NAME, "-F", "all"], "pfctl: DIOCXBEGIN: Device busy");
    const error = await disableKillSwitch({ system: mac.system }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "load-failed" });
    expect(mac.launchDaemons().map((job) => job.label)).toEqual([PRODUCT_ID]);
    expect(existsSync(`${mac.root}${WATCHDOG_SCRIPT_FILE}`)).toBe(true);
  });

  it("waits for a running action instead of acting in the middle of it", async () => {
    await onAtHome();
    await mac.pfctlAsRoot(["-a", ANCHOR_NAME, "-F", "all"]);
    const lock = `${mac.root}/var/run/${PRODUCT_ID}.lock`;
    mkdirSync(lock);
    writeFileSync(`${lock}/pid`, `${process.pid}\n`);
    await runWatchdog(mac);
    expect(anchorRules(mac)).toBe("");
    // The holder is gone (its process ended): the lock is stale and taken over.
    writeFileSync(`${lock}/pid`, "999999999\n");
    await runWatchdog(mac);
    expect(anchorRules(mac)).toContain("block drop in log (user) quick all");
    expect(existsSync(lock)).toBe(false);
  });
});

describe("the status", () => {
  it("is Watchdog Stopped when the watchdog has not checked for three intervals while the kill switch is on", async () => {
    await onAtHome();
    await runWatchdog(mac);
    const network = macNetworkState(HOME_VPN);
    const status = () => getKillSwitchStatus({ system: mac.system, network, now: mac.now() });
    await mac.advanceClock(3 * WATCHDOG_INTERVAL_SECONDS);
    expect((await status()).state).toBe("protected");
    await mac.advanceClock(1);
    const stale = await status();
    expect(stale.state).toBe("watchdog-stopped");
    expect(stale.headline).toMatch(/startup watchdog has stopped checking/);
    // A check, and it is fresh again.
    await runWatchdog(mac);
    expect((await status()).state).toBe("protected");
    // Without the setting nobody checks: never stale, but never more than Unverified either.
    await enable(mac, settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: false }), network, {
      now: mac.now(),
    });
    await mac.advanceClock(3600);
    expect((await status()).state).toBe("unverified");
  });

  it("keeps everything that names the user's networks readable by root only", async () => {
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7"],
      protectFromStartup: true,
      exceptions: [{ address: "192.168.1.40", label: "Living-room printer", scope: HOME_ID }],
    });
    await onAtHome(settings);
    await runWatchdog(mac);
    const secrets = ["3c:a6:2f:08:1e:7b", "192.168.1.0/24", "192.168.1.40", "Living-room printer", HOME_ID];
    const entries = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = `${dir}/${name}`;
        return statSync(path).isDirectory() ? [path, ...entries(path)] : [path];
      });
    const readable = entries(mac.stateDirectory).filter((path) => statSync(path).mode & 0o004);
    // What others may read: the records the status shows (resolved.json too, with host names in the
    // settings), the watchdog's code. None names a network.
    expect(readable.map((path) => path.slice(mac.stateDirectory.length + 1)).sort()).toEqual([
      "status.json",
      "watchdog.json",
      "watchdog.sh",
    ]);
    for (const path of readable) {
      for (const secret of secrets) expect(readFileSync(path, "utf8"), path).not.toContain(secret);
    }
    // The rules, the templates and the network record do name it: root's alone.
    expect(mode(`${mac.stateDirectory}/network`)).toBe("600");
    // The rules in force are the admin group's to read too (gid 80: Verify reads them without a prompt).
    expect(mode(`${mac.stateDirectory}/anchor.pf`)).toBe(process.getuid?.() === 0 ? "640" : "600");
    expect(mode(`${mac.stateDirectory}/rules`)).toBe("700");
    expect(readFileSync(`${mac.stateDirectory}/anchor.pf`, "utf8")).toContain("Living-room printer");
  });

  it("reports what the watchdog found, readable without root", async () => {
    await onAtHome();
    await runWatchdog(mac);
    expect(mode(`${mac.stateDirectory}/watchdog.json`)).toBe("644");
    // The records hold exactly the fields of root-contract.json, the ones TypeScript's schemas read.
    expect(Object.keys(watchdogStatus())).toEqual([...WATCHDOG_STATUS_FIELDS]);
    expect(Object.keys(recordedState())).toEqual([...STATE_FIELDS]);
    expect(Object.keys(readJsonFile(`${mac.stateDirectory}/status.json`))).toEqual([...STATUS_FIELDS]);
    // Status shows nothing the world-readable file lacks: the pf token and the anchor stay root's.
    expect(readFileSync(`${mac.stateDirectory}/status.json`, "utf8")).not.toContain(recordedState().reference);
    const status = await getKillSwitchStatus({
      system: mac.system,
      network: macNetworkState(HOME_VPN),
      now: mac.now(),
    });
    expect(status.watchdog).toMatchObject({
      version: 1,
      watchdogVersion: expect.any(Number),
      result: "ok",
      pfEnabled: true,
      attachment: "com.apple",
      tunnels: ["utun4"],
      rulesHash: expect.stringMatching(/^\d+$/),
    });
  });
});

describe("counters without a password", () => {
  it("each check writes what pf counted on the rules, and Status and status --json show it", async () => {
    const on = await onAtHome();
    const loadedAt = Math.floor(mac.now().getTime() / 1000);
    const pf = mac.readPf();
    const rules = pf.anchors[ANCHOR_NAME].filter;
    const count: Record<string, number> = {
      "block return out log (user) quick all": 42,
      "block drop in log (user) quick all": 3,
      "block return out log (user) quick proto { tcp, udp } from any to any port { 53, 853 }": 5,
      "pass out quick inet from any to 198.51.100.7 flags any keep state (if-bound)": 1204,
    };
    expect(Object.keys(count).every((rule) => rules.includes(rule))).toBe(true);
    mac.writePf({ ...pf, packets: { [ANCHOR_NAME]: rules.map((rule) => count[rule] ?? 0) } });
    await mac.advanceClock(10);
    await runWatchdog(mac);
    const counters = { since: loadedAt, blockedOut: 42, blockedIn: 3, dnsRefused: 5, toVpnServers: 1204 };
    expect(watchdogStatus().counters).toEqual(counters);
    const status = await getKillSwitchStatus({
      system: mac.system,
      network: macNetworkState(HOME_VPN),
      now: mac.now(),
    });
    expect(status.state).toBe("protected");
    expect(status.counters).toEqual(counters);
    expect(status.notes).toContainEqual(
      expect.stringMatching(
        /^Since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, pf refused 42 packets going out, 5 DNS packets outside the tunnel and 3 packets coming in; 1204 went to the VPN servers\.$/,
      ),
    );
    const cli = await runKillswitch(["status", "--json"], { platform: "darwin", system: mac.system });
    expect(JSON.parse(cli.stdout).counters).toEqual(counters);
    // A reload starts pf's counts again, and the time they count from.
    expect(on.report.action).toBe("enable");
    await mac.advanceClock(60);
    await enable(mac, PROTECTED, macNetworkState(HOME_VPN));
    await runWatchdog(mac);
    expect(watchdogStatus().counters).toEqual({
      since: loadedAt + 70,
      blockedOut: 0,
      blockedIn: 0,
      dnsRefused: 0,
      toVpnServers: 0,
    });
  });
});

describe("uninstall", () => {
  it("removes the daemon, its files, our anchor and our reference, leaving no trace", async () => {
    await onAtHome();
    await runWatchdog(mac);
    writeFileSync(`${mac.stateDirectory}/left-over.txt`, "from an older version\n");
    const before = mac.readPf();
    const removed = await uninstallKillSwitch({ system: mac.system });
    expect(mac.prompts()).toHaveLength(2);
    expect(removed.report.removed).toEqual([LAUNCH_DAEMON_FILE, mac.stateDirectory.slice(mac.root.length)]);
    expect(mac.launchDaemons()).toEqual([]);
    expect(existsSync(`${mac.root}${LAUNCH_DAEMON_FILE}`)).toBe(false);
    expect(existsSync(mac.stateDirectory)).toBe(false);
    const pf = mac.readPf();
    expect(pf.anchors[ANCHOR_NAME]).toBeUndefined();
    expect(pf.main.filter).toEqual(appleMainRuleset().filter);
    expect(pf.references).toEqual([]);
    expect(before.references).toHaveLength(1);
    expect(removed.status.state).toBe("off");
  });
});
