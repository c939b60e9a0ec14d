/**
 * Which entry of pf's log is a probe's own: one written while its `nc` ran, for exactly the packet the probe
 * sent. pf logs a packet it blocks at the moment it decides, inside the send, so the entry's stamp lies
 * between the probe's start and its end; one stamped before is an older run's or another program's, one
 * stamped after was sent by someone else from the port the probe had let go.
 */
import { sameAddress } from "../address/ip";
import type { PflogPacket } from "../pflog/capture";
import type { Probe } from "./probes";

/** A probe as it was sent: when its `nc` started and when it ended, in milliseconds since 1970. */
export interface SentProbe {
  probe: Probe;
  startedAt: number;
  endedAt: number;
}

/**
 * pcap stamps are whole microseconds and the clock's times whole milliseconds read before and after the send:
 * in microseconds the start is never after the stamp, and the stamp never at or after the end's next millisecond.
 */
const microseconds = (seconds: number) => Math.round(seconds * 1_000_000);

const sameOrNull = (address: string | null, expected: string) => address !== null && sameAddress(address, expected);

/** Whether `packet` is pf's block of this very probe, logged while it was being sent. */
export function isProbeEntry(sent: SentProbe, packet: PflogPacket): boolean {
  const { probe } = sent;
  const stamp = microseconds(packet.time);
  return (
    packet.action === "block" &&
    packet.direction === "out" &&
    packet.interface === probe.interface &&
    packet.protocol === probe.protocol &&
    sameOrNull(packet.source, probe.source) &&
    sameOrNull(packet.destination, probe.destination) &&
    packet.sourcePort === probe.sourcePort &&
    packet.destinationPort === probe.port &&
    stamp >= sent.startedAt * 1000 &&
    stamp < (sent.endedAt + 1) * 1000
  );
}
