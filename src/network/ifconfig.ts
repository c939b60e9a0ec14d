import { familyOf, netmaskToPrefix, stripZone } from "../address/ip";
import { normalizeMacAddress } from "./mac-address";

export interface IfconfigIpv4Address {
  address: string;
  /** From `netmask 0xffffff00`; null when the line has no usable netmask. */
  prefix: number | null;
  broadcast: string | null;
  /** The far end of a point-to-point link (`inet A --> B`). */
  peer: string | null;
}

export interface IfconfigIpv6Address {
  /** Without the `%scope` suffix. */
  address: string;
  prefix: number | null;
  /** Words such as `autoconf`, `secured`, `temporary`, `deprecated`, `dynamic`. */
  attributes: string[];
}

export interface IfconfigInterface {
  name: string;
  /** The names inside `flags=8863<UP,BROADCAST,...>`. */
  flags: string[];
  mtu: number | null;
  /** Only `ifconfig -v` prints `index N`. */
  index: number | null;
  ether: string | null;
  ipv4: IfconfigIpv4Address[];
  ipv6: IfconfigIpv6Address[];
  status: "active" | "inactive" | null;
  /** `type: Wi-Fi`, printed only by `ifconfig -v`. */
  type: string | null;
  /** Owners named by `agent domain:...` lines (`ifconfig -v`), e.g. `com.apple.rapport` for Apple's own utuns. */
  agentDomains: string[];
  /** A bridge's `member: en1 flags=...` lines: the interfaces it forwards frames between. */
  members: string[];
}

// Leading whitespace is allowed because pasted output is often indented as a whole.
const HEADER = /^\s*([A-Za-z][A-Za-z0-9]*): flags=[0-9a-fA-F]+<([^>]*)>(?:\s+mtu\s+(\d+))?(?:\s+index\s+(\d+))?/;

function parseIpv4(words: string[]): IfconfigIpv4Address | null {
  const address = words[1];
  if (!address || familyOf(address) !== "inet") return null;
  const valueAfter = (key: string) => {
    const at = words.indexOf(key);
    return at === -1 ? null : (words[at + 1] ?? null);
  };
  const netmask = valueAfter("netmask");
  const peer = valueAfter("-->");
  return {
    address,
    prefix: netmask ? netmaskToPrefix(netmask) : null,
    broadcast: valueAfter("broadcast"),
    peer: peer && familyOf(peer) === "inet" ? peer : null,
  };
}

function parseIpv6(words: string[]): IfconfigIpv6Address | null {
  const raw = words[1];
  if (!raw || familyOf(raw) !== "inet6") return null;
  let prefix: number | null = null;
  const attributes: string[] = [];
  for (let i = 2; i < words.length; i++) {
    const word = words[i];
    if (word === "prefixlen" || word === "scopeid" || word === "-->") {
      if (word === "prefixlen" && /^\d{1,3}$/.test(words[i + 1] ?? "")) prefix = Number(words[i + 1]);
      i++;
    } else {
      attributes.push(word);
    }
  }
  return { address: stripZone(raw), prefix, attributes };
}

/** An interface known only by name: what a header line or another source fills in from. */
export function emptyIfconfigInterface(name: string): IfconfigInterface {
  return {
    name,
    flags: [],
    mtu: null,
    index: null,
    ether: null,
    ipv4: [],
    ipv6: [],
    status: null,
    type: null,
    agentDomains: [],
    members: [],
  };
}

/**
 * Parses `ifconfig -a` (also `ifconfig -v`, several single-interface outputs one after another, and pastes
 * indented with spaces). Lines before the first interface header and unknown lines are ignored, so truncated
 * output yields whatever interfaces it still holds.
 */
export function parseIfconfig(text: string): IfconfigInterface[] {
  const interfaces: IfconfigInterface[] = [];
  let current: IfconfigInterface | null = null;
  let headerIndent = 0;
  for (const line of text.split(/\r?\n/)) {
    const header = line.match(HEADER);
    const indent = line.length - line.trimStart().length;
    // A line no deeper than the headers that is not a header (a header this parser cannot read) starts a
    // block of its own: its addresses must never land on the interface before it.
    if (!header && current && line.trim() !== "" && indent <= headerIndent) current = null;
    if (header) {
      headerIndent = indent;
      current = {
        ...emptyIfconfigInterface(header[1]),
        flags: header[2] ? header[2].split(",") : [],
        mtu: header[3] ? Number(header[3]) : null,
        index: header[4] ? Number(header[4]) : null,
      };
      interfaces.push(current);
      continue;
    }
    if (!current) continue;
    const body = line.trim();
    const words = body.split(/\s+/);
    switch (words[0]) {
      case "ether":
        current.ether = normalizeMacAddress(words[1] ?? "");
        break;
      case "inet": {
        const address = parseIpv4(words);
        if (address) current.ipv4.push(address);
        break;
      }
      case "inet6": {
        const address = parseIpv6(words);
        if (address) current.ipv6.push(address);
        break;
      }
      case "status:":
        if (words[1] === "active" || words[1] === "inactive") current.status = words[1];
        break;
      case "type:":
        current.type = body.slice("type:".length).trim() || null;
        break;
      case "member:":
        if (/^[A-Za-z][A-Za-z0-9]*[0-9]$/.test(words[1] ?? "") && !current.members.includes(words[1])) {
          current.members.push(words[1]);
        }
        break;
      case "agent": {
        const domain = body.match(/^agent domain:(\S+)/);
        if (domain) current.agentDomains.push(domain[1]);
        break;
      }
    }
  }
  return interfaces;
}
