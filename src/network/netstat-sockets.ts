/**
 * The Internet sockets `netstat -anv` lists: which protocol and port the VPN client talks to its server on.
 * Rows are `tcp4 0 0 192.168.1.191.52044 31.13.66.35.443 ESTABLISHED ...` (UDP rows have no state); an
 * address and its port are joined by the last dot (`2001:db8::1.443` for IPv6); `*` is any. Columns after the
 * state (pid, process:pid on macOS 26, counters) vary by version and are not needed.
 */
import { familyOf } from "../address/ip";

export interface InternetSocket {
  protocol: "tcp" | "udp";
  localAddress: string | null;
  localPort: number | null;
  remoteAddress: string | null;
  remotePort: number | null;
  /** TCP only: ESTABLISHED, SYN_SENT, CLOSE_WAIT, ... */
  state: string | null;
}

const ROW = /^\s*(tcp|udp)(4|6|46)\s+\d+\s+\d+\s+(\S+)\s+(\S+)(?:\s+([A-Z_0-9]+)\b)?/;

/** `192.168.1.23.50001` -> the address and the port; `*.*` and `*.5353` have no address. */
function splitEndpoint(text: string): { address: string | null; port: number | null } {
  const at = text.lastIndexOf(".");
  if (at <= 0) return { address: null, port: null };
  const host = text.slice(0, at);
  const portText = text.slice(at + 1);
  const port = /^\d{1,5}$/.test(portText) && Number(portText) <= 65535 ? Number(portText) : null;
  const address = familyOf(host) !== null && !host.includes("%") ? host : null;
  return { address, port };
}

export function parseNetstatSockets(text: string): InternetSocket[] {
  const sockets: InternetSocket[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = ROW.exec(line);
    if (!match) continue;
    const protocol = match[1] as "tcp" | "udp";
    const local = splitEndpoint(match[3]);
    const remote = splitEndpoint(match[4]);
    sockets.push({
      protocol,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: protocol === "tcp" ? (match[5] ?? null) : null,
    });
  }
  return sockets;
}
