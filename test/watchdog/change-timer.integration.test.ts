/**
 * Expiry without the watchdog: one root timer loads the rules again when the next `until` is due (an exception
 * that ends, a portal window), cuts what that withdrew, and waits for the one after.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { PfStateEntry } from "../fakes/pf-model";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { anchorRules, enable, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const outbound = (ext: string): PfStateEntry => ({
  iface: "ALL",
  proto: "tcp",
  direction: "out",
  lan: "192.168.1.23",
  lanPort: 50200,
  ext,
  extPort: 443,
  description: "ESTABLISHED:ESTABLISHED",
});
const recorded = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8"));

describe("the change timer", () => {
  it("ends each exception on time without the watchdog, one after the other", async () => {
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
    const at = (seconds: number) => new Date(mac.now().getTime() + seconds * 1000);
    const start = Math.floor(mac.now().getTime() / 1000);
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7:1194/udp"],
      protectFromStartup: false,
      exceptions: [
        { address: "203.0.113.80", label: "Build server", expiresAt: at(60).toISOString() },
        { address: "203.0.113.90", label: "Test server", expiresAt: at(120).toISOString() },
      ],
    });
    await enable(mac, settings, macNetworkState({ wifi: "home", vpn: "utun4" }), { now: mac.now() });
    expect(mac.launchDaemons()).toEqual([]);
    expect(recorded().nextChangeAt).toBe(start + 60);
    mac.writePf({ ...mac.readPf(), states: [outbound("203.0.113.80")] });

    await mac.advanceClock(59);
    expect(anchorRules(mac)).toContain("to 203.0.113.80 flags any keep state");
    await mac.advanceClock(1);
    expect(anchorRules(mac)).not.toContain("203.0.113.80");
    expect(anchorRules(mac)).toContain("to 203.0.113.90 flags any keep state");
    expect(mac.readPf().states).toEqual([]); // what it passed is cut
    expect(recorded().nextChangeAt).toBe(start + 120);

    await mac.advanceClock(60);
    expect(anchorRules(mac)).not.toContain("203.0.113.90");
    expect(recorded().nextChangeAt).toBeNull();
    expect(mac.sleepers()).toEqual([]); // nothing left waiting
  });
});
