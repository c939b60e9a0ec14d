/**
 * The root side of Allow Local Network: the watchdog's filled templates on a network that calls public
 * addresses local (case 2) and on one that hands out a part of what the VPN routes into the tunnel (case 8)
 * are the builder's rules, text for text, pass nothing of either, and the record says why.
 */
import { afterEach, describe, expect, it } from "vitest";
import { getKillSwitchStatus } from "../../src/lifecycle";
import { readWatchdogStatus } from "../../src/lifecycle/record";
import { deriveNetworkState } from "../../src/network/derive";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { ULA_LAN, lanInsideVpnRoutesSnapshot, publicLanSnapshot } from "../fakes/hostile-lan";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { enable, expectNoLeak, inspect, policyOf, rememberedTunnelRoutes, runWatchdog, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

/** The rules without the "# Built <time> for <network>" line, which records when and where they were made. */
const withoutBuiltLine = (text: string) => text.split("\n").filter((line) => !line.startsWith("# Built "));
const ruleLines = (text: string) => text.split("\n").filter((line) => /^(pass|block) /.test(line));

const join = (snapshot: NetworkSnapshot) => {
  mac.setNetwork(snapshot);
  return deriveNetworkState(snapshot);
};

describe("the watchdog on a network that lies about what is local", () => {
  it("passes nothing public where the network calls a public /8 and a global /64 local (case 2)", async () => {
    const now = new Date();
    const settings = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], allowLan: true });
    const policy = await policyOf(settings);
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
    const on = await enable(mac, settings, macNetworkState({ wifi: "home", vpn: "utun4" }), { now });
    // Home's router-advertised global /64 is public space too: Enable says so.
    expect(on.notes).toContain("This network calls public addresses local; not passed: 2001:db8:1a2b:10::/64.");
    for (const vpn of ["utun4", null]) {
      const state = join(publicLanSnapshot(macSnapshot({ wifi: "home", vpn })));
      const seen = await inspect(mac);
      const remembered = { rememberedTunnelRoutes: rememberedTunnelRoutes(mac) };
      expect(withoutBuiltLine(seen.rules ?? ""), String(vpn)).toEqual(
        withoutBuiltLine(buildKillSwitchAnchor({ policy, network: state, now, ...remembered })),
      );
      const lan = ruleLines(seen.rules ?? "").filter((line) => /104\.|2001:db8:1a2b:10::/.test(line));
      expect(lan, String(vpn)).toEqual([
        "pass out quick on en0 inet proto udp from any port 68 to 104.16.0.1 port 67 keep state",
      ]);
      await runWatchdog(mac);
      expectNoLeak(mac, policy, state, now, String(vpn));
      const record = await readWatchdogStatus(mac.system);
      expect(record.kind === "present" && record.value.notLocal).toEqual(["104.16.0.0/16", "2001:db8:1a2b:10::/64"]);
      expect(record.kind === "present" && record.value.message).toContain(
        "this network calls public addresses local; not passed: 104.16.0.0/16 2001:db8:1a2b:10::/64",
      );
      const status = await getKillSwitchStatus({ system: mac.system, network: state, now: mac.now() });
      expect(status.notes.join("\n")).toContain(
        "This network calls public addresses local; not passed: 104.16.0.0/16, 2001:db8:1a2b:10::/64.",
      );
    }
    // Back home: only its router-advertised global /64 is left to say.
    join(macSnapshot({ wifi: "home", vpn: "utun4" }));
    await runWatchdog(mac);
    const record = await readWatchdogStatus(mac.system);
    expect(record.kind === "present" && record.value.notLocal).toEqual(["2001:db8:1a2b:10::/64"]);
  });

  it("passes no LAN that a VPN route holds, the VPN up and down (case 8)", async () => {
    const now = new Date();
    const settings = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], allowLan: true });
    const policy = await policyOf(settings);
    const up = lanInsideVpnRoutesSnapshot(macSnapshot({ wifi: "home", vpn: "utun4" }));
    mac = createFakeMac({ network: up });
    const on = await enable(mac, settings, deriveNetworkState(up), { now });
    expect(rememberedTunnelRoutes(mac)).toEqual(expect.arrayContaining(["10.0.0.0/8", "fd12:3456:789a::/48"]));
    expect(on.rules).not.toMatch(/^pass .*(10\.20\.30\.0\/24|fd12:3456:789a)/m);
    for (const snapshot of [up, lanInsideVpnRoutesSnapshot(macSnapshot({ wifi: "home", vpn: null }))]) {
      const state = join(snapshot);
      const seen = await inspect(mac);
      const remembered = { rememberedTunnelRoutes: rememberedTunnelRoutes(mac) };
      expect(withoutBuiltLine(seen.rules ?? "")).toEqual(
        withoutBuiltLine(buildKillSwitchAnchor({ policy, network: state, now, ...remembered })),
      );
      expect(ruleLines(seen.rules ?? "").filter((line) => /10\.20\.30\.0\/24|fd12:3456:789a/.test(line))).toEqual([]);
      await runWatchdog(mac);
      expectNoLeak(mac, policy, state, now, state.vpnInterface ?? "VPN down");
    }
    expect(ULA_LAN).toBe("fd12:3456:789a:1::/64");
  });
});
