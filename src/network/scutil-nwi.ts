export interface NwiInterfaceState {
  name: string;
  /** `IPv4`, `IPv6`, `DNS`, ... from `flags : 0x5 (IPv4,DNS)`. */
  flags: string[];
  /** Absent in the older layout. */
  address: string | null;
  /** `VPN server : A`, printed only when the interface reports one. */
  vpnServer: string | null;
}

export interface ScutilNwi {
  /** In rank order: the primary interface first. */
  ipv4: NwiInterfaceState[];
  ipv6: NwiInterfaceState[];
  /** The `Network interfaces:` line. */
  interfaceNames: string[];
}

// Newer layout `en0 : flags      : 0x5 (IPv4,DNS)`; older `en0 : flags 0x5 (IPv4,DNS)`.
const INTERFACE = /^\s*([A-Za-z][A-Za-z0-9]*) : flags\s*:?\s*0x[0-9a-fA-F]+\s*\(([^)]*)\)/;
const FIELD = /^\s+(address|VPN server)\s*:?\s+(\S+)\s*$/;

/** Parses `scutil --nwi` (configd's network_state_information_logging.h layout and its older form). */
export function parseScutilNwi(text: string): ScutilNwi {
  const result: ScutilNwi = { ipv4: [], ipv6: [], interfaceNames: [] };
  let section: NwiInterfaceState[] | null = null;
  let current: NwiInterfaceState | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*IPv4 network interface information/.test(line)) {
      section = result.ipv4;
      current = null;
      continue;
    }
    if (/^\s*IPv6 network interface information/.test(line)) {
      section = result.ipv6;
      current = null;
      continue;
    }
    const names = line.match(/^\s*Network interfaces:\s*(.*)$/);
    if (names) {
      result.interfaceNames = names[1].split(/\s+/).filter(Boolean);
      section = null;
      current = null;
      continue;
    }
    const header = line.match(INTERFACE);
    // A header it cannot read ends the block before it: its address never lands on the interface before it.
    if (!header && / : flags\b/.test(line)) {
      current = null;
      continue;
    }
    if (header) {
      current = null;
      // `REACH : flags 0x...` summarises the section; it is no interface.
      if (header[1] === "REACH" || !section) continue;
      current = { name: header[1], flags: header[2].split(",").filter(Boolean), address: null, vpnServer: null };
      section.push(current);
      continue;
    }
    const field = current && line.match(FIELD);
    if (current && field) {
      if (field[1] === "address") current.address = field[2];
      else current.vpnServer = field[2];
    }
  }
  return result;
}
