import { familyOf } from "../address/ip";
import { normalizeMacAddress } from "./mac-address";

export interface ArpEntry {
  /** Null with `-n` (printed as `?`). */
  hostname: string | null;
  ipv4: string;
  /** Normalised; null when `(incomplete)` or not a MAC address (e.g. masked by hand). */
  mac: string | null;
  interface: string | null;
  permanent: boolean;
}

const ENTRY = /^\s*(\S+) \(([^)]+)\) at (\(incomplete\)|\S+) on (\S+)(.*)$/;

/** Parses `arp -an` (and `arp -a`, which adds host names). Lines that do not fit are skipped. */
export function parseArpTable(text: string): ArpEntry[] {
  const entries: ArpEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = line.match(ENTRY);
    if (!match || familyOf(match[2]) !== "inet") continue;
    const [, hostname, ipv4, linkAddress, netif, rest] = match;
    entries.push({
      hostname: hostname === "?" ? null : hostname,
      ipv4,
      mac: normalizeMacAddress(linkAddress),
      interface: netif,
      permanent: /\bpermanent\b/.test(rest),
    });
  }
  return entries;
}
