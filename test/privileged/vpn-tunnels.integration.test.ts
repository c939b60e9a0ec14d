/**
 * The root script takes the same tunnel for the VPN as src/network and the builder do: the one carrying the
 * routes to the Internet (never one address's route), a ppp link only when a connected L2TP/PPTP service
 * accounts for it, another tunnel only when a VPN is seen running (a connected VPN service, a known VPN
 * program's socket), and the ones the user named. Run from its own parts on the same command outputs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readParts } from "../../scripts/root-script-build.mjs";
import { deriveNetworkState } from "../../src/network/derive";
import { KNOWN_VPN_CLIENTS } from "../../src/network/vpn-clients";
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
    ["netstat--rn", snapshot.netstatRoutes],
    ["netstat--anv", snapshot.netstatSockets],
    ["ps", snapshot.processNames],
    ["route-1.1.1.1", snapshot.routeGetInternet],
    ["route-default", snapshot.routeGetDefault],
    ["scutil", snapshot.scutilNcList],
  ];
  for (const [name, text] of outputs) if (text !== undefined) writeFileSync(join(dir, `${name}.txt`), text);
  // Each program notes its command line in ran.txt: the proof is read only when it decides something.
  const logged = (run: string) => `#!/bin/sh
echo "$0 $*" >>"${dir}/ran.txt"
${run}`;
  writeFileSync(
    join(dir, "netstat"),
    logged(`[ -f "${dir}/netstat-$1.txt" ] && exec cat "${dir}/netstat-$1.txt"\nexit 1\n`),
    {
      mode: 0o755,
    },
  );
  writeFileSync(join(dir, "scutil"), logged(program(join(dir, "scutil.txt")).replace("#!/bin/sh\n", "")), {
    mode: 0o755,
  });
  writeFileSync(join(dir, "ps"), logged(program(join(dir, "ps.txt")).replace("#!/bin/sh\n", "")), { mode: 0o755 });
  writeFileSync(
    join(dir, "route"),
    `#!/bin/sh\n[ -f "${dir}/route-$3.txt" ] && exec cat "${dir}/route-$3.txt"\nexit 1\n`,
    {
      mode: 0o755,
    },
  );
  const harness = [
    '. "$1"; WORK=$2; NETSTAT="$2/netstat"; ROUTE="$2/route"; SCUTIL="$2/scutil"; PS="$2/ps"',
    "read -r gateway_ip gateway_if internet_if <<EOF\n$(physical_gateway)\nEOF",
    'vpn_tunnels "$internet_if" "$3"',
    'echo "gateway $gateway_ip $gateway_if"',
  ].join("\n");
  const run = spawnSync("/bin/sh", ["-c", harness, "harness", library, dir, trusted.join(" ")], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  const lines = run.stdout.split("\n");
  const gateway = lines.find((line) => line.startsWith("gateway "))?.slice("gateway ".length) ?? "";
  const tunnels = lines.find((line) => line !== "" && !line.startsWith("gateway ")) ?? "";
  const ran = existsSync(join(dir, "ran.txt"))
    ? readFileSync(join(dir, "ran.txt"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => line.slice(dir.length + 1))
    : [];
  return { tunnels: tunnels === "" ? [] : tunnels.split(" "), gateway, ran };
}

/** The physical gateway as the root script prints it ("ADDRESS INTERFACE" or "- -"), from the builder's state. */
function builderGateway(snapshot: NetworkSnapshot): string {
  const gateway = deriveNetworkState(snapshot).gateway;
  return gateway?.ipv4 && gateway.interface ? `${gateway.ipv4} ${gateway.interface}` : "- -";
}

const builderTunnels = (snapshot: NetworkSnapshot, trusted: readonly string[] = []) =>
  tunnelsToAllow({ tunnelOverride: null, trustedTunnels: [...trusted] }, deriveNetworkState(snapshot));

const SAMPLE_SOCKETS = SAMPLE_SNAPSHOT.netstatSockets ?? "";
const OPENVPN_SOCKET = SAMPLE_SOCKETS.split("\n").find((line) => line.includes("openvpn:611")) ?? "";
/** The sample with OpenVPN's socket owned by OWNER instead (`-` leaves it out): utun4 still carries 0/1 + 128.0/1. */
const ownedBy = (owner: string, row = OPENVPN_SOCKET): NetworkSnapshot => ({
  ...SAMPLE_SNAPSHOT,
  netstatSockets: SAMPLE_SOCKETS.replace(
    `${OPENVPN_SOCKET}\n`,
    owner === "-" ? "" : `${row.replace("openvpn:611", owner)}\n`,
  ),
});
const UNPROVEN = ownedBy("-");
/** wireguard-go's UDP socket, unconnected (macOS 26 columns). */
const WIREGUARD_LISTENING = OPENVPN_SOCKET.replace(
  "192.168.1.23.50001     198.51.100.7.1194 ",
  "*.51820                *.*               ",
);
/** Mojave's `pid epid` header and one row owned by pid 611, as the older layouts print sockets. */
const MOJAVE = readMacosFixture("netstat", "macos-10.14-mojave-netstat-v-n-p-tcp-pid-epid-PARTIAL.txt").split("\n");
const PID_ONLY = {
  ...UNPROVEN,
  netstatSockets: [MOJAVE[0], MOJAVE[1], MOJAVE[2].replace(" 9811 ", "  611 ")].join("\n"),
};
const TAILSCALE = readMacosFixture("scutil", "scutil-nc-list_macos-26.5_tailscale19776.txt");

const SCENARIOS: [string, NetworkSnapshot, string[], string[]][] = [
  ["the sample's OpenVPN on utun4", SAMPLE_SNAPSHOT, [], ["utun4"]],
  ["utun4 carrying 0/1 + 128.0/1 with nothing to show a VPN behind it", UNPROVEN, [], []],
  ["utun4 unproved, named by the user", UNPROVEN, ["utun4"], ["utun4"]],
  [
    "utun4 unproved, named after another tunnel",
    { ...UNPROVEN, ifconfig: macSnapshot({ wifi: "home", vpn: "utun4", moreTunnels: ["utun6"] }).ifconfig },
    ["utun6", "utun4"],
    ["utun4", "utun6"],
  ],
  ["utun4 with Tailscale's VPN service connected", { ...UNPROVEN, scutilNcList: TAILSCALE }, [], ["utun4"]],
  [
    "utun4 with Tailscale's VPN service disconnected",
    { ...UNPROVEN, scutilNcList: TAILSCALE.replace("(Connected)", "(Disconnected)") },
    [],
    [],
  ],
  ["utun4 with an L2TP service connected", { ...UNPROVEN, scutilNcList: ncList(L2TP_CONNECTED) }, [], ["utun4"]],
  ["utun4 with a PPPoE service connected", { ...UNPROVEN, scutilNcList: ncList(PPPOE_CONNECTED) }, [], []],
  ["utun4 with wireguard-go's unconnected UDP socket", ownedBy("wireguard-go:611", WIREGUARD_LISTENING), [], ["utun4"]],
  ["utun4 with an unconnected UDP socket of another program", ownedBy("Safari:611", WIREGUARD_LISTENING), [], []],
  [
    "utun4 with a socket of a client whose name the kernel cut to 16 characters",
    ownedBy("WireGuardNetwork:611"),
    [],
    ["utun4"],
  ],
  ["utun4 with a socket of a program named like a client with a space", ownedBy("my openvpn:611"), [], []],
  ["utun4 with a socket of a program whose name starts like a client", ownedBy("openvpn-x:611"), [], []],
  [
    "utun4 with a socket owned by a pid, ps naming OpenVPN",
    { ...PID_ONLY, processNames: "  611 /usr/local/sbin/openvpn\n" },
    [],
    ["utun4"],
  ],
  [
    "utun4 with a socket owned by a pid, ps naming Safari",
    { ...PID_ONLY, processNames: "  611 /Applications/Safari.app/Contents/MacOS/Safari\n" },
    [],
    [],
  ],
  ["utun4 with a socket owned by a pid that ps cannot name", PID_ONLY, [], []],
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
  [
    "IPv6's two halves on utun3, no IPv4 route to the Internet",
    { netstatRoutes: IPV6_SPLIT_ONLY, netstatSockets: SAMPLE_SOCKETS },
    [],
    ["utun3"],
  ],
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

  it("know the VPN programs KNOWN_VPN_CLIENTS lists", () => {
    const part = readParts().find((each) => each.name === "52-tunnels.sh")?.text ?? "";
    const listed = /^VPN_CLIENTS="([^"]*)"$/m.exec(part)?.[1].split(" ");
    expect(listed).toEqual(KNOWN_VPN_CLIENTS.map((client) => client.name));
  });

  it("read the proof of a VPN only for a tunnel carrying the Internet that the user did not name", () => {
    const proofReads = (ran: string[]) => ran.filter((line) => /^(scutil|netstat -anv|ps)/.test(line));
    expect(proofReads(rootReading(SAMPLE_SNAPSHOT).ran)).toEqual(["scutil --nc list", "netstat -anv"]);
    expect(proofReads(rootReading({ ...UNPROVEN, scutilNcList: TAILSCALE }).ran)).toEqual(["scutil --nc list"]);
    expect(proofReads(rootReading(PID_ONLY).ran)).toEqual([
      "scutil --nc list",
      "netstat -anv",
      "ps -p 611 -o pid=,comm=",
    ]);
    expect(proofReads(rootReading(UNPROVEN, ["utun4"]).ran)).toEqual([]);
    expect(proofReads(rootReading(macSnapshot({ wifi: "home", vpn: null })).ran)).toEqual([]);
  });

  const socketFixtures = readdirSync(join(__dirname, "../fixtures/macos/netstat")).filter((name) =>
    /-anv|pid/.test(name),
  );
  it.each(socketFixtures)("match the builder's on the real sockets %s", (name) => {
    const sockets = readMacosFixture("netstat", name);
    const pids = [...new Set(sockets.split("\n").flatMap((line) => line.match(/\s(\d{2,6})\s+0\s+0/)?.[1] ?? []))];
    for (const processNames of [
      undefined,
      pids.map((pid) => `${pid} /usr/sbin/openvpn`).join("\n"),
      pids.map((pid) => `${pid} /bin/zsh`).join("\n"),
    ]) {
      const snapshot = { ...UNPROVEN, netstatSockets: sockets, processNames };
      expect(rootReading(snapshot).tunnels, name).toEqual(builderTunnels(snapshot));
    }
    // Each real row's owner renamed to a client: proof on both sides where the layout names owners.
    const renamed = { ...UNPROVEN, netstatSockets: sockets.replace(/Autodesk Fusion:/g, "openvpn:") };
    expect(rootReading(renamed).tunnels, name).toEqual(builderTunnels(renamed));
  });

  it("keep the router as the gateway when the network pushes a host route for 1.1.1.1 via another host", () => {
    expect(builderGateway(PROBE_HOST_ROUTE)).toBe("192.168.1.1 en0");
    expect(rootReading(PROBE_HOST_ROUTE).gateway).toBe("192.168.1.1 en0");
  });
});
