/**
 * The packet matrix: for each clause of the promise, the packets that probe it (one function per clause),
 * from the interfaces and addresses of this network, including what a hostile network can craft.
 */
import { cidrContains, familyOf, firstHost, parseCidr } from "../address/ip";
import { PEER_TO_PEER_INTERFACES } from "../pf/anchor";
import { exceptionWidth } from "../policy/exception-width";
import type { NetworkState } from "../network/state";

import { type Packet } from "./evaluate";

import type { ClauseId, Expectation, VerifyInput } from "./clauses";
import {
  DNS_PORTS,
  type PolicyView,
  endpointCovers,
  intendedForProbe,
  isLan,
  sameAddress,
  viewPolicy,
  within,
} from "./intent";
import {
  EPHEMERAL,
  type ProbePacket,
  answerTo,
  describeProbe,
  following,
  icmp,
  other,
  tcp,
  udp,
} from "./probe-packets";

export const PUBLIC_V4 = ["203.0.113.50", "198.51.100.77", "192.0.2.99", "8.8.4.4"];
export const PUBLIC_V6 = ["2001:db8:ffff::50", "2606:4700:4700::1001", "2a00:1450:4001::8844"];
export const PUBLIC_DNS_V4 = ["9.9.9.9", "149.112.112.112", "208.67.222.222"];
export const PUBLIC_DNS_V6 = ["2620:fe::fe", "2620:fe::9"];
export const LAN_PEER_V6 = "fe80::a1b2:c3ff:fed4:e5f6";
export const ROUTER_V6 = "fe80::1";

export interface Addresses {
  publicV4: string | null;
  publicV6: string | null;
  publicDnsV4: string | null;
  publicDnsV6: string | null;
  router: string;
  lanHost: string;
}

export function chooseAddresses(view: PolicyView): Addresses {
  const allowed = (address: string) =>
    !view.endpoints.some((e) => sameAddress(e.address, address)) &&
    !view.resolvers.some((r) => sameAddress(r, address)) &&
    // A network too wide to be an exception must not hide the Internet from the probes.
    !view.exceptions.some((e) =>
      e.addresses.some((cidr) => exceptionWidth(cidr) !== "too-wide" && cidrContains(cidr, address)),
    );
  const pick = (candidates: string[]) => candidates.find(allowed) ?? null;
  const router = view.gateway && familyOf(view.gateway) === "inet" ? view.gateway : "192.168.1.1";
  const lanGuess = router.replace(/\.\d+$/, router.endsWith(".20") ? ".21" : ".20");
  return {
    publicV4: pick(PUBLIC_V4),
    publicV6: pick(PUBLIC_V6),
    publicDnsV4: pick(PUBLIC_DNS_V4),
    publicDnsV6: pick(PUBLIC_DNS_V6),
    router,
    lanHost: isLan(lanGuess) ? lanGuess : "192.168.1.20",
  };
}

export interface Local {
  v4: string;
  linkLocal: string;
  global: string;
}

export function localAddresses(network: NetworkState, name: string): Local {
  const iface = [...network.physical, ...network.tunnels].find((i) => i.name === name);
  return {
    v4: iface?.ipv4[0] ?? "192.168.1.23",
    linkLocal: iface?.ipv6.find((a) => within("fe80::/10", a)) ?? "fe80::1c2b:3ff:fe4d:5e6f",
    global: iface?.ipv6.find((a) => !within("fe80::/10", a)) ?? "2001:db8:5::23",
  };
}

export function interfaceSets(view: PolicyView, network: NetworkState) {
  const tunnelNames = new Set([...view.tunnels, ...network.tunnels.map((t) => t.name)]);
  const isPhysical = (name: string | null | undefined): name is string =>
    !!name && name !== "lo0" && !tunnelNames.has(name) && !PEER_TO_PEER_INTERFACES.includes(name);
  const physical = [
    ...new Set(
      [...network.physical.map((i) => i.name), network.gateway?.interface, network.defaultInterface].filter(isPhysical),
    ),
  ];
  if (physical.length === 0) physical.push("en0");
  // A USB adapter plugged in after the rules were built, and the bridge VMs and Internet Sharing use.
  const added = ["en7", "bridge100"].filter((name) => !physical.includes(name));
  const renumbered = view.tunnels
    .map((name) => /^(utun|ipsec|ppp|tun|tap)(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}${Number(m[2]) + 1}`);
  const foreignTunnels = [
    ...new Set([...network.tunnels.map((t) => t.name), ...renumbered, "utun0", "ipsec0", "ppp0"]),
  ].filter((name) => !view.tunnels.includes(name));
  return { physical, added, peerToPeer: PEER_TO_PEER_INTERFACES, foreignTunnels };
}

export type ClauseSpec = { id: ClauseId; description: string; packets: ProbePacket[] };

export function outsideProbes(iface: string, local: Local, a: Addresses): Packet[] {
  const packets: Packet[] = [];
  if (a.publicV4) {
    packets.push(
      tcp("out", iface, local.v4, a.publicV4, 443),
      udp("out", iface, local.v4, a.publicV4, 443),
      icmp("out", iface, local.v4, a.publicV4, 8),
      other("esp", "out", iface, local.v4, a.publicV4),
      // A connection older than the rules has no state: its packets must not slip through either.
      tcp("out", iface, local.v4, a.publicV4, 443, EPHEMERAL, "A"),
      tcp("in", iface, a.publicV4, local.v4, 22, EPHEMERAL),
      tcp("in", iface, a.publicV4, local.v4, EPHEMERAL, 443, "SA"),
      udp("in", iface, a.publicV4, local.v4, 50000, 443),
    );
  }
  if (a.publicV6) {
    packets.push(
      tcp("out", iface, local.global, a.publicV6, 443),
      udp("out", iface, local.global, a.publicV6, 443),
      icmp("out", iface, local.global, a.publicV6, 128),
      tcp("in", iface, a.publicV6, local.global, 22),
    );
  }
  return packets;
}

/** What every clause's probes are made from: the policy, the network, addresses to probe and interfaces. */
export interface ProbeContext {
  input: VerifyInput;
  network: NetworkState;
  view: PolicyView;
  a: Addresses;
  sets: ReturnType<typeof interfaceSets>;
  /** The physical interfaces, and ones that may appear later (a USB adapter, bridge100). */
  reachable: string[];
  /** Everything outside the tunnel: physical, new, peer-to-peer and tunnels that are not trusted. */
  outside: string[];
  primary: string;
  at: (name: string) => Local;
}

export function probeContext(input: VerifyInput, view: PolicyView): ProbeContext {
  const { network } = input;
  const sets = interfaceSets(view, network);
  return {
    input,
    network,
    view,
    a: chooseAddresses(view),
    sets,
    reachable: [...sets.physical, ...sets.added],
    outside: [...sets.physical, ...sets.added, ...sets.peerToPeer, ...sets.foreignTunnels],
    primary: sets.physical[0],
    at: (name) => localAddresses(network, name),
  };
}

export function loopbackProbes(): ProbePacket[] {
  return ["out", "in"].flatMap((d) => {
    const direction = d as Packet["direction"];
    return [
      tcp(direction, "lo0", "127.0.0.1", "127.0.0.1", 8080),
      udp(direction, "lo0", "127.0.0.1", "127.0.0.1", 53),
      tcp(direction, "lo0", "::1", "::1", 8080),
    ];
  });
}

export function tunnelProbes(c: ProbeContext): ProbePacket[] {
  const { network, view, a } = c;
  return view.tunnels.flatMap((name) => {
    const v4 = network.tunnels.find((t) => t.name === name)?.ipv4[0] ?? "10.8.0.2";
    const farSide = v4.replace(/\.\d+$/, v4.endsWith(".1") ? ".2" : ".1");
    const v6 = network.tunnels.find((t) => t.name === name)?.ipv6.find((x) => !within("fe80::/10", x)) ?? "fd00:8::2";
    const opener = tcp("out", name, v4, a.publicV4 ?? "203.0.113.50", 443);
    return [
      udp("out", name, v4, farSide, 53),
      // Out only: answers ride on the state; nothing unasked comes in, even through the tunnel.
      tcp("in", name, farSide, v4, 22),
      answerTo(opener),
      answerTo(udp("out", name, v4, a.publicDnsV4 ?? "9.9.9.9", 53)),
      opener,
      udp("out", name, v4, a.publicV4 ?? "203.0.113.50", 443),
      icmp("out", name, v4, a.publicV4 ?? "203.0.113.50", 8),
      udp("out", name, v4, a.publicDnsV4 ?? "9.9.9.9", 53),
      tcp("out", name, v6, a.publicV6 ?? "2001:db8:ffff::50", 443),
      udp("out", name, v6, a.publicDnsV6 ?? "2620:fe::fe", 53),
      tcp("out", name, v4, a.router, 80),
    ];
  });
}

export function endpointsProbes(c: ProbeContext): ProbePacket[] {
  const { view, reachable, at } = c;
  return view.endpoints.flatMap((endpoint) =>
    reachable.flatMap((iface) => {
      const local = at(iface);
      const family = familyOf(endpoint.address) === "inet6" ? "inet6" : "inet";
      const source = family === "inet6" ? local.global : local.v4;
      const packets: Packet[] = [];
      const transports = endpoint.protocol ? [endpoint.protocol] : ["udp", "tcp"];
      if (endpoint.port !== undefined) {
        for (const proto of transports) {
          const make = proto === "tcp" ? tcp : udp;
          const opener = make("out", iface, source, endpoint.address, endpoint.port);
          packets.push(opener, answerTo(opener));
          if (proto === "tcp") packets.push(tcp("out", iface, source, endpoint.address, endpoint.port, EPHEMERAL, "A"));
        }
        // Narrow: another port, and the other transport when the protocol is known.
        const otherPort = endpoint.port < 65535 ? endpoint.port + 1 : endpoint.port - 1;
        packets.push((transports[0] === "tcp" ? tcp : udp)("out", iface, source, endpoint.address, otherPort));
        if (endpoint.protocol)
          packets.push(
            (endpoint.protocol === "tcp" ? udp : tcp)("out", iface, source, endpoint.address, endpoint.port),
          );
      } else if (endpoint.protocol === "ikev2") {
        const ike = udp("out", iface, source, endpoint.address, 500, 500);
        const esp = other("esp", "out", iface, source, endpoint.address);
        packets.push(
          ike,
          answerTo(ike),
          udp("out", iface, source, endpoint.address, 4500, 4500),
          esp,
          answerTo(esp),
          // IKEv2 needs nothing else: other ports and protocols to the server stay blocked.
          udp("out", iface, source, endpoint.address, 1194),
          tcp("out", iface, source, endpoint.address, 443),
        );
      } else {
        const wireguard = udp("out", iface, source, endpoint.address, 51820);
        const esp = other("esp", "out", iface, source, endpoint.address);
        packets.push(
          wireguard,
          udp("out", iface, source, endpoint.address, 4500, 4500),
          tcp("out", iface, source, endpoint.address, 443),
          tcp("out", iface, source, endpoint.address, 443, EPHEMERAL, "A"),
          esp,
          answerTo(wireguard),
          answerTo(esp),
        );
      }
      return packets;
    }),
  );
}

export function plumbingProbes(c: ProbeContext): ProbePacket[] {
  const { a, reachable, at } = c;
  return reachable.flatMap((iface) => {
    const local = at(iface);
    return [
      udp("out", iface, "0.0.0.0", "255.255.255.255", 67, 68),
      udp("out", iface, local.v4, a.router, 67, 68),
      ...c.view.links.flatMap((link) =>
        link.name === iface && link.dhcpServer ? [udp("out", iface, local.v4, link.dhcpServer, 67, 68)] : [],
      ),
      udp("in", iface, a.router, "255.255.255.255", 68, 67),
      udp("in", iface, a.router, local.v4, 68, 67),
      udp("out", iface, local.linkLocal, "ff02::1:2", 547, 546),
      udp("in", iface, ROUTER_V6, local.linkLocal, 546, 547),
      icmp("out", iface, local.linkLocal, "ff02::2", 133),
      icmp("out", iface, local.linkLocal, "ff02::1:ff00:1", 135),
      icmp("out", iface, local.linkLocal, ROUTER_V6, 136),
      icmp("out", iface, local.linkLocal, "ff02::16", 143),
      icmp("in", iface, ROUTER_V6, "ff02::1", 134),
      icmp("in", iface, ROUTER_V6, local.linkLocal, 135),
      icmp("in", iface, ROUTER_V6, local.linkLocal, 136),
      icmp("in", iface, ROUTER_V6, local.linkLocal, 137),
      icmp("in", iface, ROUTER_V6, "ff02::1", 130),
      // The plumbing must not be a hole: the same ports and types to anything else stay blocked.
      ...(a.publicV4 ? [udp("out", iface, local.v4, a.publicV4, 67, 68)] : []),
      ...(a.publicV6 ? [icmp("out", iface, local.global, a.publicV6, 135)] : []),
      icmp("out", iface, local.linkLocal, ROUTER_V6, 128),
    ];
  });
}

export function dnsProbes(c: ProbeContext): ProbePacket[] {
  const { view, a, sets, at } = c;
  const dnsTargets = [
    a.router,
    a.lanHost,
    a.publicDnsV4,
    ...view.exceptions.map((e) => e.addresses[0]?.address),
  ].filter((x): x is string => !!x && familyOf(x) === "inet");
  const dnsTargetsV6 = [ROUTER_V6, a.publicDnsV6, ...view.exceptions.map((e) => e.addresses[0]?.address)].filter(
    (x): x is string => !!x && familyOf(x) === "inet6",
  );
  return [...sets.physical, "en7", "awdl0"].flatMap((iface) => {
    const local = at(iface);
    return [
      ...dnsTargets.flatMap((target) => [
        udp("out", iface, local.v4, target, 53),
        tcp("out", iface, local.v4, target, 53),
        tcp("out", iface, local.v4, target, 853),
        udp("out", iface, local.v4, target, 853),
      ]),
      ...dnsTargetsV6.flatMap((target) => [
        udp("out", iface, within("fe80::/10", target) ? local.linkLocal : local.global, target, 53),
        tcp("out", iface, within("fe80::/10", target) ? local.linkLocal : local.global, target, 853),
      ]),
      ...view.resolvers.flatMap((resolver) => {
        const source = familyOf(resolver) === "inet6" ? local.global : local.v4;
        return [udp("out", iface, source, resolver, 53), tcp("out", iface, source, resolver, 853)];
      }),
    ];
  });
}

export function discoveryProbes(c: ProbeContext): ProbePacket[] {
  const { a, sets, at } = c;
  return sets.physical.flatMap((iface) => {
    const local = at(iface);
    return [
      udp("out", iface, local.v4, "224.0.0.251", 5353, 5353),
      udp("out", iface, local.linkLocal, "ff02::fb", 5353, 5353),
      udp("in", iface, a.lanHost, "224.0.0.251", 5353, 5353),
      udp("in", iface, LAN_PEER_V6, "ff02::fb", 5353, 5353),
      udp("out", iface, local.v4, "239.255.255.250", 1900),
    ];
  });
}

export function lanProbes(c: ProbeContext): ProbePacket[] {
  const { a, sets, at } = c;
  return sets.physical.flatMap((iface) => {
    const local = at(iface);
    return [
      tcp("out", iface, local.v4, a.lanHost, 631),
      tcp("out", iface, local.v4, a.router, 80),
      tcp("out", iface, local.v4, "10.20.30.40", 445),
      udp("out", iface, local.v4, "172.16.5.5", 5000),
      tcp("out", iface, local.global, "fd00::20", 22),
      tcp("out", iface, local.linkLocal, LAN_PEER_V6, 80),
      tcp("in", iface, a.lanHost, local.v4, 22),
      tcp("in", iface, "fd00::20", local.global, 22),
      tcp("out", iface, local.v4, "100.64.0.1", 443),
      // Every network the link says it is attached to, public space and a VPN's range included: the rules
      // pass a host of it only as the policy does.
      ...(c.view.links.find((link) => link.name === iface)?.subnets ?? []).flatMap((network) => {
        const cidr = parseCidr(network);
        if (!cidr) return [];
        const host = firstHost(cidr);
        const mine = cidr.family === "inet" ? local.v4 : local.global;
        return [tcp("out", iface, mine, host, 443), tcp("in", iface, host, mine, 22)];
      }),
      // A part of the network the VPN routes into the tunnel is the VPN's: never reached on the link.
      ...c.view.tunnelRoutes.flatMap((route) => {
        const cidr = parseCidr(route);
        if (!cidr) return [];
        const host = firstHost(cidr);
        const mine = cidr.family === "inet" ? local.v4 : local.global;
        return [tcp("out", iface, mine, host, 445), tcp("in", iface, host, mine, 22)];
      }),
    ];
  });
}

export function exceptionsProbes(c: ProbeContext): ProbePacket[] {
  const { view, primary, at } = c;
  return view.exceptions.flatMap((exception) =>
    exception.addresses.slice(0, 3).flatMap((cidr) =>
      [primary, "en7"].flatMap((iface) => {
        const local = at(iface);
        const source = cidr.family === "inet6" ? local.global : local.v4;
        const port = exception.ports[0]?.from ?? 443;
        const protocols =
          exception.protocol === "any"
            ? exception.ports.length > 0
              ? ["tcp", "udp"]
              : ["tcp", "udp", "icmp"]
            : [exception.protocol];
        const packets = protocols.map((proto) =>
          proto === "icmp"
            ? icmp("out", iface, source, cidr.address, cidr.family === "inet6" ? 128 : 8)
            : (proto === "tcp" ? tcp : udp)("out", iface, source, cidr.address, port),
        );
        if (exception.protocol !== "any")
          packets.push((exception.protocol === "tcp" ? udp : tcp)("out", iface, source, cidr.address, port));
        if (exception.ports.length > 0) {
          const highest = Math.max(...exception.ports.map((r) => r.to));
          const lowest = Math.min(...exception.ports.map((r) => r.from));
          const outsidePort = highest < 65535 ? highest + 1 : lowest - 1;
          if (outsidePort >= 1 && !DNS_PORTS.includes(outsidePort))
            packets.push((protocols[0] === "udp" ? udp : tcp)("out", iface, source, cidr.address, outsidePort));
        }
        packets.push(tcp("in", iface, cidr.address, source, 22));
        return packets;
      }),
    ),
  );
}

export function airdropProbes(c: ProbeContext): ProbePacket[] {
  const { a, sets, at } = c;
  return sets.peerToPeer.flatMap((iface) => {
    const local = at(iface);
    return [
      tcp("out", iface, local.linkLocal, LAN_PEER_V6, 8770),
      udp("out", iface, local.linkLocal, "ff02::fb", 5353, 5353),
      tcp("in", iface, LAN_PEER_V6, local.linkLocal, 8770),
      answerTo(tcp("in", iface, LAN_PEER_V6, local.linkLocal, 8770, EPHEMERAL, "S")),
      tcp("in", iface, LAN_PEER_V6, local.linkLocal, 57968, EPHEMERAL, "S"),
      udp("in", iface, LAN_PEER_V6, "ff02::fb", 5353, 5353),
      icmp("in", iface, LAN_PEER_V6, "ff02::1:ffd4:e5f6", 135),
      // Nothing else a nearby device starts: a service on a low port, other UDP, ping, other protocols.
      tcp("in", iface, LAN_PEER_V6, local.linkLocal, 22, EPHEMERAL, "S"),
      tcp("in", iface, LAN_PEER_V6, local.linkLocal, 445, EPHEMERAL, "S"),
      udp("in", iface, LAN_PEER_V6, local.linkLocal, 4500),
      icmp("in", iface, LAN_PEER_V6, local.linkLocal, 128),
      other("esp", "in", iface, LAN_PEER_V6, local.linkLocal),
      ...(a.publicV6
        ? [tcp("out", iface, local.global, a.publicV6, 443), tcp("in", iface, a.publicV6, local.global, 8770)]
        : []),
      ...(a.publicV4 ? [tcp("out", iface, local.v4, a.publicV4, 443)] : []),
    ];
  });

  // What a hostile network can send or lure out: spoofed server packets, the plumbing as a covert path, a
  // tunnel connection pushed out of the physical link after the tunnel went away.
}

export function attackerProbes(c: ProbeContext): ProbePacket[] {
  const { network, view, a, reachable, at } = c;
  return reachable.flatMap((iface) => {
    const local = at(iface);
    const packets: ProbePacket[] = [];
    for (const endpoint of view.endpoints) {
      const v6 = familyOf(endpoint.address) === "inet6";
      const mine = v6 ? local.global : local.v4;
      const serverPort = endpoint.port ?? 51820;
      packets.push(
        tcp("in", iface, endpoint.address, mine, 22, serverPort),
        udp("in", iface, endpoint.address, mine, 5353, serverPort),
        udp("in", iface, endpoint.address, mine, EPHEMERAL + 7, serverPort),
        tcp("in", iface, endpoint.address, mine, 443, EPHEMERAL, "A"),
      );
      if (endpoint.port !== undefined || endpoint.protocol === "ikev2") {
        packets.push(
          tcp("out", iface, mine, endpoint.address, 22),
          udp("out", iface, mine, endpoint.address, 9999),
          icmp("out", iface, mine, endpoint.address, v6 ? 128 : 8),
        );
      }
    }
    packets.push(
      udp("out", iface, local.v4, "10.1.2.3", 67, 68),
      udp("out", iface, local.v4, "192.168.77.1", 67, 68),
      // A lease's server is reached on its own link only, and there from port 68 to port 67 over UDP only.
      ...view.links
        .filter((link) => link.name !== iface && link.dhcpServer !== null)
        .map((link) => udp("out", iface, local.v4, link.dhcpServer ?? "", 67, 68)),
      ...view.links
        .filter((link) => link.name === iface && link.dhcpServer !== null)
        .flatMap((link) => {
          const server = link.dhcpServer ?? "";
          return [
            udp("out", iface, local.v4, server, 67, EPHEMERAL),
            udp("out", iface, local.v4, server, 53, 68),
            tcp("out", iface, local.v4, server, 67, 68),
          ];
        }),
      udp("out", iface, "0.0.0.0", a.publicV4 ?? "203.0.113.50", 67, 68),
      udp("out", iface, local.linkLocal, "ff05::1:3", 547, 546),
      udp("out", iface, local.global, a.publicV6 ?? "2001:db8:ffff::50", 547, 546),
      icmp("out", iface, local.global, a.publicV6 ?? "2001:db8:ffff::50", 135),
      udp("in", iface, a.publicV4 ?? "203.0.113.50", local.v4, 5353, 67),
      // The DHCPv6 and neighbour-discovery passes in: only from link-local, only their types.
      udp("in", iface, a.publicV6 ?? "2001:db8:ffff::50", local.global, 546, 547),
      icmp("in", iface, a.publicV6 ?? "2001:db8:ffff::50", local.global, 128),
      // The local-network passes: not from a private range the link is not on, not to the LAN from another link.
      tcp("in", iface, "10.20.30.40", local.v4, 22),
      tcp("in", iface, "10.20.30.40", local.v4, 445, EPHEMERAL, "A"),
      ...(c.sets.added.includes(iface) ? [tcp("out", iface, local.v4, a.lanHost, 631)] : []),
    );
    for (const name of view.tunnels) {
      const tunnelV4 = network.tunnels.find((t) => t.name === name)?.ipv4[0] ?? "10.8.0.2";
      const target = a.publicV4 ?? "203.0.113.50";
      const opener = tcp("out", name, tunnelV4, target, 443);
      packets.push(
        following(tcp("out", iface, tunnelV4, target, 443, EPHEMERAL, "A"), opener),
        following(tcp("in", iface, target, tunnelV4, EPHEMERAL, 443, "A"), opener),
      );
    }
    return packets;
  });
}

export function blockingProbes(c: ProbeContext): ProbePacket[] {
  const { view, a, at, outside } = c;
  return view.tunnels.length === 0
    ? [...new Set([...outside, "utun1", "utun2", "utun3", "utun4", "utun5"])].flatMap((iface) =>
        outsideProbes(iface, at(iface), a).filter((p) => p.direction === "out"),
      )
    : [];
}

export function captiveProbes(c: ProbeContext): ProbePacket[] {
  const { view, a, sets, at } = c;
  return view.captivePortal
    ? sets.physical.flatMap((iface) => {
        const local = at(iface);
        return [
          udp("out", iface, local.v4, a.router, 53),
          tcp("out", iface, local.v4, a.publicV4 ?? "203.0.113.50", 80),
          tcp("out", iface, local.v4, a.publicV4 ?? "203.0.113.50", 443),
          tcp("out", iface, local.v4, a.publicV4 ?? "203.0.113.50", 22),
        ];
      })
    : [];
}

export function buildClauses(input: VerifyInput, view: PolicyView): ClauseSpec[] {
  const c = probeContext(input, view);
  return [
    { id: "loopback", description: "loopback (lo0) passes", packets: loopbackProbes() },
    {
      id: "tunnel",
      description: `traffic inside the VPN tunnel passes (IPv4 and IPv6)${c.view.tunnels.length ? ` on ${c.view.tunnels.join(", ")}` : ""}`,
      packets: tunnelProbes(c),
    },
    {
      id: "outside-blocked",
      description:
        "outside the tunnel (Wi-Fi/Ethernet, a new USB adapter, bridge100, awdl0, other tunnels): out refused with an answer, in dropped",
      packets: c.outside.flatMap((iface) => outsideProbes(iface, c.at(iface), c.a)),
    },
    {
      id: "vpn-endpoints",
      description: "the VPN servers can be reached outside the tunnel (only on their port/protocol when known)",
      packets: endpointsProbes(c),
    },
    {
      id: "link-plumbing",
      description: "DHCPv4, DHCPv6 and IPv6 neighbour discovery pass (to rejoin Wi-Fi), and nothing more",
      packets: plumbingProbes(c),
    },
    {
      id: "dns",
      description: "DNS (53, 853) outside the tunnel goes only to the resolvers named in the settings",
      packets: dnsProbes(c),
    },
    {
      id: "discovery",
      description: `Bonjour (mDNS) ${c.view.allowDiscovery ? "passes" : "is blocked"}; other multicast is blocked`,
      packets: discoveryProbes(c),
    },
    { id: "lan", description: `the local network ${c.view.allowLan ? "passes" : "is blocked"}`, packets: lanProbes(c) },
    {
      id: "exceptions",
      description: "exceptions pass only when active here, and only on their protocol/port",
      packets: exceptionsProbes(c),
    },
    {
      id: "airdrop",
      description: `AirDrop/Continuity ${c.view.allowAirDrop ? "passes link-local only" : "is blocked"} on awdl0/llw0`,
      packets: airdropProbes(c),
    },
    {
      id: "attacker",
      description:
        "what a hostile network can craft stays out: spoofed VPN-server packets, other ports to the server, DHCP and ND to routed addresses, a tunnel connection moved onto the physical link",
      packets: attackerProbes(c),
    },
    {
      id: "blocking-mode",
      description: "with no tunnel, nothing but plumbing and the VPN servers leaves",
      packets: blockingProbes(c),
    },
    {
      id: "captive-portal",
      description: "while the captive-portal window is open, DNS and web ports pass",
      packets: captiveProbes(c),
    },
  ];
}

export interface PolicyProbe {
  clause: ClauseId;
  packet: ProbePacket;
  description: string;
  expected: Expectation;
  because: string;
}

/** The packet matrix for this policy and network, each packet with the verdict the policy wants. */
export function policyProbes(input: VerifyInput): {
  clauses: { id: ClauseId; description: string }[];
  probes: PolicyProbe[];
} {
  const view = viewPolicy(input);
  const specs = buildClauses(input, view);
  const probes: PolicyProbe[] = [];
  for (const spec of specs) {
    const seen = new Set<string>();
    for (const packet of spec.packets) {
      const description = describeProbe(packet);
      if (seen.has(description)) continue;
      seen.add(description);
      const intended = intendedForProbe(packet, view);
      // Only the VPN's own connection is promised to survive without state; other allowed traffic in the
      // middle of a connection rides on the state table, which the evaluator does not model.
      const midConnection = !packet.after && packet.protocol === "tcp" && (packet.tcpFlags ?? "S") !== "S";
      if (midConnection && intended.expected === "pass" && !view.endpoints.some((e) => endpointCovers(e, packet)))
        continue;
      probes.push({ clause: spec.id, packet, description, ...intended });
    }
  }
  return { clauses: specs.map(({ id, description }) => ({ id, description })), probes };
}
