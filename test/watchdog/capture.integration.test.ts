/**
 * The record of blocked traffic on the fake Mac: the root side's own pflog interface and a rotating tcpdump
 * capture of it, started before any rule is loaded (at boot too), readable by the admin group, read by
 * `killswitch log`, stopped and removed by Disable and Uninstall.
 */
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { disableKillSwitch, uninstallKillSwitch } from "../../src/lifecycle";
import { ANCHOR_NAME, CAPTURE_DIRECTORY, LAUNCH_DAEMON_FILE } from "../../src/privileged/paths";
import { runKillswitch } from "../cli/cli-harness";
import { type FakeMac, alive, createFakeMac, killNow } from "../fakes/fake-mac";
import { type FakeEvent, type MachineState, fakePaths, readJson, writeJson } from "../fakes/machine";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { pflogCapture } from "../pflog/capture-writer";
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

const HOME_VPN = { wifi: "home", vpn: "utun4" } as const;
const SETTINGS = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], blockedTrafficLog: 10 });
const capture = () => `${mac.root}${CAPTURE_DIRECTORY}`;
const pflogs = () => readJson<MachineState>(fakePaths(mac.root).machine).pflogInterfaces ?? [];
const calls = (program: string) => mac.events().filter((event: FakeEvent) => event.program === program);
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const tcpdumpPid = () => Number(readFileSync(`${capture()}/tcpdump.pid`, "utf8"));

async function onAtHome(settings = SETTINGS) {
  const enabled = await enabledOn(HOME_VPN, settings);
  mac = enabled.mac;
  return enabled.on;
}

describe("the record of blocked traffic", () => {
  it("is our own pflog interface and a rotating capture, which the rules log to", async () => {
    await onAtHome();
    expect(pflogs()).toEqual(["pflog1"]);
    expect(calls("tcpdump").map((event) => event.args)).toEqual([
      ["-i", "pflog1", "-n", "-U", "-C", "1", "-W", "5", "-w", `${capture()}/blocked.pcap`],
    ]);
    expect(alive(tcpdumpPid())).toBe(true);
    expect(anchorRules(mac)).toContain("block return out log (user, to pflog1) quick all\n");
    expect(anchorRules(mac)).toContain("block drop in log (user, to pflog1) quick all\n");
    expect(anchorRules(mac)).not.toMatch(/log \(user\) /);
    expectNoLeak(mac, await policyOf(SETTINGS), macNetworkState(HOME_VPN), mac.now(), "recording");
    expect(readFileSync(`${capture()}/blocked.pcap0`).readUInt32LE(20)).toBe(117);
    // launchd leaves it running when a watchdog check ends (it would kill the job's process group).
    expect(readFileSync(`${mac.root}${LAUNCH_DAEMON_FILE}`, "utf8")).toMatch(
      /<key>AbandonProcessGroup<\/key>\s*<true\/>/,
    );
    // The watchdog keeps it as it is: the same tcpdump, the same interface.
    await mac.advanceClock(10);
    await runWatchdog(mac);
    expect(calls("tcpdump")).toHaveLength(1);
    expect(pflogs()).toEqual(["pflog1"]);
    // The admin group may read what tcpdump wrote (Blocked Traffic, killswitch log), from the first check on
    // (tcpdump makes its files root's alone); nobody else may.
    if (process.getuid?.() === 0) {
      expect(mode(`${capture()}/blocked.pcap0`)).toBe("640");
      expect(statSync(`${capture()}/blocked.pcap0`).gid).toBe(80);
      expect(mode(capture())).toBe("750");
    }
    expect(mode(`${capture()}/blocked.pcap0`)).not.toMatch(/[1-7]$/);
  });

  it("takes a pflog interface no other software has created", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    const machine = readJson<MachineState>(fakePaths(mac.root).machine);
    writeJson(fakePaths(mac.root).machine, { ...machine, pflogInterfaces: ["pflog0", "pflog1"] });
    await enable(mac, SETTINGS, macNetworkState(HOME_VPN));
    expect(pflogs()).toEqual(["pflog0", "pflog1", "pflog2"]);
    expect(anchorRules(mac)).toContain("log (user, to pflog2)");
  });

  it("starts at boot once blocking rules hold, before the network's rules, and again when tcpdump was stopped", async () => {
    await onAtHome();
    mac.reboot();
    expect(pflogs()).toEqual([]);
    await mac.advanceClock(60);
    joinNetwork(mac, { wifi: "home", vpn: null });
    const before = mac.events().length;
    await runWatchdog(mac); // RunAtLoad
    const boot = mac.events().slice(before);
    const created = boot.findIndex((event) => event.program === "ifconfig" && event.args[1] === "create");
    const started = boot.findIndex((event) => event.program === "tcpdump");
    const loads = boot.flatMap((event, at) =>
      event.program === "pfctl" && event.args.includes("-f") && !event.args.includes("-n") ? [at] : [],
    );
    // The blocking rules first (nothing is recorded before pf holds them), then the record, then the network's
    // rules, which log to it.
    expect(created).toBeGreaterThan(loads[0]);
    expect(created).toBeLessThan(started);
    expect(started).toBeLessThan(loads.at(-1) as number);
    expect(anchorRules(mac)).toContain("log (user, to pflog1)");
    // Another program (or a crash) ends tcpdump: the next check starts it again.
    killNow(tcpdumpPid());
    await mac.advanceClock(10);
    await runWatchdog(mac);
    expect(calls("tcpdump").length).toBe(3);
    expect(alive(tcpdumpPid())).toBe(true);
  });

  it("is read by killswitch log on the Mac, as flows", async () => {
    await onAtHome();
    const at = Math.floor(mac.now().getTime() / 1000);
    appendFileSync(
      `${capture()}/blocked.pcap0`,
      pflogCapture([
        {
          time: at,
          action: 1,
          ifname: "en0",
          ruleset: "000.vpnkillswitch",
          pid: 4242,
          dir: 2,
          family: "inet",
          protocol: "tcp",
          source: "192.168.1.23",
          destination: "17.253.144.10",
          sourcePort: 50000,
          destinationPort: 443,
        },
      ]).subarray(24),
    );
    // Half a packet more: tcpdump is still writing it.
    appendFileSync(`${capture()}/blocked.pcap0`, Buffer.alloc(10));
    const run = await runKillswitch(["log", "--json"], { platform: "darwin", system: mac.system });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).flows).toMatchObject([
      { direction: "out", interface: "en0", protocol: "tcp", remote: "17.253.144.10", port: 443, pid: 4242, count: 1 },
    ]);
  });

  it("notes the phase (boot, VPN down, VPN up) a packet fell in", async () => {
    await onAtHome();
    const phases = () =>
      readFileSync(`${capture()}/phases`, "utf8")
        .trim()
        .split("\n")
        .map((line) => line.split(" ")[1]);
    expect(phases()).toEqual(["vpn-up"]);
    mac.reboot();
    await mac.advanceClock(60);
    joinNetwork(mac, { wifi: "home", vpn: null });
    await runWatchdog(mac); // at the login window
    const bootAt = Math.floor(mac.now().getTime() / 1000);
    await mac.advanceClock(30);
    mac.login();
    await runWatchdog(mac); // logged in, the VPN not connected yet
    const downAt = Math.floor(mac.now().getTime() / 1000);
    await mac.advanceClock(30);
    joinNetwork(mac, HOME_VPN);
    await runWatchdog(mac);
    expect(phases()).toEqual(["vpn-up", "boot", "vpn-down", "vpn-up"]);
    const packet = (time: number) => ({
      time,
      action: 1,
      ifname: "en0",
      pid: 4242,
      dir: 2 as const,
      family: "inet" as const,
      protocol: "udp" as const,
      source: "192.168.1.23",
      destination: "17.57.146.52",
      sourcePort: 5223,
      destinationPort: 5223,
    });
    // What the tcpdump before the restart wrote is kept beside what this one writes.
    expect(readFileSync(`${capture()}/previous.pcap0`).readUInt32LE(20)).toBe(117);
    appendFileSync(`${capture()}/previous.pcap0`, pflogCapture([packet(bootAt - 30)]).subarray(24));
    appendFileSync(`${capture()}/blocked.pcap0`, pflogCapture([packet(bootAt + 5), packet(downAt + 5)]).subarray(24));
    const run = await runKillswitch(["log", "--json"], { platform: "darwin", system: mac.system });
    expect(JSON.parse(run.stdout).flows).toMatchObject([
      { pid: 4242, phase: "vpn-up", count: 1 },
      { pid: 4242, phase: "boot", count: 1 },
      { pid: 4242, phase: "vpn-down", count: 1 },
    ]);
    const text = await runKillswitch(["log"], { platform: "darwin", system: mac.system });
    expect(text.stdout).toContain("during boot");
  });

  it("names a packet after the process that held its pid when it was sent, never after a later one", async () => {
    const identity = "/Applications/Identity Helper.app/Contents/MacOS/1";
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    const start = Math.floor(mac.now().getTime() / 1000);
    // A program that calls itself "1" has run for ten minutes as pid 4242 when Enable first lists it.
    mac.startProcess(4242, identity, start - 600);
    mac.startProcess(1, "/sbin/launchd", start - 86_000);
    await enable(mac, SETTINGS, macNetworkState(HOME_VPN));
    const noted = readFileSync(`${capture()}/processes`, "utf8");
    expect(noted).toContain(`${start - 600}\t4242\t0\t${identity}\n`);
    // A check that finds it still running writes nothing again.
    await mac.advanceClock(10);
    await runWatchdog(mac);
    expect(readFileSync(`${capture()}/processes`, "utf8")).toBe(noted);
    // It ends; curl takes pid 4242 later.
    mac.endProcess(4242);
    await mac.advanceClock(10);
    await runWatchdog(mac);
    await mac.advanceClock(20);
    const curlAt = Math.floor(mac.now().getTime() / 1000);
    mac.startProcess(4242, "/usr/bin/curl");
    await mac.advanceClock(10);
    await runWatchdog(mac);
    const packet = (time: number, destinationPort: number) => ({
      time,
      action: 1,
      ifname: "en0",
      ruleset: "000.vpnkillswitch",
      pid: 4242,
      dir: 2 as const,
      family: "inet" as const,
      protocol: "tcp" as const,
      source: "192.168.1.23",
      destination: "17.253.144.10",
      sourcePort: 50000,
      destinationPort,
    });
    appendFileSync(
      `${capture()}/blocked.pcap0`,
      pflogCapture([
        // Sent before any check listed it, while it ran.
        packet(start - 300, 443),
        // After a check missed it, before curl began: held by nobody the record saw.
        packet(curlAt - 5, 80),
        packet(curlAt + 5, 8443),
      ]).subarray(24),
    );
    const run = await runKillswitch(["log", "--json"], { platform: "darwin", system: mac.system });
    expect(JSON.parse(run.stdout).flows).toMatchObject([
      { port: 443, pid: 4242, process: "1", executable: identity, count: 1 },
      { port: 80, pid: 4242, process: null, executable: null, count: 1 },
      { port: 8443, pid: 4242, process: "curl", executable: "/usr/bin/curl", count: 1 },
    ]);
    const text = await runKillswitch(["log"], { platform: "darwin", system: mac.system });
    expect(text.stdout).toContain(`pid 4242 (1, ${identity})  1 packet`);
  });

  it("is cleared with one prompt (killswitch log --clear), and goes on recording", async () => {
    await onAtHome();
    const before = tcpdumpPid();
    appendFileSync(`${capture()}/blocked.pcap0`, Buffer.alloc(40, 1));
    writeFileSync(`${capture()}/previous.pcap0`, "old");
    const prompts = mac.prompts().length;
    const run = await runKillswitch(["log", "--clear"], { platform: "darwin", system: mac.system });
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^The record of blocked traffic is cleared/);
    expect(mac.prompts()).toHaveLength(prompts + 1);
    expect(alive(before)).toBe(false);
    expect(alive(tcpdumpPid())).toBe(true);
    expect(readFileSync(`${capture()}/blocked.pcap0`)).toHaveLength(24); // a new capture: its header only
    expect(existsSync(`${capture()}/previous.pcap0`)).toBe(false);
    expect(readFileSync(`${capture()}/phases`, "utf8").trim().split("\n")).toHaveLength(1);
    const read = await runKillswitch(["log", "--json"], { platform: "darwin", system: mac.system });
    expect(JSON.parse(read.stdout).flows).toEqual([]);
    const misused = await runKillswitch(["log", "--clear", "--since", "1h"], {
      platform: "darwin",
      system: mac.system,
    });
    expect(misused.code).toBe(2);
  });

  it("is stopped and removed by Disable, and by Uninstall; blockedTrafficLog 0 keeps none", async () => {
    await onAtHome();
    const pid = tcpdumpPid();
    await disableKillSwitch({ system: mac.system, network: macNetworkState(HOME_VPN) });
    expect(alive(pid)).toBe(false);
    expect(pflogs()).toEqual([]);
    expect(existsSync(capture())).toBe(false);
    const none = await runKillswitch(["log"], { platform: "darwin", system: mac.system });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/No record of blocked traffic on this Mac/);

    await enable(mac, SETTINGS, macNetworkState(HOME_VPN));
    const again = tcpdumpPid();
    await uninstallKillSwitch({ system: mac.system, network: macNetworkState(HOME_VPN) });
    expect(alive(again)).toBe(false);
    expect(pflogs()).toEqual([]);

    await enable(mac, SETTINGS, macNetworkState(HOME_VPN));
    const off = await enable(mac, settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"] }), macNetworkState(HOME_VPN));
    expect(off.rules).toContain("block drop in log (user) quick all");
    expect(existsSync(capture())).toBe(false);
    expect(pflogs()).toEqual([]);
    expect(mac.readPf().anchors[ANCHOR_NAME].filter).toContain("block drop in log (user) quick all");
  });
});
