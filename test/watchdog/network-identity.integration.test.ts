/**
 * The network identity and the VPN tunnels are computed twice: by src/network (TypeScript, for the rules the
 * extension builds) and by the watchdog (sh and awk, at boot and on every change). Both read the same real
 * macOS outputs here and must give the same answers.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveNetworkState } from "../../src/network/derive";
import { tunnelsToAllow } from "../../src/pf/anchor";
import { DEFAULT_SETTINGS } from "../../src/policy/settings";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macSnapshot } from "../fakes/networks";
import { readMacosFixture } from "../network/fixtures";
import { enable, inspect, joinNetwork, policyOf, settingsFrom } from "./helpers";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import { HOME_ID, type MacNetwork } from "../fakes/networks";

const ifconfig = (name: string) => readMacosFixture("ifconfig", name);
const netstat = (name: string) => readMacosFixture("netstat", name);
const route = (name: string) => readMacosFixture("route", name);
const arp = (name: string) => readMacosFixture("arp", name);
const ipconfig = (name: string) => readMacosFixture("ipconfig", name);

const JC_IFCONFIG = "macos-10.14.6_jc_ifconfig2_ap1_vmnet.txt";
const JC_NETSTAT = "macos-10.14.6_jc_netstat-rnl_no-vpn_utun-ipv6-defaults.txt";

const SNAPSHOTS: Record<string, NetworkSnapshot> = {
  "the sample Mac, OpenVPN full tunnel": SAMPLE_SNAPSHOT,
  "the sample Mac without VPN": macSnapshot({ wifi: "home", vpn: null }),
  "another Wi-Fi, VPN on utun7": macSnapshot({ wifi: "cafe", vpn: "utun7" }),
  "ifconfig and netstat of one Mac (MAC from the router's row)": {
    ifconfig: ifconfig(JC_IFCONFIG),
    netstatRoutes: netstat(JC_NETSTAT),
  },
  "the same with its ARP table (MAC from arp)": {
    ifconfig: ifconfig(JC_IFCONFIG),
    netstatRoutes: netstat(JC_NETSTAT),
    arp: arp("macos-10.14.6_jc_arp-a2.txt"),
  },
  "an OpenVPN split tunnel's routes only": {
    netstatRoutes: netstat("macos_jenkins-infra5209_netstat-rn_openvpn-split-utun4_PARTIAL.txt"),
  },
  "a table with the router's MAC row, no ifconfig": {
    netstatRoutes: netstat("macos_ivpn444_netstat-nr_no-vpn_gateway-mac_PARTIAL.txt"),
  },
  "a table cut before its interface column": {
    netstatRoutes: netstat("macos_xhyve84_netstat-rn_cisco-vpn_0-1_FIRST-LINES-ONLY.txt"),
  },
  "netstat -r with host names": { netstatRoutes: netstat("macos-10.14.6_jc_netstat-r_names.txt") },
  "route -n get default on en1": { routeGetDefault: route("macos_kairos4431_route-n-get-default_wifi-en1.txt") },
  "route -n get default without a final newline": {
    routeGetDefault: route("macos_facter-osx_route_route-n-get-default.txt"),
  },
  "an IKEv2 default on ipsec0, no gateway": {
    routeGetDefault: route("macos_killswitch19_route-get-0.0.0.0_ipsec0-default_no-gateway.txt"),
  },
  "the route to 1.1.1.1 names another router: the table's default decides": {
    ...SAMPLE_SNAPSHOT,
    routeGetInternet: route("macos_student-tp_route-n-get-default.txt"),
  },
  "the route to 1.1.1.1 alone, no table": { routeGetInternet: route("macos_student-tp_route-n-get-default.txt") },
  "nothing at all": {},
  "a summary with the Wi-Fi name (WPA2_PSK)": {
    ...SAMPLE_SNAPSHOT,
    ipconfigSummaries: { en0: ipconfig("macos-13or14_mullvad_ipconfig-getsummary-en0_wifi_ssid-visible.txt") },
  },
  "macOS 15.6: the name redacted, the security mode not": {
    ...SAMPLE_SNAPSHOT,
    ipconfigSummaries: { en0: ipconfig("getsummary-en0_macos-15.6_SSID-redacted_dracula-tmux358_TAIL-ONLY.txt") },
  },
  "a copy of the home network run open": macSnapshot({ wifi: "home", vpn: "utun4", security: "NONE" }),
  "a summary without a security mode": macSnapshot({ wifi: "home", vpn: "utun4", security: null }),
  "a link that is not Wi-Fi": {
    ...SAMPLE_SNAPSHOT,
    ipconfigSummaries: { en0: "<dictionary> {\n  InterfaceType : Ethernet\n  LinkStatusActive : TRUE\n}\n" },
  },
};

const IFCONFIG_FIXTURES = readdirSync(join(__dirname, "../fixtures/macos/ifconfig")).filter(
  (name) => name !== "ifconfig-l_samples.txt",
);

/** The policy of the default settings, as far as choosing tunnels goes: none named, none fixed. */
const NO_SETTINGS = { tunnelOverride: null, trustedTunnels: DEFAULT_SETTINGS.trustedTunnels };

let mac: FakeMac;
beforeAll(() => {
  mac = createFakeMac();
});
afterAll(() => mac.cleanup());

describe("the watchdog reads the network as the extension does", () => {
  it.each(Object.entries(SNAPSHOTS))("identity and tunnels: %s", async (_name, snapshot) => {
    const state = deriveNetworkState(snapshot);
    mac.setNetwork(snapshot);
    const seen = await inspect(mac);
    expect(seen.network).toBe(state.identity?.id ?? "");
    expect(seen.security).toBe(state.identity?.security ?? "");
    expect(seen.up).toBe(state.tunnels.map((tunnel) => tunnel.name).join(" "));
    // Trusted: only the tunnel the route to the Internet leaves by, as the builder decides.
    expect(seen.tunnels).toBe(tunnelsToAllow(NO_SETTINGS, state).join(" "));
  });

  it("trusts the tunnel carrying the default route, not another one that is up (Tailscale)", async () => {
    const snapshot = macSnapshot({ wifi: "home", vpn: "utun4", moreTunnels: ["utun6"] });
    mac.setNetwork(snapshot);
    const seen = await inspect(mac);
    expect(seen.up).toBe("utun4 utun6");
    expect(seen.tunnels).toBe("utun4");
    expect(tunnelsToAllow(NO_SETTINGS, deriveNetworkState(snapshot))).toEqual(["utun4"]);
  });

  it.each(IFCONFIG_FIXTURES)("VPN tunnels of %s", async (name) => {
    const snapshot = { ifconfig: ifconfig(name) };
    mac.setNetwork(snapshot);
    expect((await inspect(mac)).up).toBe(
      deriveNetworkState(snapshot)
        .tunnels.map((tunnel) => tunnel.name)
        .join(" "),
    );
  });

  it("reads the link security the fixtures hold, not just agreement on nothing", () => {
    const modes = Object.values(SNAPSHOTS).map((snapshot) => deriveNetworkState(snapshot).identity?.security);
    expect(modes).toEqual(expect.arrayContaining(["WPA2_PSK", "NONE", "wired", null]));
  });

  it("finds the networks the fixtures hold, not just agreement on nothing", () => {
    const ids = Object.values(SNAPSHOTS).map((snapshot) => deriveNetworkState(snapshot).identity?.id ?? null);
    expect(ids).toContain("gw=192.168.1.254,mac=fc:ae:34:a1:3a:80,net=192.168.1.0/24");
    expect(ids).toContain("gw=192.168.1.254,mac=fc:ae:34:f1:3f:80,net=192.168.1.0/24");
    expect(ids).toContain("gw=192.168.68.1,mac=a4:2b:b0:1d:2b:f4,net=unknown");
    expect(ids).toContain("gw=192.168.1.1,mac=7c:10:c9:00:00:90,net=unknown");
    expect(ids).toContain("gw=10.33.79.254,mac=unknown,net=unknown");
    const tunnels = IFCONFIG_FIXTURES.flatMap((name) =>
      deriveNetworkState({ ifconfig: ifconfig(name) }).tunnels.map((t) => t.name),
    );
    expect(tunnels.length).toBeGreaterThan(0);
  });
});

describe("a copy of the home network does not get its exceptions", () => {
  // Saved before link security was recorded (needs a wired link or a Wi-Fi with a key), and recorded as WPA2.
  const settings = settingsFrom({
    vpnServers: ["198.51.100.7:1194/udp"],
    exceptions: [
      { address: "192.168.1.40", label: "Printer", scope: HOME_ID },
      { address: "192.168.1.41", label: "NAS", scope: HOME_ID, scopeSecurity: "WPA2_PSK" },
    ],
  });
  const home: MacNetwork = { wifi: "home", vpn: "utun4" };
  let twin: FakeMac;
  beforeAll(async () => {
    twin = createFakeMac({ network: macSnapshot(home) });
    await enable(twin, settings, deriveNetworkState(macSnapshot(home)), { now: new Date() });
  });
  afterAll(() => twin.cleanup());

  /** What the watchdog and the builder pass on `network`: the rules of the exceptions, both sides the same. */
  async function exceptionRules(network: MacNetwork) {
    const state = joinNetwork(twin, network);
    const built = buildKillSwitchAnchor({ policy: await policyOf(settings), network: state, now: new Date() });
    const seen = await inspect(twin);
    const lines = (text: string) => text.split("\n").filter((line) => /192\.168\.1\.4[01]/.test(line));
    expect(seen.network).toBe(HOME_ID);
    expect(lines(seen.rules ?? "")).toEqual(lines(built));
    return lines(built);
  }

  it("at home (WPA2), on its link only", async () => {
    expect(await exceptionRules(home)).toEqual([
      "pass out quick on en0 inet from any to 192.168.1.40 flags any keep state",
      "pass out quick on en0 inet from any to 192.168.1.41 flags any keep state",
    ]);
  });

  it("not on the same router IP, MAC and subnet run open, or with its security unread", async () => {
    expect(await exceptionRules({ ...home, security: "NONE" })).toEqual([]);
    expect(await exceptionRules({ ...home, security: null })).toEqual([]);
    expect((await inspect(twin)).rulesFile).toBe("other.pf");
  });

  it("under another key-protected mode: only the exception saved without one", async () => {
    expect(await exceptionRules({ ...home, security: "WPA3_SAE" })).toEqual([
      "pass out quick on en0 inet from any to 192.168.1.40 flags any keep state",
    ]);
  });
});
