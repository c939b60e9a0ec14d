/**
 * Blocked packets grouped into flows. Outgoing: one line per interface, protocol, remote address and port, and
 * process. Incoming: per remote address and the port it tried to reach on this Mac, so that one scan from
 * hundreds of source ports reads as the one door it knocked on. No name is looked up: a reverse DNS query
 * outside the tunnel would itself leak.
 */
import type { PflogPacket } from "./capture";

/** When it happened: during boot (before the first login), with no VPN tunnel up, or beside an up tunnel. */
export type FlowPhase = "boot" | "vpn-down" | "vpn-up";

/** A process as the root side recorded it beside the capture (65-capture.sh, note_processes). */
export interface RecordedProcess {
  pid: number;
  /** When it began, seconds since 1970: never earlier than it really did. */
  started: number;
  /** The first check that no longer saw it running; null while it runs. */
  ended: number | null;
  /** What it calls itself (argv[0], the executable's full path for most): a name it chose, not proof. */
  executable: string;
  /** The executable's file name. */
  name: string;
}

export interface Flow {
  direction: "in" | "out" | null;
  interface: string;
  protocol: string;
  /** The far side: the destination of an outgoing packet, the source of an incoming one. */
  remote: string | null;
  /**
   * Outgoing: the far side's port. Incoming: the port it tried to reach on this Mac (the local destination
   * port; the far side's source port changes with every connection). Null for protocols without ports.
   */
  port: number | null;
  /** Whose port `port` is: "remote" for an outgoing flow, "local" for an incoming one; null without a port. */
  portSide: "local" | "remote" | null;
  /** The process's name where it was recorded as running when pf logged it; null where unknown. */
  process: string | null;
  /** The same process's executable path, as it calls itself; null where unknown. */
  executable: string | null;
  pid: number | null;
  count: number;
  /** ISO 8601 times of the first and last packet. */
  firstSeen: string;
  lastSeen: string;
  /** Null when the capture comes without the records that tell (a capture from elsewhere). */
  phase: FlowPhase | null;
  /** The rule that blocked its first packet: the ruleset's name as the pflog header holds it, and its number. */
  rule: { ruleset: string; number: number } | null;
}

export interface FlowContext {
  /** The process that held the pid when the packet was sent, as the root side recorded it; null when unknown. */
  processAt?: (pid: number, time: number) => RecordedProcess | null;
  /** The phase a packet's time fell in, when known. */
  phaseAt?: (time: number) => FlowPhase | null;
}

/**
 * The far side as people read it. Outgoing: where it tried to go, `17.253.144.10:443`, `[2001:db8::1]:443`.
 * Incoming: who knocked on which door of this Mac, `198.51.100.99 → port 22 on this Mac`.
 */
export function farSide(flow: Pick<Flow, "remote" | "port" | "portSide">): string {
  const address = flow.remote ?? "unknown address";
  if (flow.port === null) return address;
  if (flow.portSide === "local") return `${address} → port ${flow.port} on this Mac`;
  return address.includes(":") ? `[${address}]:${flow.port}` : `${address}:${flow.port}`;
}

const iso = (time: number) => new Date(Math.floor(time * 1000)).toISOString();

/** The flows of the packets, the earliest first; packets pf passed are left out (they did not try to leak). */
export function groupFlows(packets: readonly PflogPacket[], context: FlowContext = {}): Flow[] {
  const flows = new Map<string, Flow & { first: number; last: number }>();
  for (const packet of packets) {
    if (packet.action === "pass") continue;
    const incoming = packet.direction === "in";
    const remote = incoming ? packet.source : packet.destination;
    const port = packet.destinationPort;
    const portSide = port === null ? null : incoming ? "local" : "remote";
    const process = packet.pid === null ? null : (context.processAt?.(packet.pid, packet.time) ?? null);
    const phase = context.phaseAt ? context.phaseAt(packet.time) : null;
    const key = JSON.stringify([
      packet.direction,
      packet.interface,
      packet.protocol,
      remote,
      port,
      packet.pid,
      process?.started ?? null,
      process?.executable ?? null,
      phase,
    ]);
    const flow = flows.get(key);
    if (flow) {
      flow.count++;
      if (packet.time < flow.first) flow.first = packet.time;
      if (packet.time > flow.last) flow.last = packet.time;
      continue;
    }
    flows.set(key, {
      direction: packet.direction,
      interface: packet.interface,
      protocol: packet.protocol,
      remote,
      port,
      portSide,
      process: process?.name ?? null,
      executable: process?.executable ?? null,
      pid: packet.pid,
      count: 1,
      firstSeen: "",
      lastSeen: "",
      phase,
      rule: { ruleset: packet.ruleset, number: packet.rule },
      first: packet.time,
      last: packet.time,
    });
  }
  return [...flows.values()]
    .sort((a, b) => a.first - b.first)
    .map(({ first, last, ...flow }) => ({ ...flow, firstSeen: iso(first), lastSeen: iso(last) }));
}
