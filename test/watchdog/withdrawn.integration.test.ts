/**
 * What was withdrawn stops flowing: when a pass goes away (a captive portal window closes, an exception ends,
 * the Mac joins another network, the tunnel moves), the root script cuts every state outside the tunnels it
 * lets through now, computed from pf's states and the addresses of now. The VPN's own connection to its
 * server, the tunnel's and loopback's states stay.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { PfStateEntry } from "../fakes/pf-model";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { CAFE_ID, HOME_ID, macNetworkState, macSnapshot } from "../fakes/networks";
import { enable, joinNetwork, openConnection, runWatchdog, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const state = openConnection;
const connections = () => mac.readPf().states.map((s) => `${s.lan}:${s.lanPort} -> ${s.ext}:${s.extPort}`);
const addStates = (...entries: PfStateEntry[]) => mac.writePf({ ...mac.readPf(), states: entries });
const secondsFromNow = (seconds: number) => new Date(mac.now().getTime() + seconds * 1000);

describe("what was withdrawn stops flowing", () => {
  it("cuts a connection opened in the captive portal window when the root timer closes it", async () => {
    mac = createFakeMac({ network: macSnapshot({ wifi: "cafe", vpn: null }) });
    const settings = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false });
    await enable(mac, settings, macNetworkState({ wifi: "cafe", vpn: null }), {
      now: mac.now(),
      captivePortalUntil: secondsFromNow(120),
    });
    addStates(
      state("192.168.50.57", 50123, "93.184.216.34", 443), // a messenger's socket, opened in the window
      state("192.168.50.57", 50001, "198.51.100.7", 1194, "udp"), // the VPN reaching its server
      state("127.0.0.1", 50500, "127.0.0.1", 631), // loopback
    );
    await mac.advanceClock(119);
    expect(connections()).toHaveLength(3);
    await mac.advanceClock(1);
    expect(connections()).toEqual(["192.168.50.57:50001 -> 198.51.100.7:1194", "127.0.0.1:50500 -> 127.0.0.1:631"]);
  });

  it("cuts what an exception passed once it ends, and what this network's exceptions passed after a switch", async () => {
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7:1194/udp"],
      exceptions: [
        { address: "203.0.113.80", label: "Build server", expiresAt: secondsFromNow(600).toISOString() },
        { address: "192.168.1.40", label: "Home printer", scope: HOME_ID },
        { address: "192.168.50.9", label: "Cafe printer", scope: CAFE_ID },
      ],
    });
    await enable(mac, settings, macNetworkState({ wifi: "home", vpn: "utun4" }), { now: mac.now() });
    const tunnel = state("10.8.0.2", 50400, "93.184.216.34", 443);
    addStates(state("192.168.1.23", 50200, "203.0.113.80", 22), tunnel);
    await mac.advanceClock(599);
    await runWatchdog(mac);
    expect(connections()).toHaveLength(2); // nothing changed yet: nothing cut
    await mac.advanceClock(1);
    await runWatchdog(mac);
    expect(connections()).toEqual(["10.8.0.2:50400 -> 93.184.216.34:443"]);

    // Every state outside the tunnel goes with a change, the home printer's too: a flow still passed (none
    // here, on the cafe network) makes a new state with its next packet.
    addStates(state("192.168.1.23", 50300, "192.168.1.40", 631), tunnel);
    joinNetwork(mac, { wifi: "cafe", vpn: "utun4" });
    await runWatchdog(mac);
    expect(connections()).toEqual(["10.8.0.2:50400 -> 93.184.216.34:443"]);
  });

  it("cuts what leaves outside the tunnel when the tunnel moves, keeping the VPN's own connection", async () => {
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
    const settings = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"] });
    await enable(mac, settings, macNetworkState({ wifi: "home", vpn: "utun4" }), { now: mac.now() });
    addStates(
      state("192.168.1.23", 50001, "198.51.100.7", 1194, "udp"),
      state("192.168.1.23", 50600, "93.184.216.34", 443), // an app bound to en0
      state("10.8.0.2", 50400, "93.184.216.34", 443),
    );
    joinNetwork(mac, { wifi: "home", vpn: "utun5" });
    await runWatchdog(mac);
    expect(connections()).toEqual(["192.168.1.23:50001 -> 198.51.100.7:1194", "10.8.0.2:50400 -> 93.184.216.34:443"]);
  });
});
