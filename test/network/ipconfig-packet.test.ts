import { describe, expect, it } from "vitest";
import { isCanonicalDottedQuad, parseDhcpServerIdentifier } from "../../src/network/ipconfig-packet";
import { DHCP_PACKET_CASES } from "./dhcp-packet-cases";

describe("parseDhcpServerIdentifier", () => {
  it.each(DHCP_PACKET_CASES)("reads $name as $reads", ({ packet, reads }) => {
    expect(parseDhcpServerIdentifier(packet)).toBe(reads);
  });
});

describe("isCanonicalDottedQuad", () => {
  it("takes four decimal octets 0-255 without leading zeros, nothing else", () => {
    expect(["0.0.0.0", "10.33.79.254", "255.255.255.255"].every(isCanonicalDottedQuad)).toBe(true);
    for (const text of [
      "010.0.0.1",
      "1.2.3.256",
      "1.2.3",
      "1.2.3.4.5",
      "1.2.3.",
      "+1.2.3.4",
      "1.2.3.4 ",
      "0x1.2.3.4",
    ]) {
      expect(isCanonicalDottedQuad(text), text).toBe(false);
    }
  });
});
