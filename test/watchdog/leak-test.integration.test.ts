/**
 * The live leak test on the fake Mac: probes through the real nc path, judged by pf's log in the kill switch's
 * record. The fake nc asks the fake pf (the verifier's evaluator on the rules pf holds) and logs what pf blocks,
 * stamped by the fake clock, which the test hands the CLI as the Mac's clock.
 */
import { appendFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { RandomInt } from "../../src/leaktest/probes";
import { runKillswitch } from "../cli/cli-harness";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { type MachineState, fakePaths, readJson } from "../fakes/machine";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { type LoggedPacket, pflogCapture } from "../pflog/capture-writer";
import { enable, enabledOn, joinNetwork, settingsFrom } from "./helpers";
import { LEAK_TEST_WHILE_OFF } from "../../src/words/messages";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const HOME_VPN = { wifi: "home", vpn: "utun4" } as const;
const SETTINGS = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], blockedTrafficLog: 10 });
const EN0_V6 = "2001:db8:1a2b:10:1849:8e2:c3d1:5a07";

/** A random source that answers `indices` in turn: the k-th probe takes the k-th free port from 49152 on. */
const drawing =
  (...indices: number[]): RandomInt =>
  (min, max) => {
    const next = indices.shift();
    if (next === undefined || next < min || next >= max) throw new Error(`no index left in [${min}, ${max})`);
    return next;
  };

interface Run {
  code: number;
  result: {
    results: { probe: { id: string; sourcePort: number }; verdict: string; detail: string }[];
    skipped: string[];
    leaks: number;
    unproven: number;
  };
  stdout: string;
}

const test = async (randomInt?: RandomInt, json = true): Promise<Run> => {
  const run = await runKillswitch(["test", ...(json ? ["--json"] : [])], {
    platform: "darwin",
    system: mac.system,
    wait: async () => {},
    now: () => mac.now(),
    randomInt,
  });
  return { code: run.code, result: json ? JSON.parse(run.stdout) : null, stdout: run.stdout };
};
const verdicts = (result: Run["result"]) => Object.fromEntries(result.results.map((r) => [r.probe.id, r.verdict]));
const detailOf = (result: Run["result"], id: string) => result.results.find((r) => r.probe.id === id)?.detail;

/** Entries another program's packets put in pf's log, as tcpdump writes them, at the fake clock's `at` seconds. */
function seedLog(packets: (Omit<LoggedPacket, "time"> & { at: number })[]): void {
  const file = readJson<MachineState>(fakePaths(mac.root).machine).captureFile;
  if (!file) throw new Error("no capture runs");
  const now = mac.now().getTime() / 1000;
  appendFileSync(file, pflogCapture(packets.map(({ at, ...packet }) => ({ ...packet, time: now + at }))).subarray(24));
}

/** The block pf would log for a probe from en0's address on en0, rule 40 of our anchor. */
const blockOnEn0 = (
  protocol: "tcp" | "udp",
  sourcePort: number,
  destination: string,
  destinationPort: number,
  at = 0,
): Omit<LoggedPacket, "time"> & { at: number } => ({
  at,
  ifname: "en0",
  ruleset: "000.vpnkillswit",
  rule: 40,
  dir: 2,
  family: destination.includes(":") ? "inet6" : "inet",
  protocol,
  source: destination.includes(":") ? EN0_V6 : "192.168.1.23",
  destination,
  sourcePort,
  destinationPort,
});

const ALL_LEAK = { "tcp-ipv4": "leak", "udp-ipv4": "leak", "dns-router": "leak", "tcp-ipv6": "leak" };

describe("killswitch test", () => {
  it("proves each outside probe blocked by its own entry in pf's log, and the tunnel probe through", async () => {
    ({ mac } = await enabledOn(HOME_VPN, SETTINGS));
    const { code, result } = await test(drawing(100, 7, 0, 16_379, 50));
    expect(code).toBe(0);
    expect(verdicts(result)).toEqual({
      "tcp-ipv4": "blocked",
      "udp-ipv4": "blocked",
      "dns-router": "blocked",
      "tcp-ipv6": "blocked",
      tunnel: "passed",
    });
    // The pflog header holds the anchor's last path component cut to 15 characters.
    expect(result.results[0].detail).toMatch(/^pf blocked it \(rule \d+ of 000\.vpnkillswit\)$/);
    expect(result.leaks).toBe(0);
    expect(result.unproven).toBe(0);
    // Bound to the interface and its address, each from its own port drawn for this run (the k-th index
    // counts among the ports not drawn yet), so its log entry is its own.
    const nc = mac.events().filter((event) => event.program === "nc");
    expect(nc.map((event) => event.args.slice(-8).join(" "))).toEqual([
      "-b en0 -s 192.168.1.23 -p 49252 1.1.1.1 443",
      "-b en0 -s 192.168.1.23 -p 49159 1.1.1.1 443",
      "-b en0 -s 192.168.1.23 -p 49152 192.168.1.1 53",
      `-b en0 -s ${EN0_V6} -p 65534 2606:4700:4700::1111 443`,
      "-b utun4 -s 10.8.0.2 -p 49204 1.1.1.1 443",
    ]);
    const text = await test(undefined, false);
    expect(text.stdout).toMatch(/^No leak: pf blocked every probe outside the tunnel, each by its own entry/);
    // Without a source given, node:crypto draws distinct ports of the ephemeral range.
    const drawn = mac
      .events()
      .filter((event) => event.program === "nc")
      .slice(5)
      .map((event) => Number(event.args[event.args.indexOf("-p") + 1]));
    expect(new Set(drawn).size).toBe(5);
    for (const port of drawn) expect(port).toBeGreaterThanOrEqual(49_152);
  });

  it("reports a leak loudly when pf is off (another program ran pfctl -d), whatever the sockets said", async () => {
    ({ mac } = await enabledOn(HOME_VPN, SETTINGS));
    await mac.pfctlAsRoot(["-d"]);
    const { code, result } = await test();
    expect(code).toBe(1);
    expect(result.leaks).toBe(4);
    // The UDP probes said nothing either way: pf's silence is what tells.
    expect(detailOf(result, "udp-ipv4")).toBe(
      "pf did not block it (no block of it in pf's log): it left the Mac outside the VPN",
    );
    const text = await test(undefined, false);
    expect(text.stdout).toMatch(/^LEAK: 4 probes left this Mac outside the VPN\./);
    expect(text.stdout).toMatch(/LEAK +TCP to 1\.1\.1\.1:443 on en0: the connection was made outside the VPN/);
  });

  it("takes no verdict from an earlier run's entries: all blocked, then pf disabled by another program, 4 leaks", async () => {
    ({ mac } = await enabledOn(HOME_VPN, SETTINGS));
    const first = await test(drawing(0, 1, 2, 3, 4));
    expect(first.result.leaks).toBe(0);
    expect(new Set(Object.values(verdicts(first.result)))).toEqual(new Set(["blocked", "passed"]));
    await mac.pfctlAsRoot(["-d"]);
    // The same second on the fake clock: only this run's own ports tell its entries from the first run's.
    const second = await test(drawing(10, 11, 12, 13, 14));
    expect(second.code).toBe(1);
    expect(second.result.leaks).toBe(4);
    expect(verdicts(second.result)).toEqual({ ...ALL_LEAK, tunnel: "passed" });
  });

  it("is not fooled by a log pre-seeded with entries older than the probe, later, or of other packets", async () => {
    ({ mac } = await enabledOn(HOME_VPN, SETTINGS));
    await mac.pfctlAsRoot(["-d"]);
    // This run's ports will be 49152 (TCP), 49153 (UDP), 49154 (DNS), 49155 (IPv6 TCP).
    const ports = [49_152, 49_153, 49_154, 49_155];
    const probes = [
      ["tcp", "1.1.1.1", 443],
      ["udp", "1.1.1.1", 443],
      ["udp", "192.168.1.1", 53],
      ["tcp", "2606:4700:4700::1111", 443],
    ] as const;
    const exact = (at: number, port: (at: number) => number) =>
      probes.map(([protocol, destination, destinationPort], k) =>
        blockOnEn0(protocol, port(k), destination, destinationPort, at),
      );
    seedLog([
      // The fixed ports the leak test once used, this very second.
      ...exact(0, (k) => 49_700 + k),
      // This run's ports, a second before the run: an earlier run, or another account sending from them.
      ...exact(-1, (k) => ports[k]),
      // This run's ports, after its probes ended: someone sending from a port the probe let go.
      ...exact(1, (k) => ports[k]),
      // This run's ports and time, but not its packets: another interface, address, protocol, direction, action.
      { ...blockOnEn0("tcp", ports[0], "1.1.1.1", 443), ifname: "en1" },
      { ...blockOnEn0("udp", ports[1], "1.1.1.1", 443), source: "192.168.1.99" },
      { ...blockOnEn0("tcp", ports[2], "192.168.1.1", 53) },
      { ...blockOnEn0("tcp", ports[3], "2606:4700:4700::1111", 443), dir: 1 },
      { ...blockOnEn0("udp", ports[1], "1.1.1.1", 443), action: 0 },
    ]);
    const { code, result } = await test(drawing(0, 0, 0, 0, 0));
    expect(verdicts(result)).toEqual({ ...ALL_LEAK, tunnel: "passed" });
    expect(code).toBe(1);
    expect(result.results.map((r) => r.probe.sourcePort)).toEqual([...ports, 49_156]);
  });

  it("judges the UDP and DNS probes on their own when the network drops the TCP probes", async () => {
    ({ mac } = await enabledOn(HOME_VPN, SETTINGS));
    await test(drawing(0, 1, 2, 3, 4));
    await mac.pfctlAsRoot(["-d"]);
    mac.setNetworkDropsTcp(true);
    const { code, result } = await test(drawing(10, 11, 12, 13, 14));
    expect(code).toBe(1);
    // The tunnel's TCP probe got no answer either: sent into the tunnel, which is no proof it came through.
    expect(verdicts(result)).toEqual({ ...ALL_LEAK, tunnel: "no-answer" });
    expect(detailOf(result, "tcp-ipv4")).toBe(
      "pf did not block it (no block of it in pf's log): it left the Mac outside the VPN (nc: connectx to 1.1.1.1 port 443 (tcp) failed: Operation timed out)",
    );
    expect(detailOf(result, "dns-router")).toBe(
      "pf did not block it (no block of it in pf's log): it left the Mac outside the VPN",
    );
  });

  it("without a VPN the outside probes are blocked and the tunnel probe cannot run; without a record it cannot tell", async () => {
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: null }) });
    await enable(mac, SETTINGS, joinNetwork(mac, { wifi: "home", vpn: null }));
    const { code, result } = await test();
    expect(code).toBe(0);
    expect(Object.keys(verdicts(result))).not.toContain("tunnel");
    expect(result.skipped).toContain("no tunnel probe: no VPN tunnel is up");
    expect(new Set(Object.values(verdicts(result)))).toEqual(new Set(["blocked"]));

    await enable(
      mac,
      settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"] }),
      macNetworkState({ wifi: "home", vpn: null }),
    );
    const blind = await test();
    expect(blind.code).toBe(1);
    expect(new Set(Object.values(verdicts(blind.result)))).toEqual(new Set(["not-proven"]));
    expect(blind.result.unproven).toBe(4);
    const text = await test(undefined, false);
    expect(text.stdout).toMatch(/^Not proven: 4 probes outside the tunnel got no verdict from pf, so no leak/);
  });

  it("sends nothing while the kill switch is off, and says so instead of reporting leaks", async () => {
    mac = createFakeMac();
    const sent = () => mac.events().filter((event) => event.program === "nc").length;
    const json = await runKillswitch(["test", "--json"], {
      platform: "darwin",
      system: mac.system,
      now: () => mac.now(),
    });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ tested: false, state: "off", reason: LEAK_TEST_WHILE_OFF.text });
    const { code, stdout } = await test(undefined, false);
    expect(code).toBe(1);
    expect(stdout).toBe(`${LEAK_TEST_WHILE_OFF.title}. ${LEAK_TEST_WHILE_OFF.text}\n`);
    expect(sent()).toBe(0);
  });
});
