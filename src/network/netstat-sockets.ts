/**
 * The Internet sockets `netstat -anv` lists, and who owns each: the VPN client's connection to its server is
 * the one proof of a VPN server the network cannot forge. Rows are
 * `tcp4 0 0 192.168.1.191.52044 31.13.66.35.443 ESTABLISHED ...` (UDP rows have no state); an address and its
 * port are joined by the last dot (`2001:db8::1.443` for IPv6); `*` is any. The owner's column is found from
 * the header: macOS 26 prints `process:pid` (the name may hold spaces: `Autodesk Fusion:22712`), earlier
 * versions `pid epid`, a pid only (named with `ps`); without a header the owner is unknown.
 */
import { familyOf } from "../address/ip";

export interface SocketOwner {
  pid: number;
  /** The process name when netstat prints it (macOS 26); null when only the pid is known. */
  name: string | null;
}

export interface InternetSocket {
  protocol: "tcp" | "udp";
  localAddress: string | null;
  localPort: number | null;
  remoteAddress: string | null;
  remotePort: number | null;
  /** TCP only: ESTABLISHED, SYN_SENT, CLOSE_WAIT, ... */
  state: string | null;
  /** Who owns the socket; null when the layout does not say or the row is cut short. */
  owner: SocketOwner | null;
}

const ROW = /^\s*(tcp|udp)(4|6|46)\s+\d+\s+\d+\s+(\S+)\s+(\S+)(?:\s+([A-Z_0-9]+)\b)?/;
const UP_TO_ADDRESSES = /^\s*\S+\s+\d+\s+\d+\s+\S+\s+\S+/;
/** The columns before the addresses end at `(state)`; the owner's columns are counted from there. */
const HEADER = /^\s*Proto\s+Recv-Q\s+Send-Q\s.*\(state\)(.*)$/;
/**
 * macOS 26: `before` counter columns, then `name:pid`, then eight more (state options gencnt flags flags1 usecnt
 * rtncnt fltrs); the name is what lies between, spaces and all.
 */
const processPidTail = (before: number) =>
  new RegExp(`^\\s*(?:\\S+\\s+){${before}}(\\S(?:.*?\\S)?):(\\d+)(?:\\s+\\S+){8}\\s*$`);

type OwnerLayout = { kind: "process-pid"; before: number } | { kind: "pid"; at: number } | null;

/** Where the owner is in rows under this header: how many columns after `(state)` come before it. */
function ownerLayout(afterState: string): OwnerLayout {
  const columns = afterState.trim().split(/\s+/);
  const named = columns.indexOf("process:pid");
  if (named !== -1) return { kind: "process-pid", before: named };
  const pid = columns.indexOf("pid");
  return pid !== -1 && columns[pid + 1] === "epid" ? { kind: "pid", at: pid } : null;
}

const asPid = (text: string | undefined) =>
  text !== undefined && /^\d{1,7}$/.test(text) && Number(text) > 0 ? Number(text) : null;

function ownerOf(rest: string, layout: OwnerLayout): SocketOwner | null {
  if (!layout) return null;
  if (layout.kind === "pid") {
    const pid = asPid(rest.trim().split(/\s+/)[layout.at]);
    return pid === null ? null : { pid, name: null };
  }
  const match = processPidTail(layout.before).exec(rest);
  const pid = asPid(match?.[2]);
  return match && pid !== null ? { pid, name: match[1] } : null;
}

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
  let layout: OwnerLayout = null;
  for (const line of text.split(/\r?\n/)) {
    const header = HEADER.exec(line);
    if (header) {
      layout = ownerLayout(header[1]);
      continue;
    }
    const match = ROW.exec(line);
    if (!match) continue;
    const protocol = match[1] as "tcp" | "udp";
    const local = splitEndpoint(match[3]);
    const remote = splitEndpoint(match[4]);
    const state = protocol === "tcp" ? (match[5] ?? null) : null;
    // What follows the addresses and, for TCP, the state: the columns the header names after `(state)`.
    const addresses = UP_TO_ADDRESSES.exec(line)?.[0] ?? line;
    const afterAddresses = line.slice(addresses.length);
    const rest = state ? afterAddresses.replace(/^\s*\S+/, "") : afterAddresses;
    sockets.push({
      protocol,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state,
      owner: ownerOf(rest, layout),
    });
  }
  return sockets;
}
