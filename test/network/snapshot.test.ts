import { readdir, rm, writeFile } from "node:fs/promises";

import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import {
  DETAIL_SNAPSHOT_FIELDS,
  QUICK_SNAPSHOT_FIELDS,
  collectLiveSnapshot,
  readSnapshotDirectory,
  writeSnapshotDirectory,
} from "../../src/network/snapshot";
import { MACOS_BINARIES, type CommandResult, type SystemCommands } from "../../src/system/commands";
import { readMacosFixture } from "./fixtures";
import { temporaryDirectory } from "../temporary-directory";

let dir: string;
beforeEach(async () => {
  dir = temporaryDirectory("network-snapshot-");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("snapshot directories", () => {
  it("round-trips a snapshot through the documented file names", async () => {
    await writeSnapshotDirectory(dir, SAMPLE_SNAPSHOT);
    expect((await readdir(dir)).sort()).toEqual([
      "arp-an.txt",
      "ifconfig.txt",
      "ipconfig-getpacket-en0.txt",
      "ipconfig-getsummary-en0.txt",
      "netstat-anv.txt",
      "netstat-rn.txt",
      "route-get-1.1.1.1.txt",
      "route-get-default.txt",
      "scutil-dns.txt",
      "scutil-nc-list.txt",
      "scutil-nwi.txt",
    ]);
    expect(await readSnapshotDirectory(dir)).toEqual(SAMPLE_SNAPSHOT);
  });

  it("reads a partial directory and ignores unknown files", async () => {
    await writeFile(join(dir, "netstat-rn.txt"), "Routing tables\n");
    await writeFile(join(dir, "notes.md"), "unrelated");
    await writeFile(join(dir, "ipconfig-getsummary-en1.txt"), "  SSID : Office\n");
    expect(await readSnapshotDirectory(dir)).toEqual({
      netstatRoutes: "Routing tables\n",
      ipconfigSummaries: { en1: "  SSID : Office\n" },
    });
  });

  it("names the path when the directory does not exist", async () => {
    const missing = join(dir, "nowhere");
    await expect(readSnapshotDirectory(missing)).rejects.toThrow(`Snapshot directory not found: ${missing}`);
    await writeFile(join(dir, "file.txt"), "");
    await expect(readSnapshotDirectory(join(dir, "file.txt"))).rejects.toThrow("Snapshot path is not a directory");
  });

  it("refuses an interface name that could leave the directory", async () => {
    await expect(writeSnapshotDirectory(dir, { ipconfigSummaries: { "../en0": "x" } })).rejects.toThrow(
      'ipconfigSummaries: "../en0" is not an interface name',
    );
  });
});

/** An in-memory Mac: answers each command line from a table; anything else fails like a missing tool. */
function fakeSystem(outputs: Record<string, CommandResult | Error>) {
  const calls: string[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const system: SystemCommands = {
    binaries: { ...MACOS_BINARIES },
    async run(tool, args) {
      const line = [tool, ...args].join(" ");
      calls.push(line);
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      const output = outputs[line] ?? { exitCode: 127, stdout: "", stderr: "not found" };
      if (output instanceof Error) throw output;
      return output;
    },
  };
  return { system, calls, mostAtOnce: () => mostAtOnce };
}

const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: "" });

/** Every command answering as the sample Mac does. */
const sampleOutputs = (): Record<string, CommandResult> => ({
  "ifconfig -a": ok(SAMPLE_SNAPSHOT.ifconfig ?? ""),
  "netstat -rn": ok(SAMPLE_SNAPSHOT.netstatRoutes ?? ""),
  "route -n get default": ok(SAMPLE_SNAPSHOT.routeGetDefault ?? ""),
  "route -n get 1.1.1.1": ok(SAMPLE_SNAPSHOT.routeGetInternet ?? ""),
  "scutil --nwi": ok(SAMPLE_SNAPSHOT.scutilNwi ?? ""),
  "scutil --dns": ok(SAMPLE_SNAPSHOT.scutilDns ?? ""),
  "scutil --nc list": ok(SAMPLE_SNAPSHOT.scutilNcList ?? ""),
  "arp -an": ok(SAMPLE_SNAPSHOT.arp ?? ""),
  "netstat -anv": ok(SAMPLE_SNAPSHOT.netstatSockets ?? ""),
  "ipconfig getsummary en0": ok(SAMPLE_SNAPSHOT.ipconfigSummaries?.en0 ?? ""),
  "ipconfig getpacket en0": ok(SAMPLE_SNAPSHOT.ipconfigPackets?.en0 ?? ""),
});

describe("collectLiveSnapshot", () => {
  it("runs the commands at once, leaves failures out, and asks for the Wi-Fi summary of the gateway's interface", async () => {
    const fake = fakeSystem({
      "ifconfig -a": ok(SAMPLE_SNAPSHOT.ifconfig ?? ""),
      "netstat -rn": ok(SAMPLE_SNAPSHOT.netstatRoutes ?? ""),
      "route -n get default": ok(SAMPLE_SNAPSHOT.routeGetDefault ?? ""),
      "route -n get 1.1.1.1": { exitCode: 1, stdout: "", stderr: "route: writing to routing socket: not in table\n" },
      "scutil --nwi": ok(SAMPLE_SNAPSHOT.scutilNwi ?? ""),
      "scutil --dns": ok(SAMPLE_SNAPSHOT.scutilDns ?? ""),
      "scutil --nc list": new Error("spawn failed"),
      "arp -an": ok(SAMPLE_SNAPSHOT.arp ?? ""),
      "netstat -anv": ok(SAMPLE_SNAPSHOT.netstatSockets ?? ""),
      "ipconfig getsummary en0": ok(SAMPLE_SNAPSHOT.ipconfigSummaries?.en0 ?? ""),
      "ipconfig getpacket en0": ok(SAMPLE_SNAPSHOT.ipconfigPackets?.en0 ?? ""),
    });
    const snapshot = await collectLiveSnapshot(fake.system);
    expect(fake.mostAtOnce()).toBe(9);
    expect(fake.calls.sort()).toEqual([
      "arp -an",
      "ifconfig -a",
      "ipconfig getpacket en0",
      "ipconfig getsummary en0",
      "netstat -anv",
      "netstat -rn",
      "route -n get 1.1.1.1",
      "route -n get default",
      "scutil --dns",
      "scutil --nc list",
      "scutil --nwi",
    ]);
    const { routeGetInternet, scutilNcList, ...expected } = SAMPLE_SNAPSHOT;
    expect(routeGetInternet).toBeDefined();
    expect(scutilNcList).toBeDefined();
    expect(snapshot).toEqual(expected);
  });

  it("reads only the outputs asked for: ifconfig and netstat for the quick reading, no Wi-Fi summary", async () => {
    const fake = fakeSystem(sampleOutputs());
    const quick = await collectLiveSnapshot(fake.system, { only: QUICK_SNAPSHOT_FIELDS });
    expect(fake.calls.sort()).toEqual(["ifconfig -a", "netstat -rn"]);
    expect(quick).toEqual({ ifconfig: SAMPLE_SNAPSHOT.ifconfig, netstatRoutes: SAMPLE_SNAPSHOT.netstatRoutes });
  });

  it("completes a quick reading without running its commands again, finding the Wi-Fi interface from it", async () => {
    const fake = fakeSystem(sampleOutputs());
    const quick = { ifconfig: SAMPLE_SNAPSHOT.ifconfig, netstatRoutes: SAMPLE_SNAPSHOT.netstatRoutes };
    const full = await collectLiveSnapshot(fake.system, { only: DETAIL_SNAPSHOT_FIELDS, known: quick });
    expect(fake.calls.sort()).toEqual([
      "arp -an",
      "ipconfig getsummary en0",
      "route -n get 1.1.1.1",
      "route -n get default",
      "scutil --dns",
      "scutil --nc list",
      "scutil --nwi",
    ]);
    // The sockets and the DHCP lease are for the rules only: the menu bar's details leave them out.
    const { netstatSockets, ipconfigPackets, ...shown } = SAMPLE_SNAPSHOT;
    expect(netstatSockets).toBeDefined();
    expect(ipconfigPackets).toBeDefined();
    expect(full).toEqual(shown);
  });

  it("skips the Wi-Fi summary when no physical gateway is known", async () => {
    const ipsecDefault = readMacosFixture(
      "route",
      "macos_killswitch19_route-get-0.0.0.0_ipsec0-default_no-gateway.txt",
    );
    const fake = fakeSystem({ "route -n get 1.1.1.1": ok(ipsecDefault) });
    const snapshot = await collectLiveSnapshot(fake.system);
    expect(snapshot).toEqual({ routeGetInternet: ipsecDefault });
    expect(fake.calls.some((call) => call.startsWith("ipconfig"))).toBe(false);
  });
});
