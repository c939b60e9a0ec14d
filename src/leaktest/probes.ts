/**
 * The leak test's probes: what each sends, from which address and port, on which interface. Every probe is
 * bound to its interface (`nc -b`, so macOS's scoped routing sends it there) and to that interface's address
 * (`nc -s`), from a source port drawn at random for this run, so pf's log entry for it can be told apart from
 * any packet sent before the run or by another program.
 */
import { randomInt as cryptoRandomInt } from "node:crypto";
import { familyOf } from "../address/ip";
import type { NetworkState } from "../network/state";

export interface Probe {
  id: string;
  /** For people: what it tries. */
  title: string;
  /** Outside the tunnel (must be blocked), or through it (must pass). */
  outside: boolean;
  interface: string;
  protocol: "tcp" | "udp";
  /** The interface's own address it is sent from (`nc -s`). */
  source: string;
  destination: string;
  port: number;
  /** Drawn for this run (`nc -p`). */
  sourcePort: number;
}

/** A whole number from `min` up to, not including, `max` (node:crypto's randomInt). */
export type RandomInt = (min: number, max: number) => number;

/** The ephemeral port range (IANA, and macOS's default `net.inet.ip.portrange.first`/`last`). */
export const EPHEMERAL_PORTS = { first: 49_152, last: 65_535 } as const;

/**
 * `count` distinct ports of the ephemeral range, each drawn uniformly from the ports not drawn yet: the k-th
 * draw picks an index among the free ports and counts past the ones taken, so no draw is ever repeated or
 * retried. A source that answers outside what it was asked is an error, never a guessable port.
 */
export function drawSourcePorts(count: number, randomInt: RandomInt = cryptoRandomInt): number[] {
  const size = EPHEMERAL_PORTS.last - EPHEMERAL_PORTS.first + 1;
  if (!Number.isInteger(count) || count < 0 || count > size) {
    throw new RangeError(`count: ${count} is not a number of ports from 0 to ${size}`);
  }
  const taken: number[] = [];
  const drawn: number[] = [];
  for (let draw = 0; draw < count; draw++) {
    const free = size - draw;
    const index = randomInt(0, free);
    if (!Number.isInteger(index) || index < 0 || index >= free) {
      throw new RangeError(`the random source gave ${index}, not a whole number from 0 to ${free - 1}`);
    }
    let port = EPHEMERAL_PORTS.first + index;
    for (const used of taken) {
      if (used > port) break;
      port++;
    }
    const after = taken.findIndex((used) => used > port);
    taken.splice(after === -1 ? taken.length : after, 0, port);
    drawn.push(port);
  }
  return drawn;
}

const PUBLIC_V4 = "1.1.1.1";
const PUBLIC_V6 = "2606:4700:4700::1111";

const isGlobalV6 = (address: string) => familyOf(address) === "inet6" && !/^fe[89ab]/i.test(address);

/** The probes for this network, each with its own random source port. */
export function planProbes(
  network: NetworkState,
  randomInt: RandomInt = cryptoRandomInt,
): { probes: Probe[]; skipped: string[] } {
  const link = network.gateway?.interface ?? network.physical[0]?.name ?? null;
  const physical = network.physical.find((entry) => entry.name === link);
  const planned: Omit<Probe, "sourcePort">[] = [];
  const skipped: string[] = [];
  if (link) {
    const v4 = physical?.ipv4[0];
    if (v4) {
      const outside = { outside: true, interface: link, source: v4, destination: PUBLIC_V4, port: 443 } as const;
      planned.push({ ...outside, id: "tcp-ipv4", title: `TCP to ${PUBLIC_V4}:443 on ${link}`, protocol: "tcp" });
      planned.push({ ...outside, id: "udp-ipv4", title: `UDP to ${PUBLIC_V4}:443 on ${link}`, protocol: "udp" });
      const router = network.gateway?.ipv4;
      if (router) {
        planned.push({
          ...outside,
          id: "dns-router",
          title: `DNS to the router ${router} on ${link}`,
          protocol: "udp",
          destination: router,
          port: 53,
        });
      }
    } else {
      skipped.push(`no IPv4 probe: ${link} has no IPv4 address`);
    }
    const v6 = physical?.ipv6.find(isGlobalV6);
    if (v6) {
      planned.push({
        id: "tcp-ipv6",
        title: `TCP to ${PUBLIC_V6} port 443 on ${link}`,
        outside: true,
        interface: link,
        protocol: "tcp",
        source: v6,
        destination: PUBLIC_V6,
        port: 443,
      });
    } else {
      skipped.push(`no IPv6 probe: ${link} has no global IPv6 address`);
    }
  } else {
    skipped.push("no probe outside the tunnel: no physical interface is connected");
  }
  const tunnel = network.vpnInterface;
  const tunnelV4 = network.tunnels.find((entry) => entry.name === tunnel)?.ipv4[0];
  if (tunnel && tunnelV4) {
    planned.push({
      id: "tunnel",
      title: `TCP to ${PUBLIC_V4}:443 through the tunnel ${tunnel}`,
      outside: false,
      interface: tunnel,
      protocol: "tcp",
      source: tunnelV4,
      destination: PUBLIC_V4,
      port: 443,
    });
  } else {
    skipped.push(tunnel ? `no tunnel probe: ${tunnel} has no IPv4 address` : "no tunnel probe: no VPN tunnel is up");
  }
  const ports = drawSourcePorts(planned.length, randomInt);
  return { probes: planned.map((probe, at) => ({ ...probe, sourcePort: ports[at] })), skipped };
}

/** `nc` bound to the probe's interface, address and port; -z: connect (TCP) or send (UDP), nothing more. */
export function probeArguments(probe: Probe): string[] {
  return [
    ...(probe.protocol === "udp" ? ["-u"] : []),
    "-z",
    "-w",
    "2",
    "-G",
    "2",
    "-b",
    probe.interface,
    "-s",
    probe.source,
    "-p",
    String(probe.sourcePort),
    probe.destination,
    String(probe.port),
  ];
}
