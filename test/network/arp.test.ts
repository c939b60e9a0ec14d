import { describe, expect, it } from "vitest";
import { parseArpTable } from "../../src/network/arp";
import { readMacosFixture } from "./fixtures";

const fixture = (name: string) => parseArpTable(readMacosFixture("arp", name));

describe("parseArpTable", () => {
  it("reads host names, padded MACs, interfaces and permanent entries", () => {
    const entries = fixture("macos-10.14.6_jc_arp-a.txt");
    expect(entries).toHaveLength(12);
    expect(entries[1]).toEqual({
      hostname: "mbp.attlocal.net",
      ipv4: "192.168.1.74",
      mac: "f0:18:98:05:d8:39",
      interface: "en0",
      permanent: false,
    });
    expect(entries.find((entry) => entry.ipv4 === "192.168.1.222")).toMatchObject({ permanent: true });
    expect(entries.find((entry) => entry.ipv4 === "224.0.0.251")).toMatchObject({
      hostname: null,
      mac: "01:00:5e:00:00:fb",
    });
  });

  it("reads entries without `ifscope` and on other interfaces", () => {
    const entries = fixture("macos-10.14.6_jc_arp-a2.txt");
    expect(entries[0]).toEqual({
      hostname: null,
      ipv4: "169.254.81.142",
      mac: "60:93:17:3a:28:fc",
      interface: "en0",
      permanent: false,
    });
    expect(entries.find((entry) => entry.ipv4 === "192.168.1.254")?.mac).toBe("fc:ae:34:f1:3f:80");
    expect(entries.find((entry) => entry.ipv4 === "192.168.71.255")?.interface).toBe("vmnet8");
  });

  it("gives no MAC for incomplete or masked entries", () => {
    const entries = fixture("arp-a_macos-10.13_nmap1189_partially-masked_PARTIAL.txt");
    expect(entries.map((entry) => [entry.ipv4, entry.mac])).toEqual([
      ["192.168.1.0", "ff:ff:ff:ff:ff:ff"],
      ["192.168.1.1", null],
      ["192.168.1.2", null],
      ["192.168.1.3", null],
      ["192.168.1.4", null],
      ["192.168.1.5", null],
      ["192.168.1.6", null],
      ["192.168.1.7", null],
    ]);
    const devices = fixture("arp-a_local-devices10_PARTIAL.txt");
    expect(devices.map((entry) => entry.mac)).toEqual([
      null,
      "00:0c:29:04:37:a4",
      "00:0c:29:0b:c8:44",
      "00:0c:29:16:2d:86",
      "8c:85:90:e6:06:88",
    ]);
  });

  it("skips lines that are not entries", () => {
    expect(parseArpTable("")).toEqual([]);
    expect(parseArpTable("? (192.168.1.1) at 7c:10")).toEqual([]);
  });
});
