/** Prepared fake Macs: a copy is the first Mac at its own path, file for file, and runs as that one would. */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PRODUCT_ID } from "../../src/privileged/paths";
import { enable, runWatchdog, settingsFrom } from "../watchdog/helpers";
import type { FakeMac } from "./fake-mac";
import { macNetworkState, macSnapshot } from "./networks";
import { preparedFakeMac } from "./prepared-mac";

const made: FakeMac[] = [];
afterEach(() => made.splice(0).forEach((mac) => mac.cleanup()));

const HOME_VPN = { wifi: "home", vpn: "utun4" } as const;
const SETTINGS = settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: true });

/** Every entry of the tree but the calls in flight: its kind, mode, owner, and what it holds with the tree named R. */
function described(mac: FakeMac): string[] {
  const lines: string[] = [];
  const visit = (relative: string) => {
    const path = join(mac.root, relative);
    const stat = lstatSync(path);
    const owner = `${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid}`;
    if (stat.isSymbolicLink()) lines.push(`${relative} -> ${readlinkSync(path).split(mac.root).join("R")}`);
    else if (stat.isDirectory()) {
      lines.push(`${relative}/ ${owner}`);
      if (relative !== ".fake/calls") readdirSync(path).forEach((name) => visit(join(relative, name)));
    } else lines.push(`${relative} ${owner} ${readFileSync(path, "latin1").split(mac.root).join("R")}`);
  };
  visit("");
  return lines.sort();
}

describe("a prepared fake Mac", () => {
  it("is copied at a path of its own with every file, mode and owner the first left, and runs as that one", async () => {
    const prepare = async (mac: FakeMac) => {
      const on = await enable(mac, SETTINGS, macNetworkState(HOME_VPN));
      // What the product never makes, so the copy is seen to carry it: an owner, a mode, a link, an empty folder.
      mkdirSync(`${mac.root}/tmp/empty`, { mode: 0o700 });
      writeFileSync(`${mac.root}/tmp/owned`, `made in ${mac.root}\n`);
      chownSync(`${mac.root}/tmp/owned`, 1, 2);
      chmodSync(`${mac.root}/tmp/owned`, 0o4640);
      return { on, root: mac.root, at: new Date(0) };
    };
    const first = await preparedFakeMac("prepared-mac test", { network: macSnapshot(HOME_VPN) }, prepare);
    made.push(first.mac);
    const prompts = first.mac.prompts().length;
    const described1 = described(first.mac);
    // The first Mac changes after it was kept: the copy is of what `prepare` left.
    await runWatchdog(first.mac);

    const copy = await preparedFakeMac("prepared-mac test", { network: macSnapshot(HOME_VPN) }, prepare);
    made.push(copy.mac);
    expect(copy.mac.root).not.toBe(first.mac.root);
    expect(described(copy.mac)).toEqual(described1);
    expect(copy.mac.prompts()).toHaveLength(prompts); // not prepared again
    expect(copy.value).toEqual({ ...first.value, root: copy.mac.root });
    expect(copy.value.at).toBeInstanceOf(Date);
    expect(lstatSync(copy.mac.system.binaries.pfctl).ino).toBe(lstatSync(first.mac.system.binaries.pfctl).ino);

    // launchd's job and the watchdog run in the copy, never in the first Mac.
    expect(copy.mac.launchDaemons()[0].programArguments.at(-1)).toBe(copy.mac.root);
    const before = readFileSync(`${first.mac.stateDirectory}/watchdog.json`, "utf8");
    await copy.mac.pfctlAsRoot(["-d"]);
    await runWatchdog(copy.mac);
    expect(copy.mac.readPf().enabled).toBe(true);
    expect(readFileSync(`${first.mac.stateDirectory}/watchdog.json`, "utf8")).toBe(before);
    expect(copy.mac.launchDaemons().map((job) => job.label)).toEqual([PRODUCT_ID]);
  });

  it("refuses to keep what prepare returned unless it is plain data, which a copy carries whole", async () => {
    await expect(preparedFakeMac("not plain data", {}, async () => ({ seen: new Map([["a", 1]]) }))).rejects.toThrow(
      /holds a Map, not plain data/,
    );
  });

  it("carries a capturing tcpdump: the copy's own, its pid recorded, capturing what the first had", async () => {
    const recording = settingsFrom({ vpnServers: ["198.51.100.7"], blockedTrafficLog: 10 });
    let prepared = 0;
    const prepare = (mac: FakeMac) => {
      prepared++;
      return enable(mac, recording, macNetworkState(HOME_VPN));
    };
    const first = await preparedFakeMac("prepared-mac test, recording", { network: macSnapshot(HOME_VPN) }, prepare);
    made.push(first.mac);
    const capture = (mac: FakeMac) => `${mac.stateDirectory}/capture`;
    const described1 = described(first.mac).filter((line) => !line.startsWith(".fake/"));
    const copy = await preparedFakeMac("prepared-mac test, recording", { network: macSnapshot(HOME_VPN) }, prepare);
    made.push(copy.mac);
    expect(prepared).toBe(1);
    const [tcpdump] = copy.mac.capturing().map(({ pid }) => pid);
    expect(first.mac.capturing().map(({ pid }) => pid)).not.toContain(tcpdump);
    expect(readFileSync(`${capture(copy.mac)}/tcpdump.pid`, "utf8")).toBe(`${tcpdump}\n`);
    const pid = readFileSync(`${capture(first.mac)}/tcpdump.pid`, "utf8");
    expect(described(copy.mac).filter((line) => !line.startsWith(".fake/"))).toEqual(
      described1.map((line) => line.replace(`tcpdump.pid 600 0:0 ${pid}`, `tcpdump.pid 600 0:0 ${tcpdump}\n`)),
    );
    // The watchdog finds it recording: it starts no other.
    await runWatchdog(copy.mac);
    expect(copy.mac.capturing().map(({ pid }) => pid)).toEqual([tcpdump]);
  });

  it("is prepared anew each time when something still sleeps in it, which a copy cannot carry", async () => {
    let prepared = 0;
    const prepare = async (mac: FakeMac) => {
      prepared++;
      // A timer left behind, as the captive-portal window's is: it sleeps on the fake clock.
      const timer = execFileSync("sh", ["-c", `"${mac.root}/bin/sleep" 60 >/dev/null 2>&1 & echo $!`], {
        env: { PATH: "/usr/bin:/bin" },
        encoding: "utf8",
      });
      await mac.whenAsleep(1);
      return timer.trim();
    };
    for (let i = 0; i < 2; i++) made.push((await preparedFakeMac("sleeping", {}, prepare)).mac);
    expect(prepared).toBe(2);
  });
});
