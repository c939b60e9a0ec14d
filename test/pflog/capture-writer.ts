/**
 * Writes pflog captures as pf and `tcpdump -w` do on a Mac: a little-endian pcap of link type 117, each
 * packet a pflog header (OpenBSD 4.3 layout, 61 bytes padded to 64; rule numbers in network order, uid and
 * pid in the host's) and an IPv4 or IPv6 packet with its TCP, UDP or ICMP header.
 */
export interface LoggedPacket {
  time: number;
  action?: number; // 0 pass, 1 block
  reason?: number; // 0 match
  ifname: string;
  ruleset?: string;
  rule?: number;
  subrule?: number; // 0xffffffff: none
  uid?: number;
  pid?: number; // 100000 (NO_PID): none
  dir: 1 | 2; // in, out
  family: "inet" | "inet6";
  protocol: "tcp" | "udp" | "icmp" | "icmp6";
  source: string;
  destination: string;
  sourcePort?: number;
  destinationPort?: number;
  icmpType?: number;
}

const PROTOCOL = { tcp: 6, udp: 17, icmp: 1, icmp6: 58 } as const;

function ipv6Bytes(address: string): number[] {
  const [head, tail] = address.includes("::") ? address.split("::") : [address, null];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === null ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

function transport(packet: LoggedPacket): number[] {
  const port = (n = 0) => [n >> 8, n & 0xff];
  if (packet.protocol === "tcp") {
    // ports, seq, ack, offset 5 words, SYN, window, checksum, urgent
    return [
      ...port(packet.sourcePort),
      ...port(packet.destinationPort),
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      0,
      0x50,
      0x02,
      0xff,
      0xff,
      0,
      0,
      0,
      0,
    ];
  }
  if (packet.protocol === "udp") return [...port(packet.sourcePort), ...port(packet.destinationPort), 0, 8, 0, 0];
  return [packet.icmpType ?? 8, 0, 0, 0, 0, 1, 0, 1];
}

function ipPacket(packet: LoggedPacket): number[] {
  const payload = transport(packet);
  if (packet.family === "inet") {
    const total = 20 + payload.length;
    const address = (a: string) => a.split(".").map(Number);
    return [
      0x45,
      0,
      total >> 8,
      total & 0xff,
      0,
      1,
      0,
      0,
      64,
      PROTOCOL[packet.protocol],
      0,
      0,
      ...address(packet.source),
      ...address(packet.destination),
      ...payload,
    ];
  }
  return [
    0x60,
    0,
    0,
    0,
    payload.length >> 8,
    payload.length & 0xff,
    PROTOCOL[packet.protocol],
    64,
    ...ipv6Bytes(packet.source),
    ...ipv6Bytes(packet.destination),
    ...payload,
  ];
}

function pflogHeader(packet: LoggedPacket): Buffer {
  const header = Buffer.alloc(64);
  header[0] = 61;
  header[1] = packet.family === "inet" ? 2 : 30; // macOS's AF_INET6
  header[2] = packet.action ?? 1;
  header[3] = packet.reason ?? 0;
  header.write(packet.ifname, 4, 16, "latin1");
  header.write(packet.ruleset ?? "", 20, 16, "latin1");
  header.writeUInt32BE(packet.rule ?? 0, 36);
  header.writeUInt32BE(packet.subrule ?? 0xffffffff, 40);
  header.writeUInt32LE(packet.uid ?? 0xffffffff, 44);
  header.writeInt32LE(packet.pid ?? 100000, 48);
  header.writeUInt32LE(0xffffffff, 52);
  header.writeInt32LE(100000, 56);
  header[60] = packet.dir;
  return header;
}

export function pflogCapture(packets: LoggedPacket[]): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(117, 20);
  const records = packets.map((packet) => {
    const data = Buffer.concat([pflogHeader(packet), Buffer.from(ipPacket(packet))]);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(Math.floor(packet.time), 0);
    record.writeUInt32LE(Math.round((packet.time % 1) * 1e6), 4);
    record.writeUInt32LE(data.length, 8);
    record.writeUInt32LE(data.length, 12);
    return Buffer.concat([record, data]);
  });
  return Buffer.concat([global, ...records]);
}

/** Logged by our anchor's final blocks on Wi-Fi. */
const OUR_BLOCK = { ifname: "en0", ruleset: "000.vpnkillswit", rule: 41, subrule: 0 } as const;
/** Safari's connection to a web site, leaving Wi-Fi. */
const SAFARI_OUT = {
  ...OUR_BLOCK,
  uid: 501,
  pid: 812,
  dir: 2,
  family: "inet",
  protocol: "tcp",
  source: "192.168.1.23",
  destination: "93.184.216.34",
  sourcePort: 50123,
  destinationPort: 443,
} as const;

/** A morning's blocked packets on a Mac whose VPN dropped: apps on Wi-Fi, mDNS in, a ping, IPv6. */
export const MORNING: LoggedPacket[] = [
  { ...SAFARI_OUT, time: 1_796_000_000.25 },
  { ...SAFARI_OUT, time: 1_796_000_001.5 },
  {
    ...OUR_BLOCK,
    time: 1_796_000_002,
    rule: 38,
    uid: 0,
    pid: 301,
    dir: 2,
    family: "inet",
    protocol: "udp",
    source: "192.168.1.23",
    destination: "192.168.1.1",
    sourcePort: 61000,
    destinationPort: 53,
  },
  {
    ...OUR_BLOCK,
    time: 1_796_000_003,
    rule: 42,
    dir: 1,
    family: "inet6",
    protocol: "udp",
    source: "fe80::1c3f:469f:fd46:194c",
    destination: "ff02::fb",
    sourcePort: 5353,
    destinationPort: 5353,
  },
  {
    ...OUR_BLOCK,
    time: 1_796_000_004,
    uid: 501,
    pid: 900,
    dir: 2,
    family: "inet",
    protocol: "icmp",
    source: "192.168.1.23",
    destination: "8.8.8.8",
    icmpType: 8,
  },
  {
    ...SAFARI_OUT,
    time: 1_796_000_005,
    family: "inet6",
    source: "2001:db8:1::23",
    destination: "2606:2800:220:1:248:1893:25c8:1946",
    sourcePort: 50200,
  },
  {
    time: 1_796_000_006,
    ifname: "utun4",
    ruleset: "",
    rule: 3,
    dir: 2,
    action: 0,
    family: "inet",
    protocol: "tcp",
    source: "10.8.0.2",
    destination: "93.184.216.34",
    sourcePort: 50300,
    destinationPort: 443,
  },
];

/** A scan from the Internet: one host trying this Mac's ssh port (22) from `count` source ports, refused in. */
export function sshScan(count: number, time = 1_796_000_100): LoggedPacket[] {
  return Array.from({ length: count }, (_, i) => ({
    ...OUR_BLOCK,
    rule: 42,
    time: time + i / 100,
    dir: 1 as const,
    family: "inet" as const,
    protocol: "tcp" as const,
    source: "198.51.100.99",
    destination: "192.168.1.23",
    sourcePort: 40_000 + i,
    destinationPort: 22,
  }));
}
