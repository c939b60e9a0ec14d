/**
 * The whole derivation under a hostile network: generated snapshots (test/properties/hostile-network.ts) go
 * through detection, policy, the anchor and the watchdog's templates (filled in by the root script itself, on
 * fewer cases: each starts a shell), under every settings combination of the leak matrix. Packets are then
 * judged by the verifier's evaluator. The invariants:
 * - a destination outside private and link-local space passes outside the tunnel only when the user named it
 *   (a VPN server, an exception, a DNS resolver) or it is the VPN server its client's connection proves;
 * - no interface passes as the tunnel without proof (an ISP's PPPoE link, another app's tunnel);
 * - no range the VPN routes into its tunnel passes on the link.
 * Fixed seed; a failure shrinks to a minimal snapshot.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Cidr, cidrContains, familyOf, parseCidr } from "../../src/address/ip";
import { deriveNetworkState } from "../../src/network/derive";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import type { HostLookup, KillSwitchPolicy } from "../../src/policy/policy";
import { lookupPastPins, resolveWithRecord } from "../../src/lifecycle/resolution";
import type { NetworkState } from "../../src/network/state";
import { parseSettings } from "../../src/policy/settings";
import { type Packet, evaluatePacket } from "../../src/verify/evaluate";
import { type ParsedRuleset, parsePfRules } from "../../src/verify/parse-rules";
import { buildRuleTemplates } from "../../src/watchdog/templates";
import { NETWORK_READING_PARTS, UNKNOWN_BOOT_TIME, writeRootLibrary } from "../privileged/root-parts";
import { temporaryDirectory } from "../temporary-directory";
import { SETTINGS, type SettingsName } from "../verify/scenarios";
import {
  type HostileNetwork,
  REAL_SERVER,
  hostileNetwork,
  routerOf,
  snapshotOf,
  takesForeignDefault,
} from "./hostile-network";

const SEED = 20261207;
const NOW = new Date("2026-11-22T12:00:00Z");

/** Private, link-local, unique-local, multicast and broadcast: the link's own space, never the Internet. */
const LINK_SPACE = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "169.254.0.0/16",
  "224.0.0.0/4",
  "255.255.255.255/32",
  "fe80::/10",
  "fc00::/7",
  "ff00::/8",
].map((text) => parseCidr(text) as Cidr);
const inLinkSpace = (address: string) => LINK_SPACE.some((range) => cidrContains(range, address));

/**
 * Where the user's word lets a packet go: the settings' literal servers, exceptions and resolvers, and the answers
 * to names that the VPN's own resolver gave (the network did not).
 */
interface UserWord {
  vpnAnswers: string[];
  servers: { cidr: Cidr; protocol?: string; port?: number }[];
  exceptions: Cidr[];
  resolvers: string[];
  tunnels: string[];
}

function userWordOf(name: SettingsName, net: HostileNetwork): UserWord {
  const settings = SETTINGS[name] as {
    vpnServers?: string[];
    exceptions?: { address: string }[];
    dnsResolvers?: string[];
    tunnelInterface?: string;
    trustedTunnels?: string[];
  };
  const servers = (settings.vpnServers ?? []).flatMap((text) => {
    const match = /^([0-9.]+)(?::(\d+))?(?:\/(\w+))?$/.exec(text);
    const cidr = match && parseCidr(match[1]);
    if (!match || !cidr) return [];
    return [{ cidr, port: match[2] ? Number(match[2]) : undefined, protocol: match[3] }];
  });
  const exceptions = (settings.exceptions ?? []).flatMap((e) => parseCidr(e.address) ?? []);
  return {
    // With the VPN up, resolver #1 is the tunnel's: its answers are the VPN's word, not the network's.
    vpnAnswers: net.vpnUp ? net.dnsAnswers : [],
    servers,
    exceptions,
    resolvers: settings.dnsResolvers ?? [],
    tunnels: [settings.tunnelInterface ?? "", ...(settings.trustedTunnels ?? [])].filter(Boolean),
  };
}

function namedByUser(word: UserWord, p: Packet): boolean {
  if (word.exceptions.some((cidr) => cidrContains(cidr, p.destination))) return true;
  if (word.resolvers.includes(p.destination) || word.vpnAnswers.includes(p.destination)) return true;
  return word.servers.some((s) => cidrContains(s.cidr, p.destination));
}

const provenServer = (p: Packet) =>
  p.destination === REAL_SERVER.address &&
  p.protocol === REAL_SERVER.protocol &&
  p.destinationPort === REAL_SERVER.port;

/** Addresses inside a network worth probing: its second and its second-to-last. */
function inside(cidr: Cidr): string[] {
  if (cidr.family !== "inet") return [cidr.address];
  const span = 2 ** (32 - cidr.prefix);
  const base = cidr.address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
  const first = Math.floor(base / span) * span;
  const at = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
  return [...new Set([at(first + Math.min(1, span - 1)), at(first + Math.max(0, span - 2))])];
}

/** Every address the network put somewhere in the snapshot, and what it tried to make of them. */
function attackerDestinations(net: HostileNetwork): string[] {
  const wifiNet = parseCidr(`${net.wifi.address}/${net.wifi.prefix}`) as Cidr;
  return [
    ...new Set([
      ...net.pushedRoutes.flatMap(inside),
      ...inside(wifiNet),
      ...(net.ipv6Prefix ? [`${net.ipv6Prefix}::99`] : []),
      ...net.appSockets.map((s) => s.remote),
      ...net.dnsAnswers,
      "93.184.216.34",
      "1.1.1.1",
      "8.8.8.8",
      "104.18.32.7",
      "2606:4700:4700::1111",
    ]),
  ];
}

/** The interfaces a packet can leave by outside the tunnel, with a source address of each. */
function outsideInterfaces(net: HostileNetwork, trusted: string[]): { name: string; v4: string; v6: string }[] {
  const interfaces = [{ name: "en0", v4: net.wifi.address, v6: "fe80::1c8b:4f2a:9d3e:71b5" }];
  if (net.ispLink) interfaces.push({ name: "ppp0", v4: "203.0.113.66", v6: "fe80::66" });
  if (net.otherTunnel || takesForeignDefault(net))
    interfaces.push({ name: "utun7", v4: "100.101.102.103", v6: "fd7a:115c:a1e0::1" });
  if (net.vmBridge) interfaces.push({ name: "bridge100", v4: "192.168.64.1", v6: "fe80::64" });
  interfaces.push({ name: "utun0", v4: "10.255.0.1", v6: "fe80::a31c:6e02:94d7:1f5b" });
  return interfaces.filter((i) => !trusted.includes(i.name));
}

function packetsOut(net: HostileNetwork, trusted: string[]): Packet[] {
  const shapes: { protocol: "tcp" | "udp"; port: number }[] = [
    { protocol: "tcp", port: 443 },
    { protocol: "tcp", port: 80 },
    { protocol: "udp", port: 1194 },
    { protocol: "udp", port: 53 },
    ...net.appSockets.map((s) => ({ protocol: s.protocol, port: s.port })),
  ];
  const packets: Packet[] = [];
  for (const via of outsideInterfaces(net, trusted)) {
    for (const destination of [...attackerDestinations(net), REAL_SERVER.address]) {
      const family = familyOf(destination);
      if (!family) continue;
      for (const { protocol, port } of shapes) {
        packets.push({
          direction: "out",
          interface: via.name,
          family,
          protocol,
          source: family === "inet" ? via.v4 : via.v6,
          destination,
          sourcePort: 50123,
          destinationPort: port,
          ...(protocol === "tcp" ? { tcpFlags: "S" } : {}),
        });
      }
    }
  }
  return packets;
}

/** What leaks: the packets the rules pass against the invariants, described. */
function leaks(ruleset: ParsedRuleset, net: HostileNetwork, word: UserWord): string[] {
  const found: string[] = [];
  const describe = (p: Packet, why: string) =>
    `${why}: ${p.protocol} ${p.destination}:${p.destinationPort} out of ${p.interface}`;
  for (const p of packetsOut(net, word.tunnels)) {
    const verdict = evaluatePacket(ruleset, p);
    if (verdict.action !== "pass") continue;
    const tunnelLike = /^(utun|ppp|ipsec|tun|tap)\d+$/.test(p.interface);
    if (tunnelLike && !inLinkSpace(p.destination) && !namedByUser(word, p) && !provenServer(p)) {
      found.push(describe(p, `${p.interface} passed as a tunnel without proof (${verdict.rule?.text})`));
    } else if (!inLinkSpace(p.destination) && !namedByUser(word, p) && !provenServer(p)) {
      found.push(describe(p, `passed outside the tunnel to an address nobody named (${verdict.rule?.text})`));
    }
  }
  // The ranges the VPN routes into its tunnel never pass on the link.
  if (net.vpnUp) {
    for (const route of net.vpnRoutes) {
      for (const destination of inside(route)) {
        const p: Packet = {
          direction: "out",
          interface: "en0",
          family: "inet",
          protocol: "tcp",
          source: net.wifi.address,
          destination,
          sourcePort: 50124,
          destinationPort: 443,
          tcpFlags: "S",
        };
        if (namedByUser(word, p) || provenServer(p) || destination === routerOf(net)) continue;
        const verdict = evaluatePacket(ruleset, p);
        if (verdict.action === "pass") {
          found.push(
            describe(
              p,
              `a range the VPN routes (${route.address}/${route.prefix}) passed on the link (${verdict.rule?.text})`,
            ),
          );
        }
      }
    }
  }
  return found;
}

/**
 * The policy Enable would load, as Enable makes it: every name resolves to what the network's DNS says, and an
 * answer outside the VPN to a public address nobody confirmed makes Enable refuse (null: nothing is loaded).
 */
/** The host names a settings case names, every one of them pinned in the pinned runs. */
function namesIn(name: SettingsName): string[] {
  return JSON.stringify(SETTINGS[name]).match(/[a-z][a-z0-9-]*(\.[a-z0-9-]+)+\.(com|net|org|arpa|local)\b/g) ?? [];
}

async function policyFor(
  name: SettingsName,
  net: HostileNetwork,
  network: NetworkState,
  pinned = false,
): Promise<KillSwitchPolicy | null> {
  const parsed = parseSettings(SETTINGS[name]);
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  const answer = async () => net.dnsAnswers;
  // Pinned: every name of the settings is one the Mac answers in /etc/hosts, so Enable asks the DNS servers directly.
  const names = namesIn(name);
  const neverHere: HostLookup = async (host) => {
    throw new Error(`${host} was looked up past the pins, through getaddrinfo`);
  };
  const { result, toConfirm } = await resolveWithRecord(
    parsed.settings,
    pinned ? lookupPastPins(neverHere, answer, names) : answer,
    { hosts: {}, confirmed: false },
    { network },
  );
  return result.ok && toConfirm.length === 0 ? result.policy : null;
}

const settingsNames = Object.keys(SETTINGS) as SettingsName[];

describe("the derivation under a hostile network", () => {
  it("takes a pinned VPN server's name, looked up past /etc/hosts, as any answer of the network's DNS", async () => {
    let built = 0;
    await fc.assert(
      fc.asyncProperty(hostileNetwork, fc.constantFrom(...settingsNames), async (net, name) => {
        const network = deriveNetworkState(snapshotOf(net));
        const policy = await policyFor(name, net, network, true);
        if (!policy) return;
        if (namesIn(name).length > 0) built++;
        const text = buildKillSwitchAnchor({ policy, network, now: NOW });
        expect(leaks(parsePfRules(text), net, userWordOf(name, net))).toEqual([]);
      }),
      { seed: SEED, numRuns: 60 },
    );
    // Not vacuous: names looked up past the pins gave policies (a name missed would fail through getaddrinfo).
    expect(built).toBeGreaterThan(0);
  });

  it("passes outside the tunnel only what the user named or the VPN client proves, in the builder's rules", async () => {
    await fc.assert(
      fc.asyncProperty(hostileNetwork, fc.constantFrom(...settingsNames), async (net, name) => {
        const network = deriveNetworkState(snapshotOf(net));
        const policy = await policyFor(name, net, network);
        if (!policy) return;
        const text = buildKillSwitchAnchor({ policy, network, now: NOW });
        expect(leaks(parsePfRules(text), net, userWordOf(name, net))).toEqual([]);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("holds in the watchdog's templates as the root script fills them in", async () => {
    const dir = temporaryDirectory("derivation-root-");
    const library = writeRootLibrary(dir, [...NETWORK_READING_PARTS, "20-records.sh", "60-rules.sh"]);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(hostileNetwork, fc.constantFrom(...settingsNames), async (net, name) => {
        const snapshot = snapshotOf(net);
        const network = deriveNetworkState(snapshot);
        const policy = await policyFor(name, net, network);
        if (!policy) return;
        const text = fillOnRootSide(
          join(dir, `case-${run++}`),
          library,
          snapshot,
          buildRuleTemplates({ policy, network, now: NOW }),
        );
        expect(leaks(parsePfRules(text), net, userWordOf(name, net))).toEqual([]);
      }),
      { seed: SEED, numRuns: 12 },
    );
  });
});

/** The rules `desired_rules` makes of TEMPLATES on a Mac whose commands print SNAPSHOT. */
function fillOnRootSide(
  dir: string,
  library: string,
  snapshot: ReturnType<typeof snapshotOf>,
  templates: ReturnType<typeof buildRuleTemplates>,
): string {
  const state = join(dir, "state");
  mkdirSync(join(state, "rules"), { recursive: true });
  const index = ["other other.pf"];
  writeFileSync(join(state, "rules", "other.pf"), templates.other);
  templates.networks.forEach((template, at) => {
    writeFileSync(join(state, "rules", `network-${at}.pf`), template.rules);
    index.push(`network network-${at}.pf ${template.id}`);
  });
  index.push(
    templates.fixedTunnel
      ? `tunnels fixed ${templates.fixedTunnel}`
      : `tunnels auto ${templates.trustedTunnels.join(" ")}`,
  );
  writeFileSync(join(state, "rules", "index"), `${index.join("\n")}\n`);
  const files: Record<string, string> = {
    ifconfig: snapshot.ifconfig ?? "",
    netstat: snapshot.netstatRoutes ?? "",
    "route-1.1.1.1": snapshot.routeGetInternet ?? "",
    "route-default": snapshot.routeGetDefault ?? "",
    arp: snapshot.arp ?? "",
    packet: snapshot.ipconfigPackets?.en0 ?? "",
    "scutil-nc": snapshot.scutilNcList ?? "",
    "netstat-anv": snapshot.netstatSockets ?? "",
  };
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const fake = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return join(dir, name);
  };
  const env = {
    IFCONFIG: fake("fake-ifconfig", `cat "${dir}/ifconfig"`),
    NETSTAT: fake("fake-netstat", `case "$*" in *-a*) cat "${dir}/netstat-anv" ;; *) cat "${dir}/netstat" ;; esac`),
    ROUTE: fake("fake-route", `cat "${dir}/route-$3"`),
    ARP: fake("fake-arp", `cat "${dir}/arp"`),
    IPCONFIG: fake("fake-ipconfig", `[ "$1" = getpacket ] && [ "$2" = en0 ] && cat "${dir}/packet"`),
    SCUTIL: fake("fake-scutil", `cat "${dir}/scutil-nc"`),
  };
  const assignments = Object.entries(env)
    .map(([name, path]) => `${name}='${path}'`)
    .join("; ");
  const harness = `. "$1"; ${UNKNOWN_BOOT_TIME}; WORK="$2"; STATE_DIR="$3"; ${assignments}; desired_rules "$WORK/out" ${Math.floor(NOW.getTime() / 1000)}; cat "$WORK/out"`;
  const run = spawnSync("/bin/sh", ["-c", harness, "harness", library, dir, state], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  return run.stdout;
}
