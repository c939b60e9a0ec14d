import { familyOf } from "../address/ip";

/**
 * The DHCP server of the lease from `ipconfig getpacket <if>`, which needs no root: its
 * `server_identifier (ip): 10.33.79.254` line. Null when the line is absent or holds no IPv4 address.
 */
export function parseDhcpServerIdentifier(text: string): string | null {
  for (const line of text.split(/\r?\n/)) {
    const match = line.match(/^server_identifier \(ip\): (\S+)\s*$/);
    if (match) return familyOf(match[1]) === "inet" ? match[1] : null;
  }
  return null;
}
