/**
 * The watchdog when the VPN drops on an ISP's PPP link: the default route moves to ppp0, which is not the VPN
 * unless a connected L2TP/PPTP service accounts for it, so the rules it loads are blocking mode. A host route
 * the network pushes for the probe address leaves the VPN's tunnel let through.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import type { FakeMac } from "../fakes/fake-mac";
import { L2TP_UP, PPPOE_VPN_DROPPED, PROBE_HOST_ROUTE } from "../fakes/ppp-networks";
import { anchorRules, enabledThenMovedTo, expectNoLeak, inspect, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const PROTECTED = settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: true });
const recordedState = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8"));
const watchdogStatus = () => JSON.parse(readFileSync(`${mac.stateDirectory}/watchdog.json`, "utf8"));

/** On at home with the VPN up, then the Mac's network becomes `snapshot` and the watchdog runs once. */
async function afterChangeTo(snapshot: NetworkSnapshot, settings = PROTECTED) {
  const changed = await enabledThenMovedTo(snapshot, settings);
  mac = changed.mac;
  return changed;
}

describe("the watchdog on a ppp link", () => {
  it("blocks when the VPN drops and the default route moves to the ISP's PPPoE link", async () => {
    const { policy, network } = await afterChangeTo(PPPOE_VPN_DROPPED);
    expect(anchorRules(mac)).not.toContain("ppp0");
    expect(anchorRules(mac)).not.toContain("utun4");
    expect(anchorRules(mac)).toContain("block return out log (user) quick all");
    expect(recordedState().tunnels).toEqual([]);
    expect(watchdogStatus().tunnels).toEqual([]);
    expect((await inspect(mac)).tunnels).toBe("");
    expectNoLeak(mac, policy, network, mac.now(), "PPPoE, VPN dropped");
  });

  it("lets ppp0 through when the user names it in Trusted Tunnels", async () => {
    const settings = settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: true, trustedTunnels: ["ppp0"] });
    await afterChangeTo(PPPOE_VPN_DROPPED, settings);
    expect(anchorRules(mac)).toContain("pass out quick on ppp0 all flags any keep state (if-bound)");
  });

  it("lets macOS's own L2TP VPN on ppp0 through, its connected service accounting for it", async () => {
    const { policy, network } = await afterChangeTo(L2TP_UP);
    expect(anchorRules(mac)).toContain("pass out quick on ppp0 all flags any keep state (if-bound)");
    expect(recordedState().tunnels).toEqual(["ppp0"]);
    expectNoLeak(mac, policy, network, mac.now(), "L2TP");
  });

  it("keeps the VPN's tunnel when the network pushes a host route for the probe address", async () => {
    await afterChangeTo(PROBE_HOST_ROUTE);
    expect(anchorRules(mac)).toContain("pass out quick on utun4 all flags any keep state (if-bound)");
    expect(recordedState().tunnels).toEqual(["utun4"]);
    expect((await inspect(mac)).tunnels).toBe("utun4");
  });
});
