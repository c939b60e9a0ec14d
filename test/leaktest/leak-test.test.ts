/**
 * The leak test's parts without a Mac: which log entry is a probe's own, the ports it is sent from, and the
 * verdicts from what `nc` said and what the record holds (the fake Mac runs it whole:
 * test/watchdog/leak-test.integration.test.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type LeakTestRequest, runLeakTest } from "../../src/leaktest/leak-test";
import { leakTestOutcome } from "../../src/leaktest/outcome";
import { type SentProbe, isProbeEntry } from "../../src/leaktest/probe-entry";
import { EPHEMERAL_PORTS, type Probe, drawSourcePorts, planProbes } from "../../src/leaktest/probes";
import type { PflogPacket } from "../../src/pflog/capture";
import { type BlockedTrafficRecord, parseRecordNotes } from "../../src/pflog/record";
import { type CommandResult, MACOS_BINARIES } from "../../src/system/commands";
import { macNetworkState } from "../fakes/networks";

const SEED = 20261215;
const T = 1_796_000_000;

const UDP_PROBE: Probe = {
  id: "udp-ipv4",
  title: "UDP to 1.1.1.1:443 on en0",
  outside: true,
  interface: "en0",
  protocol: "udp",
  source: "192.168.1.23",
  destination: "1.1.1.1",
  port: 443,
  sourcePort: 50_123,
};
/** Sent from T + 0.5 s to T + 0.52 s. */
const SENT: SentProbe = { probe: UDP_PROBE, startedAt: T * 1000 + 500, endedAt: T * 1000 + 520 };

/** pf's block of the probe, as the capture reads it, stamped `time`. */
const entry = (time: number, change: Partial<PflogPacket> = {}): PflogPacket => ({
  time,
  action: "block",
  reason: "match",
  interface: "en0",
  ruleset: "000.vpnkillswit",
  rule: 40,
  subrule: 0,
  uid: 501,
  pid: 900,
  direction: "out",
  family: "inet",
  protocol: "udp",
  source: "192.168.1.23",
  destination: "1.1.1.1",
  sourcePort: 50_123,
  destinationPort: 443,
  icmpType: null,
  ...change,
});

describe("a probe's own entry in pf's log", () => {
  it("is the block of exactly its packet, stamped while it was sent", () => {
    expect(isProbeEntry(SENT, entry(T + 0.5))).toBe(true);
    expect(isProbeEntry(SENT, entry(T + 0.510_25))).toBe(true);
    // The end is read in whole milliseconds after the send: a stamp within that millisecond is still the probe's.
    expect(isProbeEntry(SENT, entry(T + 0.520_999))).toBe(true);
  });

  it.each([
    ["an older entry (an earlier run, or a packet sent from the port before)", entry(T + 0.499_999)],
    ["an entry stamped after the probe ended (another sender on the port it let go)", entry(T + 0.521)],
    ["another interface", entry(T + 0.51, { interface: "en1" })],
    ["another source address", entry(T + 0.51, { source: "192.168.1.99" })],
    ["another destination", entry(T + 0.51, { destination: "1.0.0.1" })],
    ["another protocol", entry(T + 0.51, { protocol: "tcp" })],
    ["another source port", entry(T + 0.51, { sourcePort: 50_124 })],
    ["another destination port", entry(T + 0.51, { destinationPort: 53 })],
    ["a packet coming in", entry(T + 0.51, { direction: "in" })],
    ["a packet pf passed", entry(T + 0.51, { action: "pass" })],
    ["a packet whose addresses were cut off", entry(T + 0.51, { source: null })],
  ])("is not %s", (_, packet) => {
    expect(isProbeEntry(SENT, packet)).toBe(false);
  });

  it("knows an IPv6 address however it is written", () => {
    const probe = { ...UDP_PROBE, source: "2001:db8:1a2b:10:0:0:0:5", destination: "2606:4700:4700:0::1111" };
    const packet = entry(T + 0.51, {
      family: "inet6",
      source: "2001:db8:1a2b:10::5",
      destination: "2606:4700:4700::1111",
    });
    expect(isProbeEntry({ ...SENT, probe }, packet)).toBe(true);
  });

  it("takes whole-second stamps of a clock that reads whole seconds (the fake Mac's)", () => {
    const sent = { probe: UDP_PROBE, startedAt: T * 1000, endedAt: T * 1000 };
    expect(isProbeEntry(sent, entry(T))).toBe(true);
    expect(isProbeEntry(sent, entry(T - 1))).toBe(false);
    expect(isProbeEntry(sent, entry(T + 1))).toBe(false);
  });
});

describe("the probes' source ports", () => {
  /** A random source from fast-check's numbers: any answer in the range it is asked for. */
  const sourceFrom = (answers: number[]) => {
    let at = 0;
    return (min: number, max: number) => min + (answers[at++ % answers.length] % (max - min));
  };

  it("are distinct and in the ephemeral range, whatever the random source answers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 64 }),
        (count, answers) => {
          const ports = drawSourcePorts(count, sourceFrom(answers));
          const inRange = ports.every((port) => port >= EPHEMERAL_PORTS.first && port <= EPHEMERAL_PORTS.last);
          return ports.length === count && new Set(ports).size === count && inRange;
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("use the whole range: a source that always answers its last index counts down from the top", () => {
    expect(drawSourcePorts(3, (_, max) => max - 1)).toEqual([65_535, 65_534, 65_533]);
    expect(drawSourcePorts(3, () => 0)).toEqual([49_152, 49_153, 49_154]);
  });

  it("refuse a random source that answers outside what it was asked", () => {
    expect(() => drawSourcePorts(2, (_, max) => max)).toThrow(
      "the random source gave 16384, not a whole number from 0 to 16383",
    );
    expect(() => drawSourcePorts(1, () => 0.5)).toThrow(/gave 0\.5/);
  });

  it("are drawn by node:crypto by default, one for each probe", () => {
    const { probes } = planProbes(macNetworkState({ wifi: "home", vpn: "utun4" }));
    const ports = probes.map((probe) => probe.sourcePort);
    expect(new Set(ports).size).toBe(probes.length);
    for (const port of ports) expect(port).toBeGreaterThanOrEqual(EPHEMERAL_PORTS.first);
  });
});

describe("the probes", () => {
  it("leave from their interface's own address, known beforehand", () => {
    const { probes, skipped } = planProbes(macNetworkState({ wifi: "home", vpn: "utun4" }), () => 0);
    expect(probes.map((probe) => `${probe.id} ${probe.interface} ${probe.source}`)).toEqual([
      "tcp-ipv4 en0 192.168.1.23",
      "udp-ipv4 en0 192.168.1.23",
      "dns-router en0 192.168.1.23",
      "tcp-ipv6 en0 2001:db8:1a2b:10:1849:8e2:c3d1:5a07",
      "tunnel utun4 10.8.0.2",
    ]);
    expect(skipped).toEqual([]);
  });

  it("are skipped, and said so, when their interface has no address of the family", () => {
    const network = macNetworkState({ wifi: "home", vpn: "utun4" });
    const bare = {
      ...network,
      physical: network.physical.map((entry) => ({ ...entry, ipv4: [], ipv6: [] })),
      tunnels: network.tunnels.map((entry) => ({ ...entry, ipv4: [] })),
    };
    const { probes, skipped } = planProbes(bare, () => 0);
    expect(probes).toEqual([]);
    expect(skipped).toEqual([
      "no IPv4 probe: en0 has no IPv4 address",
      "no IPv6 probe: en0 has no global IPv6 address",
      "no tunnel probe: utun4 has no IPv4 address",
    ]);
  });
});

describe("the verdicts", () => {
  const NETWORK = macNetworkState({ wifi: "home", vpn: null });
  const KEPT = (packets: PflogPacket[] = []): BlockedTrafficRecord => ({
    directory: "/capture",
    files: ["blocked.pcap0"],
    packets,
    context: parseRecordNotes("", ""),
  });

  /** One run of the test on a clock frozen at T; `nc` answers by its arguments. */
  async function testWith(
    answer: (args: readonly string[]) => CommandResult,
    record: (args: string[][]) => BlockedTrafficRecord | null,
    network = NETWORK,
  ) {
    const calls: string[][] = [];
    const request: LeakTestRequest = {
      system: {
        binaries: MACOS_BINARIES,
        run: async (_, args) => {
          calls.push([...args]);
          return answer(args);
        },
      },
      network,
      readRecord: async () => record(calls),
      wait: async () => {},
      now: () => new Date(T * 1000),
      randomInt: () => 0,
    };
    return runLeakTest(request);
  }
  /** nc's answer when its send fails with EHOSTUNREACH, as when pf drops it: UDP exits 1 without a word. */
  const refused = (args: readonly string[]): CommandResult =>
    args.includes("-u")
      ? { exitCode: 1, stdout: "", stderr: "" }
      : { exitCode: 1, stdout: "", stderr: "nc: connectx to 1.1.1.1 port 443 (tcp) failed: No route to host" };
  /** nc's answer when the network drops its probe: UDP says nothing, TCP times out. */
  const dropped = (args: readonly string[]): CommandResult =>
    args.includes("-u")
      ? { exitCode: 0, stdout: "", stderr: "" }
      : { exitCode: 1, stdout: "", stderr: "nc: connectx to 1.1.1.1 port 443 (tcp) failed: Operation timed out" };
  /** pf's block of each probe `nc` was asked to send, as the record would hold it. */
  const blockedAll = (calls: string[][], time = T) =>
    KEPT(
      calls.map((args) => {
        const value = (flag: string) => args[args.indexOf(flag) + 1];
        const destination = args.at(-2) ?? "";
        return entry(time, {
          interface: value("-b"),
          family: destination.includes(":") ? "inet6" : "inet",
          protocol: args.includes("-u") ? "udp" : "tcp",
          source: value("-s"),
          destination,
          sourcePort: Number(value("-p")),
          destinationPort: Number(args.at(-1)),
        });
      }),
    );

  it("says no leak only when every probe outside the tunnel has its own block entry", async () => {
    const result = await testWith(refused, blockedAll);
    expect(result.results.map((r) => r.verdict)).toEqual(["blocked", "blocked", "blocked", "blocked"]);
    expect(leakTestOutcome(result)).toBe("no-leak");
  });

  it("calls a probe nc could not send not proven, and says how many are not proven", async () => {
    const result = await testWith(
      (args) =>
        args.includes("-u")
          ? { exitCode: 1, stdout: "", stderr: "nc: bind failed: Can't assign requested address" }
          : refused(args),
      (calls) => blockedAll(calls.filter((args) => !args.includes("-u"))),
    );
    expect(result.results.map((r) => `${r.probe.id} ${r.verdict}`)).toEqual([
      "tcp-ipv4 blocked",
      "udp-ipv4 not-proven",
      "dns-router not-proven",
      "tcp-ipv6 blocked",
    ]);
    expect(result.results[1].detail).toBe("nc could not send it: nc: bind failed: Can't assign requested address");
    expect(result).toMatchObject({ leaks: 0, unproven: 2 });
    expect(leakTestOutcome(result)).toBe("not-proven");
  });

  it("cannot judge what pf's log does not witness: no record, or only an earlier tcpdump's files", async () => {
    const none = await testWith(refused, () => null);
    expect(new Set(none.results.map((r) => r.verdict))).toEqual(new Set(["not-proven"]));
    expect(none.unproven).toBe(4);
    // Only an earlier tcpdump's files (previous.pcapN): nothing records now, so pf's silence tells nothing.
    const previous = await testWith(refused, () => ({ ...KEPT(), files: ["previous.pcap0"] }));
    expect(previous.unproven).toBe(4);
    expect(previous.results[0].detail).toBe(
      "no record of blocked traffic is being kept, so pf's verdict cannot be read",
    );
  });

  it("calls a probe sent while the record is kept, with no block of it logged, a leak", async () => {
    // TCP timed out (the network dropped it, after pf let it out); the UDP probes were logged as blocked.
    const result = await testWith(dropped, (calls) => blockedAll(calls.filter((args) => args.includes("-u"))));
    expect(result.results.map((r) => `${r.probe.id} ${r.verdict}`)).toEqual([
      "tcp-ipv4 leak",
      "udp-ipv4 blocked",
      "dns-router blocked",
      "tcp-ipv6 leak",
    ]);
    expect(leakTestOutcome(result)).toBe("leak");
  });

  it("calls a probe this Mac refused, with no block of it logged, not proven: it did not leave, but not by pf's rules", async () => {
    const result = await testWith(refused, (calls) => blockedAll(calls.filter((args) => args.includes("-u"))));
    expect(result.results.map((r) => `${r.probe.id} ${r.verdict}`)).toEqual([
      "tcp-ipv4 not-proven",
      "udp-ipv4 blocked",
      "dns-router blocked",
      "tcp-ipv6 not-proven",
    ]);
    expect(result.results[0].detail).toBe(
      "this Mac refused to send it (nc: connectx to 1.1.1.1 port 443 (tcp) failed: No route to host), but pf's log holds no block of it",
    );
    expect(leakTestOutcome(result)).toBe("not-proven");
  });

  it("judges the tunnel probe by its own entry too", async () => {
    const vpn = macNetworkState({ wifi: "home", vpn: "utun4" });
    const inTunnel = (args: readonly string[]) => args.includes("utun4");
    const blocked = await testWith(refused, blockedAll, vpn);
    expect(blocked.results.at(-1)).toMatchObject({
      verdict: "tunnel-blocked",
      detail: "pf blocked it in the tunnel (rule 40 of 000.vpnkillswit)",
    });
    // Its entry from a second before the run is not its own: refused with no block of it logged.
    const older = await testWith(
      refused,
      (calls) => {
        const now = blockedAll(calls.filter((args) => !inTunnel(args)));
        return { ...now, packets: [...now.packets, ...blockedAll(calls.filter(inTunnel), T - 1).packets] };
      },
      vpn,
    );
    expect(older.results.at(-1)?.verdict).toBe("not-proven");
    expect(leakTestOutcome(older)).toBe("no-leak");
  });

  it("calls a tunnel probe sent with no answer and no block logged sent into the tunnel, not a pass", async () => {
    const vpn = macNetworkState({ wifi: "home", vpn: "utun4" });
    const outsideBlocked = (calls: string[][]) => blockedAll(calls.filter((args) => !args.includes("utun4")));
    const result = await testWith(dropped, outsideBlocked, vpn);
    expect(result.results.at(-1)).toMatchObject({
      verdict: "no-answer",
      detail: "sent into the tunnel, no answer (nc: connectx to 1.1.1.1 port 443 (tcp) failed: Operation timed out)",
    });
    expect(leakTestOutcome(result)).toBe("no-leak");
  });

  it("says not proven when no probe could be planned outside the tunnel", () => {
    expect(leakTestOutcome({ results: [], skipped: [], leaks: 0, unproven: 0 })).toBe("not-proven");
  });
});
