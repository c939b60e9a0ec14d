/**
 * A pass outside the tunnel comes only from evidence the network cannot forge: a VPN server is proved by a
 * connection a VPN program owns from a physical interface's address. A route (DHCP option 121 installs one
 * exactly like a VPN's pin) or scutil --nwi only names a candidate, which is never passed until confirmed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveNetworkState } from "../../src/network/derive";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { describeCandidate } from "../../src/network/vpn-servers";
import { KNOWN_VPN_CLIENTS, vpnClientOf } from "../../src/network/vpn-clients";
import { buildFailClosedAnchor, buildKillSwitchAnchor } from "../../src/pf/anchor";
import { evaluatePacket } from "../../src/verify/evaluate";
import { parsePfRules } from "../../src/verify/parse-rules";
import { verificationSummary, verifyRuleset } from "../../src/verify/verify-policy";
import { buildRuleTemplates } from "../../src/watchdog/templates";
import { policyOf } from "../verify/scenarios";
import { readMacosFixture } from "./fixtures";

const NOW = new Date("2026-12-01T12:00:00Z");
const SERVER_ROUTE = /^198\.51\.100\.7\/32 .*$/m;
/** The sample's netstat -rn with host routes the network pushed (DHCP option 121) next to the VPN's own pin. */
function withRoutes(snapshot: NetworkSnapshot, lines: readonly string[]): NetworkSnapshot {
  const routes = snapshot.netstatRoutes ?? "";
  return { ...snapshot, netstatRoutes: routes.replace(SERVER_ROUTE, (pin) => [pin, ...lines].join("\n")) };
}
const CASE_1 = withRoutes(SAMPLE_SNAPSHOT, ["93.184.216.34/32   192.168.1.1   UGSc   en0"]);

/** Every line of the rules that passes something to `address`. */
const passesTo = (rules: string, address: string) =>
  rules.split("\n").filter((line) => line.startsWith("pass") && line.includes(` ${address} `));

describe("case 1: a DHCP route makes a site a VPN server", () => {
  it("names 93.184.216.34 a candidate with Safari's connection through the tunnel, and proves only OpenVPN's server", () => {
    const state = deriveNetworkState(CASE_1);
    expect(state.endpoints).toEqual(["198.51.100.7"]);
    expect(state.serverConnections).toEqual([{ address: "198.51.100.7", protocol: "udp", port: 1194 }]);
    expect(state.serverCandidates).toEqual([
      {
        address: "93.184.216.34",
        seenIn: ["route"],
        connections: [{ protocol: "tcp", port: 443, owner: "Safari", pid: 812, localAddress: "10.8.0.2" }],
      },
    ]);
    expect(describeCandidate(state.serverCandidates![0])).toBe(
      "93.184.216.34 (named by a host route; 93.184.216.34:443/tcp, used by Safari (pid 812))",
    );
  });

  it("passes nothing to it outside the tunnel: rules, every template, the fail-closed rules", async () => {
    const input = { policy: await policyOf({}), network: deriveNetworkState(CASE_1), now: NOW };
    const rules = buildKillSwitchAnchor(input);
    expect(passesTo(rules, "93.184.216.34")).toEqual([]);
    expect(passesTo(rules, "198.51.100.7")).toEqual([
      "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)",
    ]);
    const verdict = evaluatePacket(parsePfRules(rules), {
      direction: "out",
      interface: "en0",
      family: "inet",
      protocol: "tcp",
      source: "192.168.1.23",
      sourcePort: 49152,
      destination: "93.184.216.34",
      destinationPort: 443,
    });
    expect(verdict.action).toBe("block");
    const templates = buildRuleTemplates(input);
    for (const text of [templates.other, ...templates.networks.map((n) => n.rules), buildFailClosedAnchor(input)]) {
      expect(text).not.toContain("93.184.216.34");
    }
  });

  it("verify fails the rules an earlier version built, which pass the route's site, naming the leak", async () => {
    const input = { policy: await policyOf({}), network: deriveNetworkState(CASE_1), now: NOW };
    const pin = "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)";
    const routeOnly =
      "pass out quick inet proto tcp from any to 93.184.216.34 port 443 flags any keep state (if-bound)";
    const old = buildKillSwitchAnchor(input).replace(pin, `${pin}\n${routeOnly}`);
    const result = verifyRuleset(old, input);
    expect(result.passed).toBe(false);
    expect(verificationSummary(result).failures.join("\n")).toContain("93.184.216.34");
    expect(verifyRuleset(buildKillSwitchAnchor(input), input).passed).toBe(true);
  });

  it("passes it once the user confirmed it, on the answer's protocol and port only", async () => {
    const rules = buildKillSwitchAnchor({
      policy: await policyOf({}),
      network: deriveNetworkState(CASE_1),
      now: NOW,
      rememberedServers: [{ address: "93.184.216.34", protocol: "udp", port: 51820 }],
    });
    expect(passesTo(rules, "93.184.216.34")).toEqual([
      "pass out quick inet proto udp from any to 93.184.216.34 port 51820 keep state (if-bound)",
    ]);
  });
});

describe("what proves a VPN server", () => {
  const sockets = (rows: readonly string[]) =>
    [
      "Active Internet connections (including servers)",
      SAMPLE_SNAPSHOT.netstatSockets?.split("\n").find((line) => line.startsWith("Proto")) ?? "",
      ...rows,
    ].join("\n");
  // The sample's OpenVPN row, its owner and local address changed.
  const openvpnRow = (owner: string, local = "192.168.1.23") =>
    `udp4       0      0  ${local}.50001     198.51.100.7.1194                       9912044      1822370  786896    9216 ${owner}  00000 00000000 0000000000a3b077 00000000 00000800      1      0 000000`;
  const serversOf = (rows: readonly string[], snapshot: NetworkSnapshot = SAMPLE_SNAPSHOT) =>
    deriveNetworkState({ ...snapshot, netstatSockets: sockets(rows) });

  it("a known VPN client's connection from the physical interface, not another program's nor one through the tunnel", () => {
    expect(serversOf([openvpnRow("openvpn:611")]).endpoints).toEqual(["198.51.100.7"]);
    expect(serversOf([openvpnRow("Safari:812")]).endpoints).toEqual([]);
    expect(serversOf([openvpnRow("Safari:812")]).serverCandidates?.map((c) => c.address)).toEqual(["198.51.100.7"]);
    expect(serversOf([openvpnRow("openvpn:611", "10.8.0.2")]).endpoints).toEqual([]);
    expect(serversOf([openvpnRow("openvpn:611", "127.0.0.1")]).endpoints).toEqual([]);
  });

  it("without the socket list, nothing is proved: the route's server is a candidate, and the note says why", () => {
    const state = deriveNetworkState({ ...SAMPLE_SNAPSHOT, netstatSockets: undefined });
    expect(state.endpoints).toEqual([]);
    expect(state.serverCandidates?.map((c) => c.address)).toEqual(["198.51.100.7"]);
    expect(state.undetermined).toContain("no socket list (netstat-anv.txt missing): no VPN server can be proved");
  });

  it("names the owner with ps where netstat gives its pid only (Mojave's layout)", () => {
    const mojave = readMacosFixture("netstat", "macos-10.14-mojave-netstat-v-n-p-tcp-pid-epid-PARTIAL.txt");
    const [header, firstRow] = mojave.split("\n").slice(1, 3);
    // The fixture's first row, to the sample's VPN server from the sample's Wi-Fi address.
    const row = firstRow
      .replace("192.168.1.191.52044", "192.168.1.23.52044")
      .replace("31.13.66.35.443", "198.51.100.7.443");
    const snapshot = { ...SAMPLE_SNAPSHOT, netstatSockets: [mojave.split("\n")[0], header, row].join("\n") };
    const named = (comm: string | undefined) =>
      deriveNetworkState(comm === undefined ? snapshot : { ...snapshot, processNames: ` 9811 ${comm}\n` });
    expect(named("/Applications/Tunnelblick.app/Contents/Resources/openvpn/openvpn-2.6.8/openvpn").endpoints).toEqual([
      "198.51.100.7",
    ]);
    expect(named("/Applications/Safari.app/Contents/MacOS/Safari").endpoints).toEqual([]);
    expect(named("/Applications/Safari.app/Contents/MacOS/Safari").serverCandidates?.[0].connections).toEqual([
      { protocol: "tcp", port: 443, owner: "Safari", pid: 9811, localAddress: "192.168.1.23" },
    ]);
    // ps could not name it (gone, or not run): unknown, so not proved.
    expect(named(undefined).endpoints).toEqual([]);
  });

  it("knows each VPN client by its name, its path, or the kernel's 16-character cut", () => {
    for (const client of KNOWN_VPN_CLIENTS) {
      expect(vpnClientOf(client.name)).toBe(client.name);
      expect(client.why.length).toBeGreaterThan(10);
    }
    expect(vpnClientOf("/usr/local/opt/openvpn/sbin/openvpn")).toBe("openvpn");
    expect(vpnClientOf("WireGuardNetwork")).toBe("WireGuardNetworkExtension");
    for (const name of ["Safari", "openvpn-helper", "OpenVPN", "open", "WireGuard", "curl", "charon-cmd"]) {
      expect(vpnClientOf(name), name).toBeNull();
    }
  });
});

describe("hostile route and socket tables", () => {
  const octet = fc.integer({ min: 1, max: 223 });
  const publicAddress = fc
    .tuple(octet, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 }))
    .map((parts) => parts.join("."))
    .filter((address) => !/^(10|127|169\.254|192\.168|198\.51\.100)\./.test(address));
  // Every way a socket to the address can fail to prove it: another program, through the tunnel, loopback.
  const owner = fc.constantFrom("Safari:812", "curl:900", "Autodesk Fusion:22712", "openvpn-helper:540");
  const local = fc.constantFrom("192.168.1.23", "10.8.0.2", "127.0.0.1");
  const openvpnLocal = fc.constantFrom("10.8.0.2", "127.0.0.1");
  const socketRow = (address: string, port: number, who: string, from: string, udp: boolean) =>
    udp
      ? `udp4       0      0  ${from}.50002     ${address}.${port}                       1      1  786896    9216 ${who}  00000 00000000 0000000000a3b077 00000000 00000800      1      0 000000`
      : `tcp4       0      0  ${from}.50113         ${address}.${port}      ESTABLISHED        1         1  131072  131768          ${who}  00102 00000008 0000000000a3c1f2 00000080 04000900      1      0 000004`;
  const hostile = fc.record({
    targets: fc.uniqueArray(publicAddress, { minLength: 1, maxLength: 4 }),
    sockets: fc.array(
      fc.record({
        target: fc.nat(3),
        port: fc.integer({ min: 1, max: 65535 }),
        udp: fc.boolean(),
        who: fc.oneof<fc.Arbitrary<readonly [string, string]>[]>(
          fc.tuple(owner, local),
          // The VPN client itself, but through the tunnel or on loopback: still no proof.
          fc.tuple(fc.constant("openvpn:611"), openvpnLocal),
        ),
      }),
      { maxLength: 5 },
    ),
    flags: fc.constantFrom("UGSc", "UGHS", "UGSc", "UGScI"),
    nwi: fc.boolean(),
  });

  it("never passes a destination only a route, nwi or a non-VPN socket names, on any template", async () => {
    const policy = await policyOf({});
    await fc.assert(
      fc.asyncProperty(hostile, async ({ targets, sockets, flags, nwi }) => {
        let snapshot = withRoutes(
          SAMPLE_SNAPSHOT,
          targets.map((address) => `${address}/32   192.168.1.1   ${flags}   en0`),
        );
        const rows = sockets.map(({ target, port, udp, who: [who, from] }) =>
          socketRow(targets[target % targets.length], port, who, from, udp),
        );
        snapshot = { ...snapshot, netstatSockets: `${snapshot.netstatSockets}\n${rows.join("\n")}\n` };
        if (nwi) {
          snapshot = {
            ...snapshot,
            scutilNwi: (snapshot.scutilNwi ?? "").replace(
              /(address\s*: 10\.8\.0\.2\n)/,
              `$1           VPN server : ${targets[0]}\n`,
            ),
          };
        }
        const input = { policy, network: deriveNetworkState(snapshot), now: NOW };
        const templates = buildRuleTemplates(input);
        const texts = [
          buildKillSwitchAnchor(input),
          buildFailClosedAnchor(input, { template: true }),
          templates.other,
          ...templates.networks.map((network) => network.rules),
        ];
        for (const address of targets) {
          for (const text of texts) expect(passesTo(text, address), address).toEqual([]);
        }
        // The VPN's own server stays passed: the sample's OpenVPN socket proves it.
        expect(passesTo(texts[0], "198.51.100.7")).toHaveLength(1);
      }),
      { seed: 20261207, numRuns: 60 },
    );
  });
});
