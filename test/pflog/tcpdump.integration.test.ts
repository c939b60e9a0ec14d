/**
 * Our reader of pflog captures against Debian's tcpdump, packet by packet, on captures these tests write
 * (no real macOS pflog pcap is public: the fixtures hold tcpdump's text only). CI installs tcpdump (.ci/run).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type PflogPacket, readPflogCapture } from "../../src/pflog/capture";
import { temporaryDirectory } from "../temporary-directory";
import { type LoggedPacket, MORNING, pflogCapture } from "./capture-writer";

const available = spawnSync("tcpdump", ["--version"]).status === 0;
if (!available && process.env.CI) throw new Error("tcpdump is required in CI (.ci/run installs it); it was not found.");
if (!available)
  console.warn("tcpdump is not installed: the pflog reader was NOT cross-checked (apt-get install tcpdump).");

/** What `tcpdump -n -e` prints of a packet we read, up to the transport's own words. */
function asTcpdumpPrints(packet: PflogPacket): string {
  const time = new Date(Math.floor(packet.time * 1000)).toISOString().slice(11, 19);
  const micro = String(Math.round((packet.time % 1) * 1e6)).padStart(6, "0");
  const rule = packet.subrule === 0xffffffff ? `${packet.rule}` : `${packet.rule}.${packet.ruleset}.${packet.subrule}`;
  const end = (address: string | null, port: number | null) => (port === null ? address : `${address}.${port}`);
  return `${time}.${micro} rule ${rule}/0(${packet.reason}): ${packet.action} ${packet.direction} on ${packet.interface}: ${end(
    packet.source,
    packet.sourcePort,
  )} > ${end(packet.destination, packet.destinationPort)}: `;
}

/** A day of varied packets, the same on every run: both families, every protocol, both directions. */
function variedPackets(count: number): LoggedPacket[] {
  let seed = 20261202;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  return Array.from({ length: count }, (_, i) => {
    const family = next(2) === 0 ? "inet" : "inet6";
    const protocol = (family === "inet" ? ["tcp", "udp", "icmp"] : ["tcp", "udp", "icmp6"])[
      next(3)
    ] as LoggedPacket["protocol"];
    const v4 = () => `${10 + next(200)}.${next(256)}.${next(256)}.${1 + next(254)}`;
    const v6 = () => `2001:db8:${next(0xffff).toString(16)}::${(1 + next(0xfffe)).toString(16)}`;
    return {
      time: 1_796_000_000 + i * 7 + next(1000) / 1000,
      action: next(4) === 0 ? 0 : 1,
      ifname: ["en0", "en1", "utun4", "bridge100"][next(4)],
      ruleset: next(3) === 0 ? "" : "000.vpnkillswit",
      rule: next(60),
      subrule: next(3) === 0 ? 0xffffffff : next(5),
      uid: next(2) ? 501 : undefined,
      pid: next(2) ? 100 + next(5000) : undefined,
      dir: next(2) === 0 ? 1 : 2,
      family,
      protocol,
      source: family === "inet" ? v4() : v6(),
      destination: family === "inet" ? v4() : v6(),
      sourcePort: 1 + next(65535),
      destinationPort: 1 + next(65535),
      icmpType: [0, 3, 8, 11, 128, 129, 135][next(7)],
    };
  });
}

describe.skipIf(!available)("the pflog reader, checked against tcpdump", () => {
  it.each([
    ["a morning's blocked packets", MORNING],
    ["300 varied packets", variedPackets(300)],
  ])("reads %s as tcpdump -n -e does", (_name, logged) => {
    const dir = temporaryDirectory("pflog-");
    const file = join(dir, "capture.pcap");
    const capture = pflogCapture(logged);
    writeFileSync(file, capture);
    const run = spawnSync("tcpdump", ["-n", "-e", "-r", file], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, TZ: "UTC" },
    });
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    const ours = readPflogCapture(capture);
    expect(lines).toHaveLength(ours.length);
    ours.forEach((packet, i) => {
      expect(lines[i].startsWith(asTcpdumpPrints(packet)), `${lines[i]}\n${asTcpdumpPrints(packet)}`).toBe(true);
      if (packet.protocol === "icmp" && packet.icmpType === 8) expect(lines[i]).toContain("ICMP echo request");
    });
  });
});
