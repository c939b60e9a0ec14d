import { describe, expect, it } from "vitest";
import { parseDhcpServerIdentifier } from "../../src/network/ipconfig-packet";
import { readMacosFixture } from "./fixtures";

describe("parseDhcpServerIdentifier", () => {
  it("reads the lease's server from real `ipconfig getpacket` output", () => {
    const text = readMacosFixture("ipconfig", "getpacket-en0_server_identifier-GREP-ONLY_student-tp.txt");
    expect(parseDhcpServerIdentifier(text)).toBe("10.33.79.254");
  });

  it("gives null for no lease, a damaged line or something that is not IPv4", () => {
    expect(parseDhcpServerIdentifier("")).toBeNull();
    expect(parseDhcpServerIdentifier("server_identifier (ip): 10.33.79")).toBeNull();
    expect(parseDhcpServerIdentifier("server_identifier (ip): fe80::1")).toBeNull();
    expect(parseDhcpServerIdentifier("domain_name_server (ip_mult): {8.8.8.8, 1.1.1.1}")).toBeNull();
  });
});
