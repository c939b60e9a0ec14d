/**
 * The steady check: a watchdog check that finds nothing changed since the last full check starts a handful of
 * programs (counted as the boot trace counts them: every program the run starts, the shell's builtins aside), and
 * a check after any change the rules depend on, on the network or in pf, still follows it or repairs it at once.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { getKillSwitchStatus } from "../../src/lifecycle";
import { ANCHOR_NAME, PRODUCT_ID } from "../../src/privileged/paths";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { traceWatchdog } from "../fakes/boot-trace";
import { type FakeMac, createFakeMac, killNow } from "../fakes/fake-mac";
import { preparedFakeMac } from "../fakes/prepared-mac";
import { macNetworkState, macSnapshot, mapText } from "../fakes/networks";
import { evaluationOrder } from "../fakes/pf-model";
import { anchorRules, enable, inspect, runWatchdog, settingsFrom } from "./helpers";

const HOME_VPN = { wifi: "home", vpn: "utun4" } as const;
const SETTINGS = settingsFrom({
  vpnServers: ["198.51.100.7:1194/udp"],
  protectFromStartup: true,
  exceptions: [
    {
      address: "192.168.1.40",
      label: "Home printer",
      scope: "gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24",
    },
  ],
});
/**
 * What a check with nothing changed starts: pf read as the full check judges it, the network compared, the clock and
 * the boot time (which macOS moves with the clock).
 */
const STEADY = ["date", "ifconfig", "mv", "netstat", "pfctl", "pfctl", "pfctl", "pfctl", "pfctl", "pfctl", "sysctl"];

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const ruleLines = (text: string | null) =>
  (text ?? "").split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
const watchdogStatus = () => JSON.parse(readFileSync(`${mac.stateDirectory}/watchdog.json`, "utf8"));
const baseline = () => `${mac.stateDirectory}/steady`;

/**
 * On at home with the VPN, and a full check since: the next check with nothing changed is a steady one. Made for
 * real once a test process for each setting, copied after (test/fakes/prepared-mac.ts; not while recording).
 */
async function onAtHome(blockedTrafficLog = 0, shell?: string) {
  ({ mac } = await preparedFakeMac(
    ["steady check: on at home, checked once", blockedTrafficLog],
    { network: macSnapshot(HOME_VPN), shell },
    async (fresh) => {
      await enable(fresh, { ...SETTINGS, blockedTrafficLog }, macNetworkState(HOME_VPN));
      await fresh.advanceClock(10);
      await runWatchdog(fresh);
      return null;
    },
  ));
  expect(readFileSync(baseline(), "utf8"), "baseline kept").not.toBe("");
}

/** A check, after which the steady check is armed: a full check found everything in force and kept its baseline. */
async function armed() {
  await mac.advanceClock(10);
  await runWatchdog(mac);
  expect(readFileSync(baseline(), "utf8"), "baseline kept").not.toBe("");
}

/** The network changes; the next check loads what the watchdog says it would load for it, and it is new. */
async function followsChange(snapshot: NetworkSnapshot) {
  const before = ruleLines(anchorRules(mac));
  mac.setNetwork(snapshot);
  const wanted = ruleLines((await inspect(mac)).rules);
  expect(wanted).not.toEqual(before);
  await mac.advanceClock(10);
  await runWatchdog(mac);
  expect(ruleLines(anchorRules(mac))).toEqual(wanted);
}

describe("what a check read, kept for the rest of that check only", () => {
  it("a change timer a check started reads the network when the change is due, not what that check read", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    const until = new Date(mac.now().getTime() + 600_000);
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7:1194/udp"],
      protectFromStartup: true,
      exceptions: [{ address: "203.0.113.80", label: "Build server", expiresAt: until.toISOString() }],
    });
    await enable(mac, settings, macNetworkState(HOME_VPN));
    await armed();
    // The timer Enable started is gone (killed, say): the next check starts one, after its quick comparison read.
    for (const { pid, ppid } of mac.running().sleepers) for (const gone of [ppid, pid]) killNow(gone);
    rmSync(`${mac.root}/var/run/${PRODUCT_ID}.timer`);
    await followsChange(macSnapshot({ wifi: "home", vpn: "utun5" }));
    expect(mac.running().sleepers).toHaveLength(1);
    mac.setNetwork(macSnapshot({ wifi: "home", vpn: "utun6" }));
    await mac.advanceClock(600);
    expect(anchorRules(mac)).not.toContain("203.0.113.80");
    expect(anchorRules(mac)).toContain("utun6");
    expect(anchorRules(mac)).not.toContain("utun5");
  });
});

describe("a check with nothing changed", () => {
  it.each([
    ["dash", "/bin/sh"],
    ["bash in sh mode, as /bin/sh is on a Mac", "/bin/bash"],
  ])(
    "starts the clock, sysctl, six pfctl, ifconfig, netstat and one mv under %s: no work folder, no awk",
    async (_, shell) => {
      await onAtHome(0, shell);
      const rules = anchorRules(mac);
      // What pf counted since the load: refused coming in, and passed to the VPN server.
      const pf = mac.readPf();
      const counted = (rule: string) =>
        rule.startsWith("block drop in ") ? 3 : rule.includes("to 198.51.100.7 ") ? 7 : 0;
      mac.writePf({ ...pf, packets: { [ANCHOR_NAME]: pf.anchors[ANCHOR_NAME].filter.map(counted) } });
      await mac.advanceClock(10);
      const trace = await traceWatchdog(mac);
      expect(trace.run).toMatchObject({ exitCode: 0, stderr: "" });
      expect([...trace.started].sort()).toEqual(STEADY);
      // It still says what it found, with this check's time and pf's counters.
      expect(anchorRules(mac)).toBe(rules);
      expect(watchdogStatus()).toMatchObject({
        checkedAt: Math.floor(mac.now().getTime() / 1000),
        result: "ok",
        message: "rules in force",
        pfEnabled: true,
        counters: expect.objectContaining({ blockedOut: 0, blockedIn: 3, dnsRefused: 0, toVpnServers: 7 }),
      });
    },
  );

  it("with the record of blocked traffic on, sees tcpdump run and notes the processes: ps twice, awk and mv more", async () => {
    await onAtHome(10);
    await mac.advanceClock(10);
    mac.startProcess(4321, "/usr/bin/curl");
    const trace = await traceWatchdog(mac);
    expect(trace.run).toMatchObject({ exitCode: 0, stderr: "" });
    expect([...trace.started].sort()).toEqual([...STEADY, "awk", "mv", "ps", "ps"].sort());
    const processes = readFileSync(`${mac.stateDirectory}/capture/processes`, "utf8");
    expect(processes).toMatch(/\t4321\t0\t\/usr\/bin\/curl\n/);
  });
});

describe("a check with the record of blocked traffic on and no process started or ended", () => {
  const records = () => readFileSync(`${mac.stateDirectory}/capture/processes`, "utf8");

  it("notes nothing again: ps twice, no awk, the record left as it is", async () => {
    await onAtHome(10);
    // Elapsed times of every form ps prints (dd-hh:mm:ss, hh:mm:ss, mm:ss), with parts such as 08 and 09.
    const now = Math.floor(mac.now().getTime() / 1000);
    mac.startProcess(1, "/sbin/launchd", now - (2 * 86_400 + 3 * 3600 + 8 * 60 + 9));
    mac.startProcess(312, "/usr/libexec/configd", now - (3600 + 9 * 60 + 8));
    mac.startProcess(4321, "/usr/bin/curl");
    await armed();
    const before = records();
    await mac.advanceClock(10);
    const trace = await traceWatchdog(mac);
    expect(trace.run).toMatchObject({ exitCode: 0, stderr: "" });
    expect([...trace.started].sort()).toEqual([...STEADY, "ps", "ps"].sort());
    expect(records()).toBe(before);
    expect(before).toMatch(/\t4321\t0\t\/usr\/bin\/curl\n/);
    // A record gone is written again.
    rmSync(`${mac.stateDirectory}/capture/processes`);
    await mac.advanceClock(10);
    await runWatchdog(mac);
    expect(records()).toBe(before);
  });

  it("notes a process that ended, and a new one that took its pid with the same path", async () => {
    await onAtHome(10);
    // An empty listing (ps failing quietly) ends no process: another one runs on.
    mac.startProcess(1, "/sbin/launchd");
    mac.startProcess(4321, "/usr/bin/curl");
    await armed();
    const seconds = () => Math.floor(mac.now().getTime() / 1000);
    // The listing reads as before, but this curl began after the last one was listed.
    await mac.advanceClock(10);
    mac.endProcess(4321);
    mac.startProcess(4321, "/usr/bin/curl");
    const began = seconds();
    await mac.advanceClock(10);
    await runWatchdog(mac);
    expect(records()).toMatch(
      new RegExp(`\\t4321\\t${seconds()}\\t/usr/bin/curl\\n${began}\\t4321\\t0\\t/usr/bin/curl\\n`),
    );
    await mac.advanceClock(10);
    mac.endProcess(4321);
    await runWatchdog(mac);
    expect(records()).toMatch(new RegExp(`^${began}\\t4321\\t${seconds()}\\t/usr/bin/curl$`, "m"));
  });
});

describe("a check after the wall clock was set", () => {
  it.each([
    ["back an hour", -3600],
    ["forward a day", 86_400],
  ])("records the boot time macOS moved with it (%s), so Status still sees this boot's check", async (_, step) => {
    await onAtHome();
    const before = watchdogStatus().bootTime;
    await mac.stepClock(step);
    await mac.advanceClock(10);
    const trace = await traceWatchdog(mac);
    expect(trace.run).toMatchObject({ exitCode: 0, stderr: "" });
    expect(watchdogStatus().bootTime).toBe(before + step);
    const status = await getKillSwitchStatus({
      system: mac.system,
      network: macNetworkState(HOME_VPN),
      now: mac.now(),
    });
    expect(status.state).toBe("protected");
    // Still the steady check: the rules do not depend on the clock here.
    expect([...trace.started].sort()).toEqual(STEADY);
  });
});

describe("a check after a change follows it at once", () => {
  it("another network", async () => {
    await onAtHome();
    await followsChange(macSnapshot({ wifi: "cafe", vpn: "utun4" }));
    expect(watchdogStatus().message).toMatch(/on another network/);
  });

  it("the VPN on a renumbered tunnel", async () => {
    await onAtHome();
    await followsChange(macSnapshot({ wifi: "home", vpn: "utun5" }));
    expect(anchorRules(mac)).toContain("utun5");
  });

  it("the router's MAC, which the ARP table alone shows: another network with the same address", async () => {
    await onAtHome();
    await followsChange(
      mapText(macSnapshot(HOME_VPN), (text) => text.replace(/3c:a6:2f:8:1e:7b/g, "0:1b:2c:3d:4e:5f")),
    );
    expect(anchorRules(mac)).not.toContain("192.168.1.40");
  });

  it("routes the network pushed, which only the route table shows", async () => {
    await onAtHome();
    const pushed = mapText(macSnapshot(HOME_VPN), (text) =>
      text.replace(
        /^(0\/1|128\.0\/1) +10\.8\.0\.1 +UGSc +utun4$/gm,
        "$1                192.168.1.1        UGSc                  en0",
      ),
    );
    await followsChange(pushed);
  });

  it("the VPN proven by its program's socket alone, while the Internet's routes went by its tunnel already", async () => {
    const unproven = { ...macSnapshot(HOME_VPN), netstatSockets: "" };
    mac = createFakeMac({ network: unproven });
    await enable(mac, { ...SETTINGS, blockedTrafficLog: 0 }, macNetworkState(HOME_VPN));
    await mac.advanceClock(10);
    await runWatchdog(mac);
    expect(anchorRules(mac)).not.toContain("utun4");
    // No baseline: what proves a VPN is read by full checks, and it may come with no other change.
    expect(readFileSync(baseline(), "utf8")).toBe("");
    await followsChange(macSnapshot(HOME_VPN));
    expect(anchorRules(mac)).toContain("pass out quick on utun4");
  });

  it("another DHCP server, once IPConfiguration keeps its lease", async () => {
    await onAtHome();
    const other = mapText(macSnapshot(HOME_VPN), (text) =>
      text.replace("server_identifier (ip): 192.168.1.1", "server_identifier (ip): 192.168.1.2"),
    );
    mkdirSync(`${mac.root}/private/var/db/dhcpclient/leases`, { recursive: true });
    writeFileSync(`${mac.root}/private/var/db/dhcpclient/leases/en0.plist`, "the lease from 192.168.1.2\n");
    await followsChange(other);
    expect(anchorRules(mac)).toContain("to 192.168.1.2 port 67");
  });
});

describe("a check after another program changed pf repairs it at once", () => {
  it("pf stopped (pfctl -d)", async () => {
    await onAtHome();
    await mac.pfctlAsRoot(["-d"]);
    await armedAfterRepair(/enabled pf again/);
    expect(mac.readPf().enabled).toBe(true);
  });

  it("our anchor flushed", async () => {
    await onAtHome();
    const rules = anchorRules(mac);
    await mac.pfctlAsRoot(["-a", ANCHOR_NAME, "-F", "all"]);
    await armedAfterRepair(/put back the kill switch rules/);
    expect(anchorRules(mac)).toBe(rules);
  });

  it("a com.apple child that runs before ours", async () => {
    await onAtHome();
    const rules = `${mac.root}/tmp/first.pf`;
    writeFileSync(rules, "pass quick all\n");
    await mac.pfctlAsRoot(["-a", "com.apple/0-first", "-f", rules]);
    await armedAfterRepair(/re-attached the kill switch anchor/);
    expect(evaluationOrder(mac.readPf())[0]).toBe(ANCHOR_NAME);
  });

  it("a translation rule with pass, in the main ruleset or in an anchor it calls", async () => {
    await onAtHome();
    const nat = `${mac.root}/tmp/nat.pf`;
    writeFileSync(nat, "rdr pass on en0 inet proto tcp from any to any port = 2222 -> 192.168.64.2 port 22\n");
    await mac.pfctlAsRoot(["-a", "com.apple/250.ApplicationFirewall", "-N", "-f", nat]);
    await mac.advanceClock(10);
    expect((await mac.runLaunchDaemon("com.vpnkillswitch.raycast")).exitCode).toBe(1);
    expect(watchdogStatus()).toMatchObject({ result: "failed", translationPasses: 1 });
    expect(mac.readPf().anchors["com.apple/250.ApplicationFirewall"].nat[0]).toMatch(/^rdr on en0 /);
    await armed();
  });

  it("set skip on a physical interface, said while it lasts", async () => {
    await onAtHome();
    const other = `${mac.root}/tmp/other-pf.conf`;
    writeFileSync(other, `set skip on { lo0 en0 }\n${readFileSync(`${mac.root}/etc/pf.conf`, "utf8")}`);
    await mac.pfctlAsRoot(["-f", other]);
    await mac.advanceClock(10);
    expect((await mac.runLaunchDaemon("com.vpnkillswitch.raycast")).exitCode).toBe(1);
    expect(watchdogStatus().message).toMatch(/^pf skips en0 /);
    await mac.advanceClock(10);
    expect((await mac.runLaunchDaemon("com.vpnkillswitch.raycast")).exitCode).toBe(1);
    // No baseline while it lasts: every check reads it all again.
    expect(readFileSync(baseline(), "utf8")).toBe("");
  });

  it("tcpdump killed: recording again", async () => {
    await onAtHome(10);
    const pidFile = `${mac.stateDirectory}/capture/tcpdump.pid`;
    const before = Number(readFileSync(pidFile, "utf8"));
    killNow(before);
    await mac.advanceClock(10);
    await runWatchdog(mac);
    const after = Number(readFileSync(pidFile, "utf8"));
    expect(after).not.toBe(before);
    expect(() => process.kill(after, 0)).not.toThrow();
  });
});

/** One check repairs what was undone, saying REPAIR; the next finds everything in force again. */
async function armedAfterRepair(repair: RegExp) {
  await mac.advanceClock(10);
  await runWatchdog(mac);
  expect(watchdogStatus()).toMatchObject({ result: "repaired", message: expect.stringMatching(repair) });
  await armed();
}
