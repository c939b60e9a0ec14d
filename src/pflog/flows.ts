/**
 * Blocked packets grouped into flows: one line per direction, interface, protocol, remote address and port,
 * and process. No name is looked up: a reverse DNS query outside the tunnel would itself leak.
 */
import type { PflogPacket } from "./capture";

/** When it happened: during boot (before the first login), with no VPN tunnel up, or beside an up tunnel. */
export type FlowPhase = "boot" | "vpn-down" | "vpn-up";

export interface Flow {
  direction: "in" | "out" | null;
  interface: string;
  protocol: string;
  /** The far side: the destination of an outgoing packet, the source of an incoming one. */
  remote: string | null;
  /** The far side's port (tcp, udp); null for other protocols. */
  port: number | null;
  /** The process's name where it was recorded when pf logged it; null where unknown. */
  process: string | null;
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
  /** Process names by pid, as recorded when the packets were logged. */
  processNames?: ReadonlyMap<number, string>;
  /** The name the pid had at that time, as the root side recorded it (pids are reused); null when unknown. */
  processAt?: (pid: number, time: number) => string | null;
  /** The phase a packet's time fell in, when known. */
  phaseAt?: (time: number) => FlowPhase | null;
}

const iso = (time: number) => new Date(Math.floor(time * 1000)).toISOString();

/** The flows of the packets, the earliest first; packets pf passed are left out (they did not try to leak). */
export function groupFlows(packets: readonly PflogPacket[], context: FlowContext = {}): Flow[] {
  const flows = new Map<string, Flow & { first: number; last: number }>();
  for (const packet of packets) {
    if (packet.action === "pass") continue;
    const outgoing = packet.direction !== "in";
    const remote = outgoing ? packet.destination : packet.source;
    const port = outgoing ? packet.destinationPort : packet.sourcePort;
    const process =
      packet.pid === null
        ? null
        : (context.processAt?.(packet.pid, packet.time) ?? context.processNames?.get(packet.pid) ?? null);
    const phase = context.phaseAt ? context.phaseAt(packet.time) : null;
    const key = JSON.stringify([packet.direction, packet.interface, packet.protocol, remote, port, packet.pid, phase]);
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
      process,
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
