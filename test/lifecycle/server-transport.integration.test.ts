/**
 * A VPN server found in the routes with nothing on the Mac saying how the VPN reaches it (no open connection,
 * no IPsec tunnel): Enable asks, once, instead of passing every protocol to it. The answer is recorded.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ANCHOR_NAME, ServerTransportError, enableKillSwitch } from "../../src/lifecycle";
import type { Endpoint } from "../../src/policy/policy";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { NOW, WIFI_WITH_VPN, WIFI_WITHOUT_VPN, rejection, settingsFrom } from "./scenario";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

// No vpnServers: the server is only seen in the routes, and WIFI_WITH_VPN holds no connection to it.
const SETTINGS = settingsFrom({});
const SERVER_PASS = "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)";

const enable = (network = WIFI_WITH_VPN, serverTransports?: Endpoint[]) =>
  enableKillSwitch({
    system: mac.system,
    settings: SETTINGS,
    network,
    now: NOW,
    lookup: async () => [],
    serverTransports,
  });
const recordedServers = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8")).servers;

describe("a VPN server with no evidence of its protocol and port", () => {
  it("is asked about before any prompt, nothing changed", async () => {
    mac = createFakeMac();
    const before = mac.readPf();
    const error = await rejection(enable());
    expect(error).toBeInstanceOf(ServerTransportError);
    expect(error).toMatchObject({ kind: "server-transport", nothingChanged: true, servers: ["198.51.100.7"] });
    expect(error.message).toMatch(
      /198\.51\.100\.7 \(no connection says its protocol and port\).*198\.51\.100\.7:1194\/udp.*IP\/ikev2/,
    );
    expect(mac.prompts()).toHaveLength(0);
    expect(mac.readPf()).toEqual(before);
  });

  it("is passed on the answer alone, which is recorded, so the next Enable needs none", async () => {
    mac = createFakeMac();
    const on = await enable(WIFI_WITH_VPN, [{ address: "198.51.100.7", protocol: "udp", port: 1194 }]);
    const rules = mac.readPf().anchors[ANCHOR_NAME].filter;
    expect(rules).toContain(SERVER_PASS);
    expect(rules.filter((line) => line.includes("198.51.100.7"))).toEqual([SERVER_PASS]);
    expect(on.rules).not.toContain("to 198.51.100.7 flags any");
    // Its address proved (WIFI_WITH_VPN lists it as the VPN's), its protocol and port the user's answer.
    expect(recordedServers()).toEqual(["198.51.100.7:1194/udp@process"]);
    // Asked once: the VPN still up, then down, Enable finds the recorded answer.
    expect((await enable()).rules).toContain(SERVER_PASS);
    expect((await enable(WIFI_WITHOUT_VPN)).rules).toContain(SERVER_PASS);
    expect(mac.prompts()).toHaveLength(3);
  });

  it("takes IKEv2 as an answer: udp 500 and 4500, and ESP", async () => {
    mac = createFakeMac();
    const on = await enable(WIFI_WITH_VPN, [{ address: "198.51.100.7", protocol: "ikev2" }]);
    expect(on.rules).toContain(
      "pass out quick inet proto udp from any to 198.51.100.7 port { 500, 4500 } keep state (if-bound)",
    );
    expect(on.rules).toContain("pass out quick inet proto esp from any to 198.51.100.7 keep state (if-bound)");
    expect(recordedServers()).toEqual(["198.51.100.7/ikev2@process"]);
  });

  it("refuses an answer for a server it does not know, naming the ones it found", async () => {
    mac = createFakeMac();
    const error = await rejection(enable(WIFI_WITH_VPN, [{ address: "203.0.113.9", protocol: "tcp", port: 443 }]));
    expect(error).toMatchObject({ kind: "server-transport", nothingChanged: true });
    expect(error.message).toBe(
      "No VPN server 203.0.113.9 was found on this Mac or recorded (the servers found are 198.51.100.7), so nothing was changed.",
    );
    expect(mac.prompts()).toHaveLength(0);
  });

  it("needs no answer when the VPN's connection says it", async () => {
    mac = createFakeMac();
    const network = {
      ...WIFI_WITH_VPN,
      serverConnections: [{ address: "198.51.100.7", protocol: "udp" as const, port: 1194 }],
    };
    expect((await enable(network)).rules).toContain(SERVER_PASS);
  });
});
