import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MORNING, pflogCapture, sshScan } from "../pflog/capture-writer";
import { temporaryDirectory } from "../temporary-directory";
import { createSystemCommands } from "../../src/system/commands";
import { runKillswitch } from "./cli-harness";

let dir: string;
let capture: string;
/** A few seconds after the morning's last packet. */
const now = () => new Date(1_796_000_010 * 1000);

beforeAll(() => {
  dir = temporaryDirectory("killswitch-log-");
  capture = join(dir, "pflog.pcap");
  writeFileSync(capture, pflogCapture(MORNING));
});

describe("killswitch log", () => {
  it("prints the blocked flows of a capture, with the process pf found", async () => {
    const run = await runKillswitch(["log", "--capture", capture], { now });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout.split("\n")).toEqual([
      `Blocked in ${capture}: 5 flows, 6 packets.`,
      "  out en0 tcp 93.184.216.34:443  pid 812  2 packets  2026-11-30T00:53:20.250Z to 2026-11-30T00:53:21.500Z",
      "  out en0 udp 192.168.1.1:53  pid 301  1 packet  2026-11-30T00:53:22.000Z",
      "  in en0 udp fe80::1c3f:469f:fd46:194c → port 5353 on this Mac  process unknown  1 packet  2026-11-30T00:53:23.000Z",
      "  out en0 icmp 8.8.8.8  pid 900  1 packet  2026-11-30T00:53:24.000Z",
      "  out en0 tcp [2606:2800:220:1:248:1893:25c8:1946]:443  pid 812  1 packet  2026-11-30T00:53:25.000Z",
      "",
    ]);
  });

  it("prints JSON flows with every field, and keeps only the last DURATION with --since", async () => {
    const run = await runKillswitch(["log", "--capture", capture, "--json", "--since", "7s"], { now });
    expect(run.code).toBe(0);
    const { flows } = JSON.parse(run.stdout);
    expect(flows).toEqual([
      {
        direction: "in",
        interface: "en0",
        protocol: "udp",
        remote: "fe80::1c3f:469f:fd46:194c",
        // What came in: the port it tried to reach on this Mac.
        port: 5353,
        portSide: "local",
        process: null,
        executable: null,
        pid: null,
        count: 1,
        firstSeen: "2026-11-30T00:53:23.000Z",
        lastSeen: "2026-11-30T00:53:23.000Z",
        phase: null,
        // Beside the documented fields: the rule of its first packet, as the pflog header names it.
        rule: { ruleset: "000.vpnkillswit", number: 42 },
      },
      expect.objectContaining({ protocol: "icmp", port: null, portSide: null, pid: 900 }),
      expect.objectContaining({ remote: "2606:2800:220:1:248:1893:25c8:1946", port: 443, portSide: "remote" }),
    ]);
    expect((await runKillswitch(["log", "--capture", capture, "--since", "1s"], { now })).stdout).toBe(
      `Nothing blocked in ${capture} in the last 1s.\n`,
    );
  });

  it("counts a scan of this Mac's port 22 from 200 source ports as one flow, by the port it tried to reach", async () => {
    const scan = join(dir, "scan.pcap");
    writeFileSync(scan, pflogCapture(sshScan(200, 1_796_000_000)));
    const json = await runKillswitch(["log", "--capture", scan, "--json"], { now });
    expect(JSON.parse(json.stdout).flows).toMatchObject([
      { direction: "in", remote: "198.51.100.99", port: 22, portSide: "local", count: 200 },
    ]);
    const text = await runKillswitch(["log", "--capture", scan], { now });
    expect(text.stdout.split("\n")[1]).toBe(
      "  in en0 tcp 198.51.100.99 → port 22 on this Mac  process unknown  200 packets  2026-11-30T00:53:20.000Z to 2026-11-30T00:53:21.990Z",
    );
  });

  it("refuses what it cannot read, naming the option, the file and what is wrong", async () => {
    // Off a Mac there is no record of its own to read.
    const missing = await runKillswitch(["log", "--json"], { now, system: createSystemCommands() });
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error).toMatchObject({
      field: "--capture",
      value: null,
      message: "--capture FILE is required off a Mac: a pcap of pf's log (tcpdump -i pflogN -w FILE)",
    });
    const since = await runKillswitch(["log", "--capture", capture, "--since", "yesterday"], { now });
    expect(since).toMatchObject({ code: 2 });
    expect(since.stderr).toBe('killswitch log: --since "yesterday" is not a duration such as 30s, 10m, 2h or 7d\n');
    writeFileSync(join(dir, "notes.txt"), "not a capture");
    const junk = await runKillswitch(["log", "--capture", join(dir, "notes.txt")], { now });
    expect(junk.code).toBe(2);
    expect(junk.stderr).toBe(
      `killswitch log: capture ${join(dir, "notes.txt")} is not a pcap file (13 bytes, no header)\n`,
    );
    const gone = await runKillswitch(["log", "--capture", join(dir, "nowhere.pcap")], { now });
    expect(gone.stderr).toBe(`killswitch log: capture ${join(dir, "nowhere.pcap")} does not exist\n`);
  });

  it("prints an interface name from the file with its control characters escaped", async () => {
    const odd = join(dir, "odd.pcap");
    writeFileSync(odd, pflogCapture([{ ...MORNING[0], ifname: "en0\u001b[2J" }]));
    const run = await runKillswitch(["log", "--capture", odd], { now });
    expect(run.stdout).toContain("out en0\\u001b[2J tcp");
    // eslint-disable-next-line no-control-regex -- no control character but the line ends reaches the terminal
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });
});
