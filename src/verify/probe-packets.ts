/**
 * The packets the verifier sends through the rules, and how one follows another (an answer on a state).
 */
import { familyOf } from "../address/ip";

import { type Packet, describePacket } from "./evaluate";

/** The first port of macOS's ephemeral range: where the probes' own connections come from. */
export const EPHEMERAL = 49152;

export const tcp = (
  direction: Packet["direction"],
  iface: string,
  source: string,
  destination: string,
  destinationPort: number,
  sourcePort = EPHEMERAL,
  tcpFlags?: string,
): Packet => ({
  direction,
  interface: iface,
  family: familyOf(destination) === "inet6" ? "inet6" : "inet",
  protocol: "tcp",
  source,
  destination,
  sourcePort,
  destinationPort,
  ...(tcpFlags ? { tcpFlags } : {}),
});
export const udp = (
  direction: Packet["direction"],
  iface: string,
  source: string,
  destination: string,
  destinationPort: number,
  sourcePort = EPHEMERAL,
): Packet => ({
  ...tcp(direction, iface, source, destination, destinationPort, sourcePort),
  protocol: "udp",
});
export const icmp = (
  direction: Packet["direction"],
  iface: string,
  source: string,
  destination: string,
  icmpType: number,
): Packet => {
  const family = familyOf(destination) === "inet6" ? "inet6" : "inet";
  return {
    direction,
    interface: iface,
    family,
    protocol: family === "inet6" ? "icmp6" : "icmp",
    source,
    destination,
    icmpType,
  };
};
export const other = (
  protocol: string,
  direction: Packet["direction"],
  iface: string,
  source: string,
  destination: string,
): Packet => ({
  direction,
  interface: iface,
  family: familyOf(destination) === "inet6" ? "inet6" : "inet",
  protocol,
  source,
  destination,
});

/**
 * A probe packet; with `after`, it comes once `after` has been let through, so it can match the state
 * `after` made (an answer on the same interface, or the same connection moved to another one).
 */
export type ProbePacket = Packet & { after?: Packet };

/** `packet`, sent once `opener` went through. */
export const following = (packet: Packet, opener: Packet): ProbePacket => ({ ...packet, after: opener });

/** The answer to `opener` from its destination, on the same interface. */
export function answerTo(opener: Packet, tcpFlags = "SA"): ProbePacket {
  const answer: Packet = {
    ...opener,
    direction: opener.direction === "out" ? "in" : "out",
    source: opener.destination,
    destination: opener.source,
    sourcePort: opener.destinationPort,
    destinationPort: opener.sourcePort,
  };
  if (opener.protocol === "tcp") answer.tcpFlags = tcpFlags;
  else delete answer.tcpFlags;
  if (answer.sourcePort === undefined) delete answer.sourcePort;
  if (answer.destinationPort === undefined) delete answer.destinationPort;
  return following(answer, opener);
}

export function withoutOpener(p: ProbePacket): Packet {
  const packet = { ...p };
  delete packet.after;
  return packet;
}

export function describeProbe(p: ProbePacket): string {
  if (!p.after) return describePacket(p);
  return `${describePacket(withoutOpener(p))} (after ${describePacket(p.after)})`;
}
