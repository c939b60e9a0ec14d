import { parseRecordNotes } from "../../src/pflog/record";
import { describe, expect, it } from "vitest";
import { PflogCaptureError, readPflogCapture } from "../../src/pflog/capture";
import { type FlowPhase, farSide, groupFlows } from "../../src/pflog/flows";
import { MORNING, pflogCapture, sshScan } from "./capture-writer";

describe("readPflogCapture", () => {
  it("reads the pflog header and the IPv4 and IPv6 packet behind it", () => {
    const packets = readPflogCapture(pflogCapture(MORNING));
    expect(packets).toHaveLength(MORNING.length);
    expect(packets[0]).toEqual({
      time: 1_796_000_000.25,
      action: "block",
      reason: "match",
      interface: "en0",
      ruleset: "000.vpnkillswit",
      rule: 41,
      subrule: 0,
      uid: 501,
      pid: 812,
      direction: "out",
      family: "inet",
      protocol: "tcp",
      source: "192.168.1.23",
      destination: "93.184.216.34",
      sourcePort: 50123,
      destinationPort: 443,
      icmpType: null,
    });
    expect(packets[3]).toMatchObject({
      direction: "in",
      family: "inet6",
      uid: null,
      pid: null,
      source: "fe80::1c3f:469f:fd46:194c",
      destination: "ff02::fb",
      destinationPort: 5353,
    });
    expect(packets[4]).toMatchObject({ protocol: "icmp", icmpType: 8, sourcePort: null });
    expect(packets[5].destination).toBe("2606:2800:220:1:248:1893:25c8:1946");
    expect(packets[6]).toMatchObject({ action: "pass", interface: "utun4", ruleset: "" });
  });

  it("says what is wrong with a file that is not a whole pflog capture, and never crashes", () => {
    const capture = pflogCapture(MORNING);
    const fails = (bytes: Uint8Array) => {
      try {
        readPflogCapture(bytes, "capture x.pcap");
      } catch (error) {
        expect(error).toBeInstanceOf(PflogCaptureError);
        return (error as Error).message;
      }
      return "read";
    };
    expect(fails(new Uint8Array(10))).toBe("capture x.pcap is not a pcap file (10 bytes, no header)");
    expect(fails(Buffer.from("hello, this is not a capture at all"))).toBe("capture x.pcap is not a pcap file");
    const pcapng = Buffer.alloc(32);
    pcapng.writeUInt32BE(0x0a0d0d0a, 0);
    expect(fails(pcapng)).toMatch(/is not a pcap file \(it is pcapng/);
    const ethernet = Buffer.from(capture);
    ethernet.writeUInt32LE(1, 20);
    expect(fails(ethernet)).toBe("capture x.pcap is a capture of link type 1, not pf's log (pflog, link type 117)");
    expect(fails(capture.subarray(0, capture.length - 5))).toBe("capture x.pcap is cut short in packet 7");
    expect(fails(capture.subarray(0, 24 + 8))).toBe("capture x.pcap is cut short in the header of packet 1");
    expect(fails(capture.subarray(0, 24))).toBe("read"); // no packets yet: an empty log
    // Every cut of the file, and junk in every byte of the first packet, is an answer.
    for (let end = 0; end < capture.length; end += 7) expect(typeof fails(capture.subarray(0, end))).toBe("string");
    for (let at = 24; at < 24 + 16 + 100; at++) {
      const junk = Buffer.from(capture);
      junk[at] = 0xff;
      expect(typeof fails(junk)).toBe("string");
    }
  });
});

const SAFARI = "/Applications/Safari.app/Contents/MacOS/Safari";
/** One recorded process: 812 Safari, running since before the morning. */
const safariAt812 = (pid: number, time: number) =>
  pid === 812 && time >= 1_795_999_000
    ? { pid, started: 1_795_999_000, ended: null, executable: SAFARI, name: "Safari" }
    : null;

describe("groupFlows", () => {
  it("groups blocked packets by direction, interface, protocol, far side and process; passed ones are left out", () => {
    const flows = groupFlows(readPflogCapture(pflogCapture(MORNING)), { processAt: safariAt812 });
    expect(flows.map((flow) => [flow.direction, flow.protocol, flow.remote, flow.port, flow.pid, flow.count])).toEqual([
      ["out", "tcp", "93.184.216.34", 443, 812, 2],
      ["out", "udp", "192.168.1.1", 53, 301, 1],
      ["in", "udp", "fe80::1c3f:469f:fd46:194c", 5353, null, 1],
      ["out", "icmp", "8.8.8.8", null, 900, 1],
      ["out", "tcp", "2606:2800:220:1:248:1893:25c8:1946", 443, 812, 1],
    ]);
    expect(flows[0]).toMatchObject({
      process: "Safari",
      executable: SAFARI,
      portSide: "remote",
      interface: "en0",
      firstSeen: "2026-11-30T00:53:20.250Z",
      lastSeen: "2026-11-30T00:53:21.500Z",
      phase: null,
    });
    expect(flows[1]).toMatchObject({ process: null, executable: null });
    expect(flows[2].portSide).toBe("local");
    expect(flows[3].portSide).toBeNull();
  });

  it("groups what came in by the port it tried to reach on this Mac: a scan from 200 source ports is one flow", () => {
    const flows = groupFlows(readPflogCapture(pflogCapture(sshScan(200))));
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({
      direction: "in",
      protocol: "tcp",
      remote: "198.51.100.99",
      port: 22,
      portSide: "local",
      count: 200,
    });
    expect(farSide(flows[0])).toBe("198.51.100.99 → port 22 on this Mac");
    expect(farSide({ remote: "2001:db8::1", port: 443, portSide: "remote" })).toBe("[2001:db8::1]:443");
  });

  it("keeps apart two processes that held one pid in turn", () => {
    const curl = { pid: 812, started: 1_796_000_001, ended: null, executable: "/usr/bin/curl", name: "curl" };
    const flows = groupFlows(readPflogCapture(pflogCapture(MORNING.slice(0, 2))), {
      processAt: (pid, time) => (time >= 1_796_000_001 ? curl : safariAt812(pid, time)),
    });
    expect(flows.map((flow) => [flow.process, flow.count])).toEqual([
      ["Safari", 1],
      ["curl", 1],
    ]);
  });

  it("keeps the phase a packet fell in apart", () => {
    const phaseAt = (time: number): FlowPhase => (time < 1_796_000_001 ? "boot" : "vpn-down");
    const flows = groupFlows(readPflogCapture(pflogCapture(MORNING.slice(0, 2))), { phaseAt });
    expect(flows.map((flow) => [flow.phase, flow.count])).toEqual([
      ["boot", 1],
      ["vpn-down", 1],
    ]);
  });
});

/** A `processes` line as note_processes writes it. */
const line = (started: number, pid: number, ended: number, path: string) => `${started}\t${pid}\t${ended}\t${path}\n`;

describe("parseRecordNotes (what the root side notes beside its capture)", () => {
  it("gives each time its phase", () => {
    const context = parseRecordNotes(
      "1000 boot 999\n1100 vpn-down 999\nnot a line\n1200 vpn-up 999\n1300 sideways 999\n",
      "",
    );
    expect([999, 1000, 1099, 1100, 1250].map((time) => context.phaseAt?.(time) ?? null)).toEqual([
      null,
      "boot",
      "boot",
      "vpn-down",
      "vpn-up",
    ]);
  });

  it("names a packet after the process that held its pid then, its path kept beside its name", () => {
    const context = parseRecordNotes("", line(900, 812, 0, SAFARI) + line(500, 90, 0, "Google Chrome Helper"));
    expect(context.processAt?.(812, 1000.5)).toEqual({
      pid: 812,
      started: 900,
      ended: null,
      executable: SAFARI,
      name: "Safari",
    });
    // Seen only at a check after the packet, but running before it: it still names it.
    expect(context.processAt?.(90, 600)?.name).toBe("Google Chrome Helper");
    expect(context.processAt?.(7, 1000)).toBeNull();
  });

  it("never names a packet after a process that started after it, nor after one that had ended", () => {
    // Safari held 812 from 900 until a check at 1150 missed it; curl took 812 at 1200.
    const context = parseRecordNotes("", line(900, 812, 1150, SAFARI) + line(1200, 812, 0, "/usr/bin/curl"));
    const at = (time: number) => context.processAt?.(812, time)?.name ?? null;
    // Before Safari began (a process before it held 812, unrecorded): nobody.
    expect(at(850)).toBeNull();
    // Within Safari's first second: it may have started after the packet.
    expect(at(900.5)).toBeNull();
    expect(at(901)).toBe("Safari");
    expect(at(1149.9)).toBe("Safari");
    // After a check missed Safari and before curl began: whoever held 812 then was never seen.
    expect(at(1150)).toBeNull();
    expect(at(1199)).toBeNull();
    // curl's packets are curl's; Safari's earlier ones stay Safari's.
    expect(at(1201)).toBe("curl");
  });

  it("names nothing from lines of the older form, which say when a process was seen, not when it began", () => {
    const context = parseRecordNotes("", "1000 812 Safari\n1000 90 1 Safari\nbroken\n");
    expect(context.processAt?.(812, 2000)).toBeNull();
    expect(context.processAt?.(90, 2000)).toBeNull();
  });
});
