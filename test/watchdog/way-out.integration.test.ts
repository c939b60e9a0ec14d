/**
 * Blocking mode keeps the way out: whatever the watchdog loads (the VPN down, after a restart), the VPN can
 * still reach its server, found in the routes at Enable when the settings name none; and Enable refuses to
 * arm startup protection when it knows no server to keep reachable.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { KillSwitchError } from "../../src/lifecycle";
import { getKillSwitchStatus } from "../../src/lifecycle";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { emptyRuleset } from "../fakes/pf-model";
import {
  anchorRules,
  enable,
  enabledOn,
  expectNoLeak,
  joinNetwork,
  policyOf,
  runWatchdog,
  settingsFrom,
} from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const DEFAULTS = settingsFrom({});
const SERVER_PASS = "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)";
const recordedServers = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8")).servers;

describe("blocking mode keeps the way out", () => {
  it("keeps the server found in the routes reachable when the VPN drops and after a restart, with default settings", async () => {
    const policy = await policyOf(DEFAULTS);
    const { mac: enabled, on } = await enabledOn({ wifi: "home", vpn: "utun4" }, DEFAULTS);
    mac = enabled;
    expect(on.report.watchdog).toBe("installed"); // Protect from startup is on by default
    // Proved by OpenVPN's own connection (udp 1194), and recorded with that evidence.
    expect(recordedServers()).toEqual(["198.51.100.7:1194/udp@process"]);
    expect(anchorRules(mac)).toContain(SERVER_PASS);

    const down = joinNetwork(mac, { wifi: "home", vpn: null });
    await runWatchdog(mac);
    expect(anchorRules(mac)).toContain(SERVER_PASS);
    expectNoLeak(mac, policy, down, mac.now(), "VPN dropped");

    // A restart: pf empty and stopped, nobody logged in; the watchdog's RunAtLoad.
    mac.reboot();
    mac.writePf({ ...mac.readPf(), main: emptyRuleset(), anchors: {} });
    await runWatchdog(mac);
    expect(anchorRules(mac)).toContain(SERVER_PASS);
    expectNoLeak(mac, policy, down, mac.now(), "after a restart");
    expect(recordedServers()).toEqual(["198.51.100.7:1194/udp@process"]);
    expect((await getKillSwitchStatus({ system: mac.system, network: down, now: mac.now() })).state).toBe("blocking");
  });

  it("passes the server an earlier Enable found when Enable runs again with the VPN down", async () => {
    mac = (await enabledOn({ wifi: "home", vpn: "utun4" }, DEFAULTS)).mac;
    const down = joinNetwork(mac, { wifi: "home", vpn: null });
    const again = await enable(mac, DEFAULTS, down);
    expect(again.summary?.blockingMode).toBe(true);
    expect(again.summary?.endpoints).toEqual([{ address: "198.51.100.7", protocol: "udp", port: 1194 }]);
    expect(again.rules).toContain(SERVER_PASS);
    expect(recordedServers()).toEqual(["198.51.100.7:1194/udp@process"]);
    expectNoLeak(mac, await policyOf(DEFAULTS), down, mac.now(), "enabled with the VPN down");
  });

  it("refuses startup protection, before any prompt, when no server is known; without it, blocks", async () => {
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: null }) });
    const down = macNetworkState({ wifi: "home", vpn: null });
    const before = mac.readPf();
    const refused = await enable(mac, DEFAULTS, down).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KillSwitchError);
    expect(refused).toMatchObject({ kind: "no-server", nothingChanged: true });
    expect((refused as Error).message).toMatch(/No VPN is connected .* VPN Servers \(vpnServers\)/);
    expect(mac.prompts()).toHaveLength(0);
    expect(mac.readPf()).toEqual(before);

    // A server named in the settings is enough, and so is turning startup protection off.
    const named = await enable(mac, settingsFrom({ vpnServers: ["198.51.100.7:443/tcp"] }), down);
    expect(named.report.watchdog).toBe("installed");
    const off = await enable(mac, settingsFrom({ protectFromStartup: false }), down);
    expect(off.summary).toMatchObject({ blockingMode: true, endpoints: [] });
  });
});
