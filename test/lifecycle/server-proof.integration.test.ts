/**
 * Enable on a fake Mac whose network pushed a host route to a site (DHCP option 121), read through the fake
 * commands as on a Mac: it asks before passing the route's address, showing what it saw, and keeps the answer.
 * Servers an earlier version recorded from a route alone are asked about again, and not passed until then.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ANCHOR_NAME, ServerTransportError, enableKillSwitch } from "../../src/lifecycle";
import { readRecordedState, recordedServers, rememberedServers } from "../../src/lifecycle/record";
import { deriveNetworkState } from "../../src/network/derive";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import { type NetworkSnapshot, collectLiveSnapshot } from "../../src/network/snapshot";
import type { Endpoint } from "../../src/policy/policy";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { writeRecordedState } from "../fakes/recorded-state";
import { readMacosFixture } from "../network/fixtures";
import { NOW, WIFI_WITHOUT_VPN, rejection, settingsFrom } from "./scenario";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const SETTINGS = settingsFrom({});
const CASE_1: NetworkSnapshot = {
  ...SAMPLE_SNAPSHOT,
  netstatRoutes: (SAMPLE_SNAPSHOT.netstatRoutes ?? "").replace(
    /^198\.51\.100\.7\/32 .*$/m,
    (pin) => `${pin}\n93.184.216.34/32   192.168.1.1   UGSc   en0`,
  ),
};
const OPENVPN_PASS = "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)";

const state = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8"));
const anchorRules = () => mac.readPf().anchors[ANCHOR_NAME]?.filter ?? [];
/** Enable as the CLI and Raycast run it: the network read from this Mac's commands. */
async function enable(answers: { serverTransports?: Endpoint[]; declinedServers?: string[] } = {}) {
  const network = deriveNetworkState(await collectLiveSnapshot(mac.system));
  return enableKillSwitch({
    system: mac.system,
    settings: SETTINGS,
    network,
    now: NOW,
    lookup: async () => [],
    ...answers,
  });
}

describe("a host route the network pushed (case 1)", () => {
  it("is asked about with what was seen, nothing changed; declined, it is never passed and not asked again", async () => {
    mac = createFakeMac({ network: CASE_1 });
    const before = mac.readPf();
    const error = await rejection(enable());
    expect(error).toBeInstanceOf(ServerTransportError);
    expect(error).toMatchObject({ kind: "server-transport", nothingChanged: true, servers: ["93.184.216.34"] });
    expect((error as ServerTransportError).seen["93.184.216.34"]).toBe(
      "93.184.216.34 (named by a host route; 93.184.216.34:443/tcp, used by Safari (pid 812))",
    );
    expect(error.message).toContain("93.184.216.34:443/tcp, used by Safari (pid 812)");
    expect(mac.prompts()).toHaveLength(0);
    expect(mac.readPf()).toEqual(before);

    const on = await enable({ declinedServers: ["93.184.216.34"] });
    expect(on.rules).not.toContain("93.184.216.34");
    expect(anchorRules()).toContain(OPENVPN_PASS);
    expect(state().servers).toEqual(["198.51.100.7:1194/udp@process", "93.184.216.34@declined"]);
    // Kept: the next Enable asks nothing and still passes only the VPN's server.
    expect((await enable()).rules).not.toContain("93.184.216.34");
    expect(state().servers).toEqual(["198.51.100.7:1194/udp@process", "93.184.216.34@declined"]);
    expect(mac.prompts()).toHaveLength(2);
  });

  it("confirmed by the user, is passed on the answer's protocol and port, and the answer kept", async () => {
    mac = createFakeMac({ network: CASE_1 });
    await enable({ serverTransports: [{ address: "93.184.216.34", protocol: "udp", port: 51820 }] });
    const pass = "pass out quick inet proto udp from any to 93.184.216.34 port 51820 keep state (if-bound)";
    expect(anchorRules().filter((line) => line.includes("93.184.216.34"))).toEqual([pass]);
    expect(state().servers).toEqual(["198.51.100.7:1194/udp@process", "93.184.216.34:51820/udp@user"]);
    expect((await enable()).rules).toContain(pass);
  });
});

describe("an owner netstat names by pid only (before macOS 26)", () => {
  // Mojave's header, and its first row to the sample's VPN server from the sample's Wi-Fi address, owned by pid 611.
  const mojave = readMacosFixture("netstat", "macos-10.14-mojave-netstat-v-n-p-tcp-pid-epid-PARTIAL.txt").split("\n");
  const row = mojave[2]
    .replace("192.168.1.191.52044", "192.168.1.23.52044")
    .replace("31.13.66.35.443", "198.51.100.7.443")
    .replace(" 9811 ", "  611 ");
  const network = { ...SAMPLE_SNAPSHOT, netstatSockets: [mojave[0], mojave[1], row].join("\n") };
  const TCP_PASS = "pass out quick inet proto tcp from any to 198.51.100.7 port 443 flags any keep state (if-bound)";

  it("is named by ps: OpenVPN's connection proves its server, no question asked", async () => {
    mac = createFakeMac({ network, processes: { 611: "/usr/local/opt/openvpn/sbin/openvpn" } });
    expect((await enable()).rules).toContain(TCP_PASS);
    expect(
      mac
        .events()
        .filter((e) => e.program === "ps")
        .map((e) => e.args),
    ).toEqual([["-p", "611", "-o", "pid=,comm="]]);
    expect(state().servers).toEqual(["198.51.100.7:443/tcp@process"]);
  });

  it("when ps cannot name it (the process is gone), nothing is proved: Enable asks", async () => {
    // The tunnel is the VPN by its connected service (a Network Extension's); the server is not proved.
    const scutilNcList = readMacosFixture("scutil", "scutil-nc-list_macos-26.5_tailscale19776.txt");
    mac = createFakeMac({ network: { ...network, scutilNcList }, processes: {} });
    const error = await rejection(enable());
    expect(error).toMatchObject({ kind: "server-transport", servers: ["198.51.100.7"] });
    expect(error.message).toContain("198.51.100.7:443/tcp, used by pid 611");
  });
});

describe("servers an earlier version recorded from a route alone", () => {
  it("are not passed until asked about again at the next Enable, and the answers are kept with their evidence", async () => {
    mac = createFakeMac();
    // What the earlier version wrote: no evidence, the route's site among them.
    writeRecordedState(mac, 1_700_000_000, { servers: ["198.51.100.7:1194/udp", "93.184.216.34:443/tcp"] });
    const reading = await readRecordedState(mac.system);
    expect(rememberedServers(reading)).toEqual([]);
    expect(recordedServers(reading).map((r) => r.kind)).toEqual(["unconfirmed", "unconfirmed"]);

    // The VPN down: nothing proves either of them now.
    const down = (answers: { serverTransports?: Endpoint[]; declinedServers?: string[] } = {}) =>
      enableKillSwitch({ system: mac.system, settings: SETTINGS, network: WIFI_WITHOUT_VPN, now: NOW, ...answers });
    const error = await rejection(down());
    expect(error).toMatchObject({ kind: "server-transport", servers: ["198.51.100.7", "93.184.216.34"] });
    expect(error.message).toContain("93.184.216.34:443/tcp (recorded by an earlier version from a route alone)");
    expect(mac.prompts()).toHaveLength(0);

    const on = await down({
      serverTransports: [{ address: "198.51.100.7", protocol: "udp", port: 1194 }],
      declinedServers: ["93.184.216.34"],
    });
    expect(on.rules).toContain(OPENVPN_PASS);
    expect(on.rules).not.toContain("93.184.216.34");
    expect(state().servers).toEqual(["198.51.100.7:1194/udp@user", "93.184.216.34@declined"]);
    expect((await down()).rules).toContain(OPENVPN_PASS);
  });

  it("one the VPN's connection proves now needs no question", async () => {
    mac = createFakeMac();
    writeRecordedState(mac, 1_700_000_000, { servers: ["198.51.100.7:1194/udp"] });
    expect((await enable()).rules).toContain(OPENVPN_PASS);
    expect(state().servers).toEqual(["198.51.100.7:1194/udp@process"]);
  });
});
