/**
 * The watchdog when the VPN drops and another program's tunnel takes the routes to the Internet: a utun with
 * no connected VPN service and no known VPN program's socket behind it is not the VPN, so the rules it loads
 * are blocking mode; the user's naming lets it through.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import type { FakeMac } from "../fakes/fake-mac";
import { macSnapshot } from "../fakes/networks";
import { readMacosFixture } from "../network/fixtures";
import { anchorRules, enabledThenMovedTo, expectNoLeak, inspect, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const PROTECTED = settingsFrom({ vpnServers: ["198.51.100.7"], protectFromStartup: true });
const recordedState = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8"));

/** The VPN gone (OpenVPN's socket with it) and utun9, some other program's, carrying 0/1 + 128.0/1. */
function foreignTunnel(): NetworkSnapshot {
  const snapshot = macSnapshot({ wifi: "home", vpn: "utun9" });
  const sockets = (snapshot.netstatSockets ?? "")
    .split("\n")
    .filter((line) => !line.includes("openvpn:611"))
    .join("\n");
  return { ...snapshot, netstatSockets: sockets };
}

async function afterChangeTo(snapshot: NetworkSnapshot, settings = PROTECTED) {
  const changed = await enabledThenMovedTo(snapshot, settings);
  mac = changed.mac;
  return changed;
}

describe("the watchdog when a tunnel with no VPN behind it takes the routes to the Internet", () => {
  it("blocks: the tunnel is not let through and the verifier finds no leak", async () => {
    const { policy, network } = await afterChangeTo(foreignTunnel());
    expect(network.vpnInterface).toBeNull();
    expect(network.undetermined.join("\n")).toContain(
      "utun9 carries the routes to the Internet but nothing shows a VPN",
    );
    expect(anchorRules(mac)).not.toContain("utun9");
    expect(anchorRules(mac)).toContain("block return out log (user) quick all");
    expect(recordedState().tunnels).toEqual([]);
    expect((await inspect(mac)).tunnels).toBe("");
    expectNoLeak(mac, policy, network, mac.now(), "foreign utun9");
  });

  it("lets it through when a VPN service is connected (Tailscale's, as scutil --nc list prints it)", async () => {
    const tailscale = readMacosFixture("scutil", "scutil-nc-list_macos-26.5_tailscale19776.txt");
    const { policy, network } = await afterChangeTo({ ...foreignTunnel(), scutilNcList: tailscale });
    expect(anchorRules(mac)).toContain("pass out quick on utun9 all flags any keep state (if-bound)");
    expect(recordedState().tunnels).toEqual(["utun9"]);
    expectNoLeak(mac, policy, network, mac.now(), "utun9 with a connected VPN service");
  });

  it("lets it through when the user names it in Trusted Tunnels", async () => {
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7"],
      protectFromStartup: true,
      trustedTunnels: ["utun9"],
    });
    await afterChangeTo(foreignTunnel(), settings);
    expect(anchorRules(mac)).toContain("pass out quick on utun9 all flags any keep state (if-bound)");
    expect(recordedState().tunnels).toEqual(["utun9"]);
  });
});
