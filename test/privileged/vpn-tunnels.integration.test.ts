/**
 * The root script takes the same tunnel for the VPN as src/network and the builder do: the one carrying the
 * routes to the Internet (never one address's route), a ppp link only when a connected L2TP/PPTP service
 * accounts for it, and the ones the user named. Run from its own parts on the same command outputs.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deriveNetworkState } from "../../src/network/derive";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { tunnelsToAllow } from "../../src/pf/anchor";
import { macSnapshot } from "../fakes/networks";
import {
  L2TP_CONNECTED,
  L2TP_OVER_PPPOE,
  L2TP_UP,
  PPPOE_CONNECTED,
  PPPOE_VPN_DROPPED,
  IPV6_SPLIT_ONLY,
  PROBE_HOST_ROUTE,
  ncList,
} from "../fakes/ppp-networks";
import { readMacosFixture } from "../network/fixtures";
import { temporaryDirectory } from "../temporary-directory";
import { NETWORK_READING_PARTS, writeRootLibrary } from "./root-parts";

/** A program printing FILE, or failing as a missing command output does. */
const program = (file: string) => `#!/bin/sh\n[ -f "${file}" ] && exec cat "${file}"\nexit 1\n`;

/** `vpn_tunnels` for the interface physical_gateway finds, with TRUSTED named, as the watchdog runs it, and the gateway. */
function rootReading(snapshot: NetworkSnapshot, trusted: readonly string[] = []) {
  const dir = temporaryDirectory("root-tunnels-");
  const library = writeRootLibrary(dir, NETWORK_READING_PARTS);
  writeFileSync(join(dir, "ifconfig"), snapshot.ifconfig ?? "");
  const outputs: [string, string | undefined][] = [
    ["netstat", snapshot.netstatRoutes],
    ["route-1.1.1.1", snapshot.routeGetInternet],
    ["route-default", snapshot.routeGetDefault],
    ["scutil", snapshot.scutilNcList],
  ];
  for (const [name, text] of outputs) if (text !== undefined) writeFileSync(join(dir, `${name}.txt`), text);
  writeFileSync(join(dir, "netstat"), program(join(dir, "netstat.txt")), { mode: 0o755 });
  writeFileSync(join(dir, "scutil"), program(join(dir, "scutil.txt")), { mode: 0o755 });
  writeFileSync(
    join(dir, "route"),
    `#!/bin/sh\n[ -f "${dir}/route-$3.txt" ] && exec cat "${dir}/route-$3.txt"\nexit 1\n`,
    {
      mode: 0o755,
    },
  );
  const harness = [
    '. "$1"; WORK=$2; NETSTAT="$2/netstat"; ROUTE="$2/route"; SCUTIL="$2/scutil"',
    "read -r gateway_ip gateway_if internet_if <<EOF\n$(physical_gateway)\nEOF",
    'vpn_tunnels "$internet_if" "$3"',
    'echo "gateway $gateway_ip $gateway_if"',
  ].join("\n");
  const run = spawnSync("/bin/sh", ["-c", harness, "harness", library, dir, trusted.join(" ")], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  const lines = run.stdout.split("\n");
  const gateway = lines.find((line) => line.startsWith("gateway "))?.slice("gateway ".length) ?? "";
  const tunnels = lines.find((line) => line !== "" && !line.startsWith("gateway ")) ?? "";
  return { tunnels: tunnels === "" ? [] : tunnels.split(" "), gateway };
}

/** The physical gateway as the root script prints it ("ADDRESS INTERFACE" or "- -"), from the builder's state. */
function builderGateway(snapshot: NetworkSnapshot): string {
  const gateway = deriveNetworkState(snapshot).gateway;
  return gateway?.ipv4 && gateway.interface ? `${gateway.ipv4} ${gateway.interface}` : "- -";
}

const builderTunnels = (snapshot: NetworkSnapshot, trusted: readonly string[] = []) =>
  tunnelsToAllow({ tunnelOverride: null, trustedTunnels: [...trusted] }, deriveNetworkState(snapshot));

const SCENARIOS: [string, NetworkSnapshot, string[], string[]][] = [
  ["the sample's OpenVPN on utun4", SAMPLE_SNAPSHOT, [], ["utun4"]],
  ["the sample, with a host route pushed for 1.1.1.1", PROBE_HOST_ROUTE, [], ["utun4"]],
  ["the sample without its VPN", macSnapshot({ wifi: "home", vpn: null }), [], []],
  [
    "the VPN on utun5 and Tailscale named",
    macSnapshot({ wifi: "cafe", vpn: "utun5", moreTunnels: ["utun6"] }),
    ["utun6"],
    ["utun5", "utun6"],
  ],
  ["PPPoE with the VPN dropped", PPPOE_VPN_DROPPED, [], []],
  ["PPPoE with the VPN dropped, no scutil --nc list", { ...PPPOE_VPN_DROPPED, scutilNcList: undefined }, [], []],
  ["PPPoE with the VPN dropped, ppp0 named", PPPOE_VPN_DROPPED, ["ppp0"], ["ppp0"]],
  ["macOS's L2TP VPN on ppp0", L2TP_UP, [], ["ppp0"]],
  ["L2TP on ppp0, the service listed disconnected", { ...L2TP_UP, scutilNcList: ncList(PPPOE_CONNECTED) }, [], []],
  ["L2TP over PPPoE", L2TP_OVER_PPPOE, [], []],
  ["L2TP over PPPoE, ppp1 named", L2TP_OVER_PPPOE, ["ppp1"], ["ppp1"]],
  [
    "L2TP over PPPoE, two L2TP services connected",
    { ...L2TP_OVER_PPPOE, scutilNcList: ncList(L2TP_CONNECTED, L2TP_CONNECTED.replace("My VPN", "Other VPN")) },
    [],
    ["ppp1"],
  ],
  ["IPv6's two halves on utun3, no IPv4 route to the Internet", { netstatRoutes: IPV6_SPLIT_ONLY }, [], ["utun3"]],
  [
    "IPv6's lower half alone on utun3: the default decides",
    { netstatRoutes: IPV6_SPLIT_ONLY.replace(/^8000::\/1.*\n/m, "") },
    [],
    [],
  ],
  ["no route table: 1.1.1.1's route decides", { ...SAMPLE_SNAPSHOT, netstatRoutes: undefined }, [], ["utun4"]],
  [
    "no route table and no route to 1.1.1.1: the default route decides",
    { ...SAMPLE_SNAPSHOT, netstatRoutes: undefined, routeGetInternet: undefined },
    [],
    [],
  ],
];

describe("the tunnels let through, as the root script finds them", () => {
  it.each(SCENARIOS)("match the builder's: %s", (_, snapshot, trusted, expected) => {
    expect(builderTunnels(snapshot, trusted)).toEqual(expected);
    const root = rootReading(snapshot, trusted);
    expect(root.tunnels).toEqual(expected);
    expect(root.gateway).toBe(builderGateway(snapshot));
  });

  const netstatFixtures = readdirSync(join(__dirname, "../fixtures/macos/netstat")).filter((name) =>
    /netstat-r|netstat-nr/.test(name),
  );
  it.each(netstatFixtures)("match the builder's on the real route table %s", (name) => {
    const table = readMacosFixture("netstat", name);
    for (const scutilNcList of [undefined, ncList(L2TP_CONNECTED)]) {
      const snapshot = { netstatRoutes: table, scutilNcList };
      const root = rootReading(snapshot);
      expect(root.tunnels, name).toEqual(builderTunnels(snapshot));
      expect(root.gateway, name).toBe(builderGateway(snapshot));
    }
  });

  const routeFixtures = readdirSync(join(__dirname, "../fixtures/macos/route"));
  it.each(routeFixtures)("match the builder's on the real route -n get %s", (name) => {
    const text = readMacosFixture("route", name);
    for (const snapshot of [{ routeGetInternet: text }, { routeGetDefault: text }]) {
      const root = rootReading(snapshot);
      expect(root.tunnels, name).toEqual(builderTunnels(snapshot));
      expect(root.gateway, name).toBe(builderGateway(snapshot));
    }
  });

  it("keep the router as the gateway when the network pushes a host route for 1.1.1.1 via another host", () => {
    expect(builderGateway(PROBE_HOST_ROUTE)).toBe("192.168.1.1 en0");
    expect(rootReading(PROBE_HOST_ROUTE).gateway).toBe("192.168.1.1 en0");
  });
});
