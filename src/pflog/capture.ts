/**
 * pcap files of link type 117 (DLT_PFLOG), as `tcpdump -w` writes them on a pflog interface: each packet
 * carries pf's pflog header (the OpenBSD 4.3 layout that xnu keeps) and then the IPv4 or IPv6 packet.
 * Read from bytes only: no name lookups, nothing sent anywhere.
 */

/** pcap's link type for pf's log. */
export const DLT_PFLOG = 117;

export type PflogDirection = "in" | "out";

export interface PflogPacket {
  /** Seconds since 1970, with the capture's fraction. */
  time: number;
  /** pf's action: "block", "pass", ... (`PF_DROP` is "block", as tcpdump says). */
  action: string;
  /** Why pf logged it: "match" for a rule, else the reason pf gives (short, state-mismatch, ...). */
  reason: string;
  interface: string;
  /** The last component of the anchor whose rule logged it ("" for the main ruleset), cut to 15 characters. */
  ruleset: string;
  rule: number;
  subrule: number;
  /** The socket's owner and process pf found, null when it found none. */
  uid: number | null;
  pid: number | null;
  direction: PflogDirection | null;
  family: "inet" | "inet6" | null;
  /** "tcp", "udp", "icmp", "icmp6", or the protocol number as text. */
  protocol: string;
  source: string | null;
  destination: string | null;
  sourcePort: number | null;
  destinationPort: number | null;
  icmpType: number | null;
}

export class PflogCaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PflogCaptureError";
  }
}

// pf's actions and reasons by number (OpenBSD 4.3 pfvar.h; xnu keeps them).
const ACTIONS = ["pass", "block", "scrub", "no-scrub", "nat", "no-nat", "binat", "no-binat", "rdr", "no-rdr"];
const REASONS = [
  "match",
  "bad-offset",
  "fragment",
  "short",
  "normalize",
  "memory",
  "bad-timestamp",
  "congestion",
  "ip-option",
  "proto-cksum",
  "state-mismatch",
  "state-insert",
  "state-limit",
  "src-limit",
  "synproxy",
];
/** AF_INET, and AF_INET6 as each BSD numbers it (macOS 30, FreeBSD 28, OpenBSD/NetBSD 24). */
const FAMILIES: Record<number, "inet" | "inet6"> = { 2: "inet", 24: "inet6", 28: "inet6", 30: "inet6" };
const PROTOCOLS: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6" };
/** The pflog header as pf writes it: 61 bytes, padded to 64 (BPF_WORDALIGN of its length field). */
const PFLOG_MIN_LENGTH = 61;
/** xnu's NO_PID (PID_MAX + 1): pf found no process. */
const NO_PID = 100_000;

const text = (bytes: Uint8Array, start: number, length: number) => {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return new TextDecoder("latin1").decode(end === -1 ? field : field.subarray(0, end));
};

function ipv4(bytes: Uint8Array, at: number): string {
  return Array.from(bytes.subarray(at, at + 4)).join(".");
}

/** Compressed as tcpdump prints it (RFC 5952): the longest run of two or more zero groups becomes "::". */
function ipv6(bytes: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** What the IP packet behind the pflog header says. */
type Layer3 = Pick<
  PflogPacket,
  "family" | "protocol" | "source" | "destination" | "sourcePort" | "destinationPort" | "icmpType"
>;

/** The IP packet after the pflog header; what is cut short stays null (pf logs whole headers, tests cut). */
function readPacket(bytes: Uint8Array, family: "inet" | "inet6" | null): Layer3 {
  const none: Layer3 = {
    family,
    protocol: "unknown",
    source: null,
    destination: null,
    sourcePort: null,
    destinationPort: null,
    icmpType: null,
  };
  let protocolNumber: number;
  let payload: number;
  if (family === "inet" && bytes.length >= 20 && bytes[0] >> 4 === 4) {
    protocolNumber = bytes[9];
    payload = (bytes[0] & 0x0f) * 4;
    none.source = ipv4(bytes, 12);
    none.destination = ipv4(bytes, 16);
  } else if (family === "inet6" && bytes.length >= 40 && bytes[0] >> 4 === 6) {
    protocolNumber = bytes[6];
    payload = 40;
    none.source = ipv6(bytes, 8);
    none.destination = ipv6(bytes, 24);
  } else {
    return none;
  }
  const protocol = PROTOCOLS[protocolNumber] ?? String(protocolNumber);
  const result = { ...none, protocol };
  if ((protocol === "tcp" || protocol === "udp") && bytes.length >= payload + 4) {
    result.sourcePort = (bytes[payload] << 8) | bytes[payload + 1];
    result.destinationPort = (bytes[payload + 2] << 8) | bytes[payload + 3];
  } else if ((protocol === "icmp" || protocol === "icmp6") && bytes.length > payload) {
    result.icmpType = bytes[payload];
  }
  return result;
}

/**
 * Every packet of a pflog capture. A file that is not a pcap file, of another link type, or cut short is an
 * error that says which and where, never a crash. `growing`: a file being written, whose last packet may be
 * cut short for now (it is left out).
 */
export function readPflogCapture(
  bytes: Uint8Array,
  name = "the capture",
  options: { growing?: boolean } = {},
): PflogPacket[] {
  if (bytes.length < 24) throw new PflogCaptureError(`${name} is not a pcap file (${bytes.length} bytes, no header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const forms: Record<number, { little: boolean; nanoseconds: boolean }> = {
    0xa1b2c3d4: { little: false, nanoseconds: false },
    0xd4c3b2a1: { little: true, nanoseconds: false },
    0xa1b23c4d: { little: false, nanoseconds: true },
    0x4d3cb2a1: { little: true, nanoseconds: true },
  };
  const form = forms[magic];
  if (!form) {
    const hint =
      magic === 0x0a0d0d0a ? " (it is pcapng: save it with `tcpdump -w`, or convert it with editcap -F pcap)" : "";
    throw new PflogCaptureError(`${name} is not a pcap file${hint}`);
  }
  const { little } = form;
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  if (linkType !== DLT_PFLOG) {
    throw new PflogCaptureError(`${name} is a capture of link type ${linkType}, not pf's log (pflog, link type 117)`);
  }
  const packets: PflogPacket[] = [];
  let at = 24;
  while (at < bytes.length) {
    const index = packets.length + 1;
    // A file tcpdump is still writing may end inside the packet it writes now: that one is not read yet.
    if (at + 16 > bytes.length) {
      if (options.growing) break;
      throw new PflogCaptureError(`${name} is cut short in the header of packet ${index}`);
    }
    const seconds = view.getUint32(at, little);
    const fraction = view.getUint32(at + 4, little);
    const captured = view.getUint32(at + 8, little);
    if (at + 16 + captured > bytes.length) {
      if (options.growing) break;
      throw new PflogCaptureError(`${name} is cut short in packet ${index}`);
    }
    const data = bytes.subarray(at + 16, at + 16 + captured);
    at += 16 + captured;
    if (data.length < 1 || data[0] < PFLOG_MIN_LENGTH || data.length < data[0]) {
      throw new PflogCaptureError(`${name}: packet ${index} has no whole pflog header`);
    }
    const header = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const headerLength = (data[0] + 3) & ~3;
    const uid = header.getUint32(44, little);
    const pid = header.getInt32(48, little);
    const direction = data[60];
    const family = FAMILIES[data[1]] ?? null;
    packets.push({
      time: seconds + fraction / (form.nanoseconds ? 1e9 : 1e6),
      action: ACTIONS[data[2]] ?? String(data[2]),
      reason: REASONS[data[3]] ?? String(data[3]),
      interface: text(data, 4, 16),
      ruleset: text(data, 20, 16),
      rule: header.getUint32(36, false),
      subrule: header.getUint32(40, false),
      uid: uid >= 0x7fffffff ? null : uid,
      pid: pid < 0 || pid >= NO_PID ? null : pid,
      direction: direction === 1 ? "in" : direction === 2 ? "out" : null,
      ...readPacket(data.subarray(Math.min(headerLength, data.length)), family),
    });
  }
  return packets;
}
