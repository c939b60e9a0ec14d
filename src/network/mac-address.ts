/**
 * Normalises a link-layer address to lower case with two hex digits per octet.
 * macOS drops leading zeros (`7c:10:c9:0:0:90`); comparisons and the network identity need one spelling.
 * Returns null for anything that is not six octets (`(incomplete)`, user-masked `88:1f:a1:xx:xx:xx`).
 */
export function normalizeMacAddress(text: string): string | null {
  const octets = text.trim().toLowerCase().split(":");
  if (octets.length !== 6 || !octets.every((octet) => /^[0-9a-f]{1,2}$/.test(octet))) return null;
  return octets.map((octet) => octet.padStart(2, "0")).join(":");
}
