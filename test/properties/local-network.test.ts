/**
 * No public address is ever passed as the local network, and no range the VPN routes into the tunnel, whatever
 * address, netmask and IPv6 prefix the network gives en0: the builder's rules checked for many generated
 * networks, the root script's filled template for a bounded number of them (one shell for all), text for text
 * against the builder. Fixed seed, so a run is the same on every machine.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Cidr, cidrContains, parseCidr } from "../../src/address/ip";
import { deriveNetworkState } from "../../src/network/derive";
import type { NetworkState } from "../../src/network/state";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import { type KillSwitchPolicy, resolvePolicy } from "../../src/policy/policy";
import { parseSettings } from "../../src/policy/settings";
import { evaluatePacket } from "../../src/verify/evaluate";
import { parsePfRules } from "../../src/verify/parse-rules";
import { buildRuleTemplate } from "../../src/watchdog/templates";
import { NETWORK_READING_PARTS, UNKNOWN_BOOT_TIME, writeRootLibrary } from "../privileged/root-parts";
import { temporaryDirectory } from "../temporary-directory";

const SEED = 20261207;
const NOW = new Date("2026-11-22T12:00:00Z");

/** The test's own word on local space (RFC 1918, link-local, RFC 4193), written out apart from the code's. */
const ORACLE_LOCAL = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fe80::/10", "fc00::/7"].map(
  (text) => parseCidr(text) as Cidr,
);
const inLocalSpace = (cidr: Cidr) =>
  ORACLE_LOCAL.some((r) => r.family === cidr.family && cidr.prefix >= r.prefix && cidrContains(r, cidr.address));
const overlaps = (a: Cidr, b: Cidr) =>
  a.family === b.family && (a.prefix <= b.prefix ? cidrContains(a, b.address) : cidrContains(b, a.address));
const MULTICAST = ["224.0.0.0/4", "ff00::/8"].map((text) => parseCidr(text) as Cidr);

const octet = fc.integer({ min: 0, max: 255 });
/** IPv4 addresses around the edges of private space, and anywhere else a network can put the Mac. */
const ipv4 = fc
  .tuple(
    fc.oneof(fc.constantFrom(10, 172, 192, 169, 100, 104, 11), fc.integer({ min: 1, max: 223 })),
    fc.oneof(fc.constantFrom(15, 16, 31, 32, 168, 169, 254), octet),
    octet,
    fc.integer({ min: 1, max: 254 }),
  )
  .filter(([a]) => a !== 127)
  .map((parts) => parts.join("."));
const hextet = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
/** A /64 the router advertises: unique-local, documentation, global, or any. */
const ipv6Prefix = fc.oneof(
  fc.constantFrom("fd12:3456:789a:1", "fc00:0:0:1", "2001:db8:1a2b:10", "2606:4700:10:1", "fdff:ffff:ffff:ffff"),
  fc.tuple(hextet, hextet, hextet, hextet).map((groups) => groups.join(":")),
);

const netmaskOf = (prefix: number) => `0x${((0xffffffff << (32 - prefix)) >>> 0).toString(16).padStart(8, "0")}`;
const toBits = (address: string) => address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
const fromBits = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");

interface LanCase {
  address: string;
  prefix: number;
  v6: string;
  /** Ranges the VPN routed into its tunnel, remembered from an earlier Enable (the VPN is down). */
  routes: string[];
  /** Host bits that pick a peer inside the network the netmask names. */
  peerBits: number;
  peerV6: string;
}

/** A route around the Mac's address (it overlaps the LAN one way or the other) or anywhere. */
const lanCase: fc.Arbitrary<LanCase> = fc
  .record({
    address: ipv4,
    prefix: fc.integer({ min: 0, max: 31 }),
    v6: ipv6Prefix,
    routeBits: fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 2, max: 30 }), ipv4), { maxLength: 3 }),
    v6Route: fc.option(fc.tuple(fc.boolean(), fc.constantFrom(7, 16, 48, 56, 64, 80)), { nil: undefined }),
    peerBits: fc.integer({ min: 0, max: 0xffffffff }),
    peerV6: fc.tuple(hextet, hextet).map(([a, b]) => `${a}:${b}`),
  })
  .map(({ address, prefix, v6, routeBits, v6Route, peerBits, peerV6 }) => {
    const around = (base: string, bits: number) =>
      fromBits(Math.floor(toBits(base) / 2 ** (32 - bits)) * 2 ** (32 - bits));
    const routes = routeBits
      .map(([near, bits, other]) => `${around(near ? address : other, bits)}/${bits}`)
      .filter((route) => !route.startsWith("169.254.") && !route.startsWith("224."));
    if (v6Route) {
      const [near, bits] = v6Route;
      const cidr = parseCidr(`${near ? v6 : "2001:db8:ffff:1"}::/${bits}`) as Cidr;
      routes.push(`${cidr.address}/${bits}`);
    }
    return { address, prefix, v6, routes, peerBits, peerV6 };
  });

function ifconfigOf(c: LanCase): string {
  return [
    "en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500",
    "\tether 3c:22:fb:5e:8a:01",
    "\tinet6 fe80::1c8b:4f2a:9d3e:71b5%en0 prefixlen 64 secured scopeid 0xb",
    `\tinet ${c.address} netmask ${netmaskOf(c.prefix)}`,
    `\tinet6 ${c.v6}:1849:8e2:c3d1:5a07 prefixlen 64 autoconf secured`,
    "\tstatus: active",
    "",
  ].join("\n");
}

async function lanPolicy(): Promise<KillSwitchPolicy> {
  const parsed = parseSettings({ allowLan: true, allowDiscovery: false, allowAirDrop: false });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  const resolved = await resolvePolicy(parsed.settings, async () => []);
  if (!resolved.ok) throw new Error(resolved.errors.join("; "));
  return resolved.policy;
}

const inputOf = (policy: KillSwitchPolicy, c: LanCase) => ({
  policy,
  network: deriveNetworkState({ ifconfig: ifconfigOf(c) }) as NetworkState,
  now: NOW,
  rememberedTunnelRoutes: c.routes,
});

/** Every network a pass on en0 reaches without a port or ICMP type: what the rules treat as the local network. */
function lanPassesOf(text: string): Cidr[] {
  return parsePfRules(text).rules.flatMap((rule) => {
    if (rule.action !== "pass" || rule.interface?.name !== "en0") return [];
    if (rule.from.port !== null || rule.to.port !== null || rule.icmpType !== null) return [];
    const peer = rule.direction === "in" ? rule.from.address : rule.to.address;
    if (peer.kind !== "cidr" || MULTICAST.some((m) => overlaps(m, peer.cidr))) return [];
    return [peer.cidr];
  });
}

/**
 * The invariant on one ruleset: every LAN pass is local space, no VPN route holds it, and a route inside it is
 * refused on the link (a packet to it is blocked) before the pass.
 */
function expectOnlyLocalSpace(text: string, c: LanCase) {
  const routes = c.routes.map((route) => parseCidr(route) as Cidr);
  const rules = parsePfRules(text);
  for (const pass of lanPassesOf(text)) {
    expect(inLocalSpace(pass), `${pass.address}/${pass.prefix}`).toBe(true);
    if (ORACLE_LOCAL.slice(3, 5).some((r) => overlaps(r, pass))) continue;
    for (const route of routes.filter((r) => overlaps(r, pass))) {
      expect(route.prefix, `${route.address}/${route.prefix}`).toBeGreaterThan(pass.prefix);
      const v6 = route.family === "inet6";
      const packet = {
        direction: "out" as const,
        interface: "en0",
        family: route.family,
        protocol: "tcp" as const,
        source: v6 ? `${c.v6}::23` : c.address,
        destination: route.address,
        sourcePort: 49152,
        destinationPort: 443,
      };
      expect(evaluatePacket(rules, packet).action, route.address).toBe("block");
    }
  }
}

describe("Allow Local Network over generated networks", () => {
  it("the builder never passes a public address or a VPN's range as the LAN, and passes the private /16 at most", async () => {
    const policy = await lanPolicy();
    fc.assert(
      fc.property(lanCase, (c) => {
        const input = inputOf(policy, c);
        const text = buildKillSwitchAnchor(input);
        expectOnlyLocalSpace(text, c);
        // A peer inside the network the netmask names: passed only when the test's own reading says so.
        const rules = parsePfRules(text);
        const size = 2 ** (32 - c.prefix);
        const peer = fromBits(Math.floor(toBits(c.address) / size) * size + (c.peerBits % size));
        const narrowed = Math.max(c.prefix, 16);
        const link = parseCidr(`${c.address}/${narrowed}`) as Cidr;
        const routes = c.routes.map((route) => parseCidr(route) as Cidr);
        const peerCidr = parseCidr(peer) as Cidr;
        const expected =
          inLocalSpace({ ...peerCidr, address: peer, prefix: 32 }) &&
          ORACLE_LOCAL.slice(3, 4).some((r) => cidrContains(r, peer))
            ? "pass"
            : inLocalSpace(link) &&
                cidrContains(link, peer) &&
                !routes.some(
                  (route) => overlaps(route, link) && (route.prefix <= narrowed || cidrContains(route, peer)),
                )
              ? "pass"
              : "block";
        const packet = {
          direction: "out" as const,
          interface: "en0",
          family: "inet" as const,
          protocol: "tcp" as const,
          source: c.address,
          destination: peer,
          sourcePort: 49152,
          destinationPort: 443,
        };
        expect(evaluatePacket(rules, packet).action, peer).toBe(expected);
        const v6Peer = `${c.v6}:${c.peerV6}:0:1`;
        const v6Link = parseCidr(`${c.v6}::/64`) as Cidr;
        const v6Expected =
          inLocalSpace(v6Link) &&
          !routes.some((route) => overlaps(route, v6Link) && (route.prefix <= 64 || cidrContains(route, v6Peer)))
            ? "pass"
            : "block";
        if (!/^fe[89ab]/.test(c.v6)) {
          const v6Packet = { ...packet, family: "inet6" as const, source: `${c.v6}::23`, destination: v6Peer };
          expect(evaluatePacket(rules, v6Packet).action, v6Peer).toBe(v6Expected);
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("the watchdog's filled template is the builder's rules, for a bounded number of them", async () => {
    const policy = await lanPolicy();
    const cases = fc.sample(lanCase, { seed: SEED, numRuns: 50 });
    const dir = temporaryDirectory("lan-property-");
    const library = writeRootLibrary(dir, [...NETWORK_READING_PARTS, "60-rules.sh"]);
    writeFileSync(join(dir, "ipconfig"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    cases.forEach((c, index) => {
      const at = join(dir, `case-${index}`);
      mkdirSync(at);
      writeFileSync(join(at, "ifconfig"), ifconfigOf(c));
      writeFileSync(join(at, "template.pf"), buildRuleTemplate(inputOf(policy, c)));
    });
    const harness = [
      `. "$1"; ${UNKNOWN_BOOT_TIME}; IPCONFIG="$2/ipconfig"; i=0`,
      'while [ "$i" -lt "$3" ]; do',
      '  WORK="$2/case-$i"; describe_links',
      '  printf "@@ case %s\\n" "$i"; fill_template "$WORK/template.pf" "" 0 "$WORK/links"',
      "  i=$((i + 1))",
      "done",
    ].join("\n");
    const run = spawnSync("/bin/sh", ["-c", harness, "harness", library, dir, String(cases.length)], {
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    const filled = run.stdout.split(/^@@ case \d+\n/m).slice(1);
    expect(filled).toHaveLength(cases.length);
    cases.forEach((c, index) => {
      const built = buildKillSwitchAnchor(inputOf(policy, c));
      expect(filled[index], JSON.stringify(c)).toBe(built);
      expectOnlyLocalSpace(filled[index], c);
    });
  });
});
