/**
 * Which addresses are VPN servers. Routes and `scutil --nwi` only name candidates: the network writes routes
 * (DHCP option 121 installs them exactly like a VPN's pin to its server). What it cannot forge is which program
 * owns a connection, so a server is proved by a connection from a physical interface's address owned by a
 * known VPN client; every other candidate is the user's to confirm.
 */
import { sameAddress } from "../address/ip";
import type { ParsedSnapshot } from "./parsed-snapshot";
import { parseProcessNames, programName } from "./process-names";
import { isRemoteAddress } from "./routing";
import type { NetworkInterface, SeenConnection, ServerCandidate, ServerConnection } from "./state";
import { vpnClientOf } from "./vpn-clients";

export interface ServerEvidence {
  /** The proved servers' addresses, in the order their connections were listed. */
  servers: string[];
  /** Their connections; absent when the sockets were not read. */
  connections?: ServerConnection[];
  candidates: ServerCandidate[];
}

/** A UDP socket connected to the address, or a TCP connection being made or up. */
const isLive = (protocol: "tcp" | "udp", state: string | null) =>
  protocol === "udp" || state === "ESTABLISHED" || state === "SYN_SENT";

/**
 * Sorts the named addresses (`named`: address -> where) into proved servers and candidates, and adds the
 * servers the VPN's connections prove by themselves (a VPN that pins no route, as Network Extensions do).
 */
export function findVpnServers(
  parsed: ParsedSnapshot,
  physical: readonly NetworkInterface[],
  named: ReadonlyMap<string, ServerCandidate["seenIn"]>,
): ServerEvidence {
  const names = parsed.processNames ? parseProcessNames(parsed.processNames) : new Map<number, string>();
  const physicalAddresses = physical.flatMap((link) => [...link.ipv4, ...link.ipv6]);
  const onPhysical = (address: string | null) =>
    address !== null && physicalAddresses.some((own) => sameAddress(own, address));
  const servers: string[] = [];
  const connections: ServerConnection[] = [];
  const seen = new Map<string, SeenConnection[]>();
  for (const socket of parsed.sockets ?? []) {
    const { remoteAddress: address, remotePort: port, protocol } = socket;
    if (address === null || port === null || !isRemoteAddress(address) || !isLive(protocol, socket.state)) continue;
    const pid = socket.owner?.pid ?? null;
    const comm = socket.owner?.name ?? (pid !== null ? names.get(pid) : undefined) ?? null;
    const owner = comm === null ? null : programName(comm);
    seen.set(address, [
      ...(seen.get(address) ?? []),
      { protocol, port, owner, pid, localAddress: socket.localAddress },
    ]);
    if (comm === null || vpnClientOf(comm) === null || !onPhysical(socket.localAddress)) continue;
    if (!servers.includes(address)) servers.push(address);
    if (!connections.some((c) => c.address === address && c.protocol === protocol && c.port === port)) {
      connections.push({ address, protocol, port });
    }
  }
  const candidates = [...named]
    .filter(([address]) => !servers.some((server) => sameAddress(server, address)))
    .map(([address, seenIn]) => ({ address, seenIn: [...seenIn], connections: seen.get(address) ?? [] }));
  return { servers, ...(parsed.sockets ? { connections } : {}), candidates };
}

/** `93.184.216.34:443/tcp, used by Safari (pid 812)`: one connection, as the question shows it. */
export function describeSeenConnection(address: string, connection: SeenConnection): string {
  const host = address.includes(":") ? `[${address}]` : address;
  const by =
    connection.owner !== null
      ? `, used by ${connection.owner}${connection.pid !== null ? ` (pid ${connection.pid})` : ""}`
      : connection.pid !== null
        ? `, used by pid ${connection.pid}`
        : "";
  return `${host}:${connection.port}/${connection.protocol}${by}`;
}

/** What was seen of a candidate, for the question and `preview`: where it was named, and its connections. */
export function describeCandidate(candidate: ServerCandidate): string {
  const where = candidate.seenIn.map((source) => (source === "route" ? "a host route" : "scutil --nwi")).join(" and ");
  const connections = candidate.connections.map((c) => describeSeenConnection(candidate.address, c));
  return `${candidate.address} (named by ${where}; ${connections.length > 0 ? connections.join("; ") : "no connection open to it"})`;
}
