import { parseRecordNotes } from "../../src/pflog/record";
import { describe, expect, it } from "vitest";
import { PflogCaptureError, readPflogCapture } from "../../src/pflog/capture";
import { type FlowPhase, groupFlows } from "../../src/pflog/flows";
import { MORNING, pflogCapture } from "./capture-writer";

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

describe("groupFlows", () => {
  it("groups blocked packets by direction, interface, protocol, far side and process; passed ones are left out", () => {
    const flows = groupFlows(readPflogCapture(pflogCapture(MORNING)), {
      processNames: new Map([[812, "Safari"]]),
    });
    expect(flows.map((flow) => [flow.direction, flow.protocol, flow.remote, flow.port, flow.pid, flow.count])).toEqual([
      ["out", "tcp", "93.184.216.34", 443, 812, 2],
      ["out", "udp", "192.168.1.1", 53, 301, 1],
      ["in", "udp", "fe80::1c3f:469f:fd46:194c", 5353, null, 1],
      ["out", "icmp", "8.8.8.8", null, 900, 1],
      ["out", "tcp", "2606:2800:220:1:248:1893:25c8:1946", 443, 812, 1],
    ]);
    expect(flows[0]).toMatchObject({
      process: "Safari",
      interface: "en0",
      firstSeen: "2026-11-30T00:53:20.250Z",
      lastSeen: "2026-11-30T00:53:21.500Z",
      phase: null,
    });
    expect(flows[1].process).toBeNull();
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

describe("parseRecordNotes (what the root side notes beside its capture)", () => {
  it("gives each time its phase and each pid the name it had then", () => {
    const context = parseRecordNotes(
      "1000 boot 999\n1100 vpn-down 999\nnot a line\n1200 vpn-up 999\n1300 sideways 999\n",
      "1000 812 Safari\n1150 812 curl\n1000 90 Google Chrome Helper\nbroken\n",
    );
    expect([999, 1000, 1099, 1100, 1250].map((time) => context.phaseAt?.(time) ?? null)).toEqual([
      null,
      "boot",
      "boot",
      "vpn-down",
      "vpn-up",
    ]);
    // A packet before the pid was first seen takes that name: the check after it saw the process.
    expect(context.processAt?.(812, 900)).toBe("Safari");
    expect(context.processAt?.(812, 1149)).toBe("Safari");
    expect(context.processAt?.(812, 1150)).toBe("curl");
    expect(context.processAt?.(90, 2000)).toBe("Google Chrome Helper");
    expect(context.processAt?.(7, 1000)).toBeNull();
  });
});
