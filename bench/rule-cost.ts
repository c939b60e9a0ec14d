/**
 * What the kill switch's rules cost per packet and what they let out when the VPN drops, decided by the
 * verifier's evaluator on the rules the builder writes. pf walks the rules for the first packet of every
 * flow; a `quick` match ends the walk, so the rules a packet crosses before its verdict are its cost.
 */
import type { NetworkState } from "../src/network/state";
import { buildKillSwitchAnchor } from "../src/pf/anchor";
import type { KillSwitchPolicy } from "../src/policy/policy";
import { type Packet, createEvaluator, describePacket } from "../src/verify/evaluate";
import { parsePfRules } from "../src/verify/parse-rules";

/** At most this many rules before a tunnel or VPN-transport packet is decided. */
export const FAST_PATH_RULE_BUDGET = 5;

/** How many tunnels a fixed list covers in the comparison ruleset (`utun0` to `utun30`). */
export const FIXED_TUNNEL_LIST_SIZE = 31;

export interface RuleCostInput {
  policy: KillSwitchPolicy;
  network: NetworkState;
  now: Date;
}

export interface RuleCostCase {
  name: string;
  packet: Packet;
  /** Whether the packet must be decided within `FAST_PATH_RULE_BUDGET` rules. */
  fastPath: boolean;
  /** The verdict the kill switch must reach; a different one makes the case fail. */
  expected: "pass" | "block";
}

export interface RuleCost {
  name: string;
  walked: number;
  action: "pass" | "block";
  expected: "pass" | "block";
  fastPath: boolean;
  packet: string;
}

export function evaluateRules(rulesText: string) {
  const parsed = parsePfRules(rulesText);
  if (parsed.errors.length > 0) {
    throw new Error(`the rules do not parse: ${parsed.errors.map((e) => `line ${e.line}: ${e.reason}`).join("; ")}`);
  }
  return createEvaluator(parsed);
}

/** One packet of each kind a kill switch sees, for the network's first physical interface and tunnel. */
export function ruleCostCases(network: NetworkState, vpnServer: { address: string; port: number }): RuleCostCase[] {
  const physical = network.physical[0];
  const tunnel = network.tunnels[0];
  if (!physical?.ipv4[0] || !tunnel?.ipv4[0])
    throw new Error("the scenario needs an IPv4 physical interface and tunnel");
  const linkLocal = physical.ipv6.find((address) => address.startsWith("fe80:"));
  if (!linkLocal) throw new Error(`${physical.name} has no link-local IPv6 address`);
  const outOn = (name: string) => ({ direction: "out" as const, interface: name });
  return [
    {
      name: "tunnel traffic",
      fastPath: true,
      expected: "pass",
      packet: {
        ...outOn(tunnel.name),
        family: "inet",
        protocol: "tcp",
        source: tunnel.ipv4[0],
        sourcePort: 50_000,
        destination: "93.184.216.34",
        destinationPort: 443,
      },
    },
    {
      name: "VPN transport",
      fastPath: true,
      expected: "pass",
      packet: {
        ...outOn(physical.name),
        family: "inet",
        protocol: "udp",
        source: physical.ipv4[0],
        sourcePort: 50_001,
        destination: vpnServer.address,
        destinationPort: vpnServer.port,
      },
    },
    {
      name: "DHCP request",
      fastPath: false,
      expected: "pass",
      packet: {
        ...outOn(physical.name),
        family: "inet",
        protocol: "udp",
        source: "0.0.0.0",
        sourcePort: 68,
        destination: "255.255.255.255",
        destinationPort: 67,
      },
    },
    {
      name: "IPv6 neighbour solicitation",
      fastPath: false,
      expected: "pass",
      packet: {
        ...outOn(physical.name),
        family: "inet6",
        protocol: "icmp6",
        source: linkLocal,
        destination: "ff02::1:ff00:1",
        icmpType: 135,
      },
    },
    {
      name: "blocked Internet traffic",
      fastPath: false,
      expected: "block",
      packet: {
        ...outOn(physical.name),
        family: "inet",
        protocol: "tcp",
        source: physical.ipv4[0],
        sourcePort: 50_002,
        destination: "93.184.216.34",
        destinationPort: 443,
      },
    },
  ];
}

export function measureRuleCosts(rulesText: string, cases: readonly RuleCostCase[]): RuleCost[] {
  const evaluate = evaluateRules(rulesText);
  return cases.map((c) => {
    const verdict = evaluate(c.packet);
    return {
      name: c.name,
      walked: verdict.walked,
      action: verdict.action,
      expected: c.expected,
      fastPath: c.fastPath,
      packet: describePacket(c.packet),
    };
  });
}

/**
 * The comparison: the same rules, but the tunnel allowed through a fixed list of every `utunN` a VPN might
 * get (`pass quick on utun0 all` ... `utun30`) in place of our rule for the tunnel that is up, so every
 * packet after them crosses the whole list first.
 */
export function fixedTunnelListRules(rulesText: string, tunnel: string, size = FIXED_TUNNEL_LIST_SIZE): string {
  const lines = rulesText.split("\n");
  const onTunnel = new RegExp(`^pass\\b.*\\bon ${tunnel}\\b`);
  const first = lines.findIndex((line) => onTunnel.test(line));
  if (first < 0) throw new Error(`no rule passes ${tunnel} in the rules`);
  const list = Array.from({ length: size }, (_, n) => `pass quick on utun${n} all`);
  const rest = lines.filter((line, index) => index < first || !onTunnel.test(line));
  return [...rest.slice(0, first), ...list, ...rest.slice(first)].join("\n");
}

export function buildBenchRules(input: RuleCostInput): string {
  return buildKillSwitchAnchor({ policy: input.policy, network: input.network, now: input.now });
}

/** Internet-bound packets leaving by the physical interface: new flows and packets of older connections. */
export function internetPacketsOn(network: NetworkState, avoid: readonly string[]): Packet[] {
  const physical = network.physical[0];
  const ipv4 = physical?.ipv4[0];
  const ipv6 = physical?.ipv6.find((address) => !address.startsWith("fe80:"));
  if (!physical || !ipv4 || !ipv6) throw new Error("the scenario needs a physical interface with IPv4 and global IPv6");
  const destinations = {
    inet: ["93.184.216.34", "1.1.1.1", "8.8.8.8", "203.0.113.50", "52.49.35.215"],
    inet6: ["2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001:82b::200e"],
  } as const;
  const tcpPorts = [22, 53, 80, 443, 853, 1194, 8080, 51820];
  const udpPorts = [53, 123, 443, 500, 853, 1194, 4500, 51820];
  const packets: Packet[] = [];
  for (const family of ["inet", "inet6"] as const) {
    const source = family === "inet" ? ipv4 : ipv6;
    for (const destination of destinations[family].filter((address) => !avoid.includes(address))) {
      const base = { direction: "out" as const, interface: physical.name, family, source, destination };
      for (const port of tcpPorts) {
        for (const tcpFlags of ["S", "A", "PA", "FA"]) {
          packets.push({ ...base, protocol: "tcp", sourcePort: 49_152, destinationPort: port, tcpFlags });
        }
      }
      for (const port of udpPorts)
        packets.push({ ...base, protocol: "udp", sourcePort: 49_153, destinationPort: port });
      packets.push(
        family === "inet" ? { ...base, protocol: "icmp", icmpType: 8 } : { ...base, protocol: "icmp6", icmpType: 128 },
      );
    }
  }
  return packets;
}

export interface LeakWindow {
  sent: number;
  passed: string[];
}

/**
 * The VPN dropped and the watchdog has not run yet: the rules built while the tunnel was up are still
 * loaded, the tunnel is gone and only the physical interface is left. Every Internet-bound packet sent
 * there must be refused; the VPN servers are left out (the tunnel's own transport, allowed by design).
 */
export function measureLeakWindow(
  rulesWhileUp: string,
  networkAfterDrop: NetworkState,
  vpnServers: string[],
): LeakWindow {
  const evaluate = evaluateRules(rulesWhileUp);
  const packets = internetPacketsOn(networkAfterDrop, vpnServers);
  const passed = packets.filter((packet) => evaluate(packet).action === "pass").map(describePacket);
  return { sent: packets.length, passed };
}

/** The network a moment after the VPN dropped: the same Mac with no tunnel. */
export function withoutTunnels(network: NetworkState): NetworkState {
  const defaultInterface = network.gateway?.interface ?? network.physical[0]?.name ?? null;
  return { ...network, tunnels: [], vpnInterface: null, defaultInterface, endpoints: [] };
}
