/**
 * Hostile `ipconfig getpacket en0` texts for a Mac on 192.168.1.0/24, read by src/network/ipconfig-packet.ts and by
 * the root script's `dhcp_server`, which must agree on every one. Each is the real layout (ipconfig prints the BOOTP
 * header, `sname` and `file` raw, then `options:`, `Options count is N` and one option a line, string options raw)
 * with what a hostile DHCP server can put in it.
 */
import { readMacosFixture } from "./fixtures";

/** A real `ipconfig getpacket` (another network), moved to 192.168.1.0/24: its server is 192.168.1.254. */
export const REAL_PACKET = readMacosFixture("ipconfig", "getpacket-en7_isc-dhcpd_linux-router-blog.txt").replaceAll(
  "192.168.3.",
  "192.168.1.",
);
const SERVER_LINE = "server_identifier (ip): 192.168.1.254\n";

const withServer = (line: string) => REAL_PACKET.replace(SERVER_LINE, line);
const withDomain = (name: string) =>
  REAL_PACKET.replace("domain_name (string): localdomain", `domain_name (string): ${name}`);
const withHeader = (field: "sname" | "file", value: string) =>
  REAL_PACKET.replace(`${field} = \n`, `${field} = ${value}\n`);

export interface DhcpPacketCase {
  name: string;
  packet: string;
  /** What the reader takes as the lease's server, wherever it is. */
  reads: string | null;
  /** The server the renewal pass is built for on en0 (192.168.1.0/24): only one on the link. */
  server: string | null;
}

export const DHCP_PACKET_CASES: DhcpPacketCase[] = [
  { name: "the real layout", packet: REAL_PACKET, reads: "192.168.1.254", server: "192.168.1.254" },
  {
    name: "the real layout with CRLF line ends",
    packet: REAL_PACKET.replaceAll("\n", "\r\n"),
    reads: "192.168.1.254",
    server: "192.168.1.254",
  },
  { name: "leading zeros", packet: withServer("server_identifier (ip): 192.168.001.001\n"), reads: null, server: null },
  {
    name: "leading zeros, octal to some readers",
    packet: withServer("server_identifier (ip): 010.000.000.001\n"),
    reads: null,
    server: null,
  },
  {
    name: "an octet over 255",
    packet: withServer("server_identifier (ip): 192.168.1.256\n"),
    reads: null,
    server: null,
  },
  {
    name: "a trailing word",
    packet: withServer("server_identifier (ip): 192.168.1.254 6.6.6.6\n"),
    reads: null,
    server: null,
  },
  { name: "a trailing dot", packet: withServer("server_identifier (ip): 192.168.1.254.\n"), reads: null, server: null },
  {
    name: "another type",
    packet: withServer("server_identifier (string): 192.168.1.254\n"),
    reads: null,
    server: null,
  },
  { name: "IPv6", packet: withServer("server_identifier (ip): fe80::1\n"), reads: null, server: null },
  { name: "no server_identifier", packet: withServer(""), reads: null, server: null },
  {
    name: "two server_identifier lines",
    packet: withServer(`${SERVER_LINE}server_identifier (ip): 192.168.1.66\n`),
    reads: null,
    server: null,
  },
  {
    name: "the same server_identifier twice",
    packet: withServer(SERVER_LINE + SERVER_LINE),
    reads: null,
    server: null,
  },
  {
    name: "a forged line inside a string option",
    packet: withDomain("x\nserver_identifier (ip): 192.168.1.66"),
    reads: null,
    server: null,
  },
  {
    name: "an indented forged line inside a string option",
    packet: withDomain("x\n  server_identifier (ip): 192.168.1.66"),
    reads: null,
    server: null,
  },
  {
    name: "a forged line in sname, above the options",
    packet: withHeader("sname", "x\nserver_identifier (ip): 192.168.1.66"),
    reads: "192.168.1.254",
    server: "192.168.1.254",
  },
  {
    name: "a forged options section in file",
    packet: withHeader("file", "x\noptions:\nOptions count is 1\nserver_identifier (ip): 192.168.1.66"),
    reads: null,
    server: null,
  },
  {
    name: "a forged options section in a string option",
    packet: withDomain("x\noptions:\nOptions count is 1\nserver_identifier (ip): 192.168.1.66"),
    reads: null,
    server: null,
  },
  { name: "no option count", packet: REAL_PACKET.replace("Options count is 8\n", ""), reads: null, server: null },
  { name: "only the line, not the packet", packet: SERVER_LINE, reads: null, server: null },
  {
    name: "a server off the link",
    packet: withServer("server_identifier (ip): 10.33.79.254\n"),
    reads: "10.33.79.254",
    server: null,
  },
  { name: "garbage", packet: "\u0000\u00ff options: server_identifier\n(ip): 1\n", reads: null, server: null },
  { name: "nothing", packet: "", reads: null, server: null },
];
