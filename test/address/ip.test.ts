import { describe, expect, it } from "vitest";
import {
  canonicalAddress,
  cidrContains,
  familyOf,
  ipv4Network,
  netmaskToPrefix,
  parseCidr,
  stripZone,
} from "../../src/address/ip";

describe("address helpers", () => {
  it("tells families apart and ignores zones", () => {
    expect(familyOf("192.168.1.1")).toBe("inet");
    expect(familyOf("fe80::1%en0")).toBe("inet6");
    expect(familyOf("utun4")).toBeNull();
    expect(stripZone("fe80::1%utun0")).toBe("fe80::1");
  });

  it("parses CIDRs and rejects bad prefixes", () => {
    expect(parseCidr("10.0.0.0/8")).toEqual({ family: "inet", address: "10.0.0.0", prefix: 8 });
    expect(parseCidr("2001:db8::1")).toEqual({ family: "inet6", address: "2001:db8::1", prefix: 128 });
    expect(parseCidr("10.0.0.0/33")).toBeNull();
    expect(parseCidr("fe80::1%en0")).toBeNull();
    expect(parseCidr("10.0.0.0/8/1")).toBeNull();
  });

  it("checks containment for IPv4 and IPv6", () => {
    expect(cidrContains(parseCidr("192.168.0.0/16")!, "192.168.44.9")).toBe(true);
    expect(cidrContains(parseCidr("192.168.0.0/16")!, "192.169.0.1")).toBe(false);
    expect(cidrContains(parseCidr("fe80::/10")!, "fe80::1c2a:5ff:fe3b:1%en0")).toBe(true);
    expect(cidrContains(parseCidr("fc00::/7")!, "fd7a:115c:a1e0::1")).toBe(true);
    expect(cidrContains(parseCidr("fc00::/7")!, "2001:db8::1")).toBe(false);
    expect(cidrContains(parseCidr("::ffff:0:0/96")!, "::ffff:10.0.0.1")).toBe(true);
    expect(cidrContains(parseCidr("10.0.0.0/8")!, "fe80::1")).toBe(false);
  });

  it("computes networks and netmask prefixes", () => {
    expect(ipv4Network("192.168.1.77", 24)).toBe("192.168.1.0");
    expect(ipv4Network("10.9.8.7", 0)).toBe("0.0.0.0");
    expect(netmaskToPrefix("0xffffff00")).toBe(24);
    expect(netmaskToPrefix("255.255.252.0")).toBe(22);
    expect(netmaskToPrefix("0xffffffff")).toBe(32);
    expect(netmaskToPrefix("255.0.255.0")).toBeNull();
  });
});

describe("canonicalAddress", () => {
  it.each([
    ["198.51.100.7", "198.51.100.7"],
    ["2001:DB8:0:0:0:0:0:7", "2001:db8::7"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["fe80:0:0:0:0:0:0:0", "fe80::"],
    ["2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"],
    ["2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"],
  ])("writes %s as %s (RFC 5952: the first longest run of two or more zero groups shortened)", (text, canonical) => {
    expect(canonicalAddress(text)).toBe(canonical);
  });

  it("has no text for what is not one address", () => {
    for (const text of ["vpn.example.com", "198.51.100.0/24", "fe80::1%en0", ""])
      expect(canonicalAddress(text)).toBeNull();
  });
});
