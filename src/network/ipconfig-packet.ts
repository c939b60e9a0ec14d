/** An IPv4 address as pfctl must read it: four decimal octets 0-255, no leading zeros (`010` is octal to some readers). */
export function isCanonicalDottedQuad(text: string): boolean {
  const octets = text.split(".");
  return octets.length === 4 && octets.every((octet) => /^(0|[1-9][0-9]{0,2})$/.test(octet) && Number(octet) <= 255);
}

/**
 * The DHCP server of the lease from `ipconfig getpacket <if>`, which needs no root. ipconfig prints the BOOTP
 * header (`sname`, `file` raw), then `options:`, `Options count is N` and one option a line, string options raw:
 * the server may write lines of its own into any of them. So the packet counts only when it has exactly one
 * `options:` line, followed at once by the count, and below it exactly one line starting `server_identifier`, which
 * is `server_identifier (ip): ADDRESS` with a canonical dotted quad. Else null. The root script's `dhcp_server`
 * reads it the same way (test/network/dhcp-packet-cases.ts holds the cases both are run on).
 */
export function parseDhcpServerIdentifier(text: string): string | null {
  const lines = text.split("\n").map((line) => line.replace(/[ \t\r]+$/, ""));
  const headers = lines.flatMap((line, index) => (line === "options:" ? [index] : []));
  if (headers.length !== 1 || !/^Options count is [0-9]+$/.test(lines[headers[0] + 1] ?? "")) return null;
  const named = lines
    .slice(headers[0] + 2)
    .filter((line) => line.replace(/^[ \t]+/, "").split(/[ \t]+/)[0] === "server_identifier");
  if (named.length !== 1) return null;
  const match = named[0].match(/^server_identifier \(ip\): ([0-9.]+)$/);
  return match && isCanonicalDottedQuad(match[1]) ? match[1] : null;
}
