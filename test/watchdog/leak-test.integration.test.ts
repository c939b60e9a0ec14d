/**
 * The live leak test on the fake Mac: probes through the real nc path, judged by pf's log in the kill switch's
 * record. The fake nc asks the fake pf (the verifier's evaluator on the rules pf holds) and logs what pf blocks.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runKillswitch } from "../cli/cli-harness";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { enable, joinNetwork, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const HOME_VPN = { wifi: "home", vpn: "utun4" } as const;
const SETTINGS = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], blockedTrafficLog: 10 });
const waits: number[] = [];
const test = async () => {
  const run = await runKillswitch(["test", "--json"], {
    platform: "darwin",
    system: mac.system,
    wait: async (ms) => {
      waits.push(ms);
    },
  });
  return { code: run.code, result: JSON.parse(run.stdout), stderr: run.stderr };
};
const verdicts = (result: { results: { probe: { id: string }; verdict: string }[] }) =>
  Object.fromEntries(result.results.map((r) => [r.probe.id, r.verdict]));

describe("killswitch test", () => {
  it("proves each outside probe blocked by pf's log, and the tunnel probe through", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    await enable(mac, SETTINGS, macNetworkState(HOME_VPN));
    const { code, result } = await test();
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
    // Bound to the physical interface, each with its own source port, so its log entry is its own.
    const nc = mac.events().filter((event) => event.program === "nc");
    expect(nc.map((event) => event.args.slice(-6).join(" "))).toEqual([
      "-b en0 -p 49700 1.1.1.1 443",
      "-b en0 -p 49701 1.1.1.1 443",
      "-b en0 -p 49702 192.168.1.1 53",
      "-b en0 -p 49703 2606:4700:4700::1111 443",
      "-b utun4 -p 49704 1.1.1.1 443",
    ]);
    const text = await runKillswitch(["test"], { platform: "darwin", system: mac.system, wait: async () => {} });
    expect(text.stdout).toMatch(/^No leak: every probe outside the tunnel was blocked by pf\./);
  });

  it("reports a leak loudly when pf is off (another program ran pfctl -d), whatever the sockets said", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
    await enable(mac, SETTINGS, macNetworkState(HOME_VPN));
    await mac.pfctlAsRoot(["-d"]);
    const { code, result } = await test();
    expect(code).toBe(1);
    expect(result.leaks).toBe(4);
    // The UDP probes said nothing either way: pf's silence is what tells.
    expect(result.results.find((r: { probe: { id: string } }) => r.probe.id === "udp-ipv4").detail).toBe(
      "pf did not block it: it left the Mac outside the VPN",
    );
    const text = await runKillswitch(["test"], { platform: "darwin", system: mac.system, wait: async () => {} });
    expect(text.stdout).toMatch(/^LEAK: 4 probes left this Mac outside the VPN\./);
    expect(text.stdout).toMatch(/LEAK +TCP to 1\.1\.1\.1:443 on en0: the connection was made outside the VPN/);
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
    expect(blind.code).toBe(0);
    expect(new Set(Object.values(verdicts(blind.result)))).toEqual(new Set(["unknown"]));
  });
});
