import { describe, expect, it } from "vitest";
import { type NetstatRoute, parseNetstatRoutes } from "../../src/network/netstat";
import { readMacosFixture } from "./fixtures";

const fixture = (name: string) => parseNetstatRoutes(readMacosFixture("netstat", name));
const find = (routes: NetstatRoute[], destination: string) => routes.find((route) => route.destination === destination);

describe("parseNetstatRoutes", () => {
  it("reads `netstat -rnl` (Refs/Use/Mtu columns) in both families", () => {
    const { ipv4, ipv6 } = fixture("macos-10.14.6_jc_netstat-rnl_no-vpn_utun-ipv6-defaults.txt");
    expect(ipv4).toHaveLength(30);
    expect(ipv6).toHaveLength(59);
    expect(ipv4[0]).toEqual({
      family: "inet",
      destination: "default",
      network: { family: "inet", address: "0.0.0.0", prefix: 0 },
      zone: null,
      gateway: { kind: "address", address: "192.168.1.254" },
      flags: "UGSc",
      netif: "en0",
      expire: null,
    });
    expect(find(ipv4, "127")?.network).toEqual({ family: "inet", address: "127.0.0.0", prefix: 8 });
    expect(find(ipv4, "169.254")).toMatchObject({
      network: { address: "169.254.0.0", prefix: 16 },
      gateway: { kind: "link", index: 10 },
      expire: "!",
    });
    expect(find(ipv4, "192.168.1")?.network).toMatchObject({ address: "192.168.1.0", prefix: 24 });
    expect(find(ipv4, "224.0.0/4")?.network).toMatchObject({ address: "224.0.0.0", prefix: 4 });
    expect(find(ipv4, "192.168.1.221/32")?.network).toMatchObject({ address: "192.168.1.221", prefix: 32 });
    expect(find(ipv4, "192.168.1.254")).toMatchObject({
      network: { address: "192.168.1.254", prefix: 32 },
      gateway: { kind: "mac", mac: "fc:ae:34:a1:3a:80" },
      flags: "UHLWIir",
      netif: "en0",
      expire: "1200",
    });
    expect(find(ipv4, "192.168.1.72")?.gateway).toEqual({ kind: "mac", mac: "f0:18:98:03:d8:39" });
    expect(find(ipv4, "192.168.71")?.netif).toBe("vmnet8");

    const defaults = ipv6.filter((route) => route.destination === "default");
    expect(defaults.map((route) => [route.gateway, route.flags, route.netif])).toEqual([
      [{ kind: "address", address: "fe80::feae:34ff:fea1:3a80" }, "UGc", "en0"],
      [{ kind: "address", address: "fe80::" }, "UGcI", "utun0"],
      [{ kind: "address", address: "fe80::" }, "UGcI", "utun1"],
      [{ kind: "address", address: "fe80::" }, "UGcI", "utun2"],
      [{ kind: "address", address: "fe80::" }, "UGcI", "utun3"],
    ]);
    expect(find(ipv6, "fe80::%utun0/64")).toMatchObject({
      network: { family: "inet6", address: "fe80::", prefix: 64 },
      zone: "utun0",
    });
    expect(find(ipv6, "2600:1700:bab0:d40::/64")?.network?.prefix).toBe(64);
    expect(find(ipv6, "::1")?.network).toEqual({ family: "inet6", address: "::1", prefix: 128 });
  });

  it("expands shortened destinations of an OpenVPN split tunnel", () => {
    const { ipv4, ipv6 } = fixture("macos_jenkins-infra5209_netstat-rn_openvpn-split-utun4_PARTIAL.txt");
    expect(ipv6).toEqual([]);
    expect(find(ipv4, "default")).toMatchObject({ flags: "UGScg", netif: "en0" });
    expect(find(ipv4, "10.9/24")).toMatchObject({
      network: { address: "10.9.0.0", prefix: 24 },
      gateway: { kind: "address", address: "10.9.0.15" },
      netif: "utun4",
    });
    expect(find(ipv4, "10.244/14")?.network).toMatchObject({ address: "10.244.0.0", prefix: 14 });
    expect(find(ipv4, "10.253/21")?.network).toMatchObject({ address: "10.253.0.0", prefix: 21 });
    expect(find(ipv4, "10.9.0.15")?.network).toMatchObject({ address: "10.9.0.15", prefix: 32 });
    expect(find(ipv4, "192.168.68.1")?.gateway).toEqual({ kind: "mac", mac: "a4:2b:b0:1d:2b:f4" });
    expect(find(ipv4, "192.168.68.101")?.gateway).toEqual({ kind: "mac", mac: "ca:e9:fb:a3:0d:0f" });
  });

  it("reads a table without the blank line after the title, and pads MAC octets", () => {
    const { ipv4 } = fixture("macos_ivpn444_netstat-nr_no-vpn_gateway-mac_PARTIAL.txt");
    expect(ipv4).toHaveLength(17);
    expect(find(ipv4, "192.168.1.1")).toMatchObject({
      gateway: { kind: "mac", mac: "7c:10:c9:00:00:90" },
      flags: "UHLWIir",
      expire: "1196",
    });
    expect(find(ipv4, "192.168.1.34")?.gateway).toEqual({ kind: "link", index: 14 });
    expect(find(ipv4, "192.168.1.12")?.netif).toBe("lo0");
  });

  it("reads an IPv6-only table with macOS's scoped utun defaults", () => {
    const { ipv4, ipv6 } = fixture("macos_teleport66851_netstat-rn-f-inet6_system-utun0-3-defaults_PARTIAL.txt");
    expect(ipv4).toEqual([]);
    expect(ipv6.filter((route) => route.destination === "default").map((route) => [route.flags, route.netif])).toEqual([
      ["UGcIg", "utun0"],
      ["UGcIg", "utun1"],
      ["UGcIg", "utun2"],
      ["UGcIg", "utun3"],
    ]);
    expect(find(ipv6, "fd6f:74a0:9a49::/64")).toMatchObject({
      gateway: { kind: "address", address: "fe80::2e0:4cff:fe3c:b817" },
      netif: "utun5",
    });
  });

  it("keeps a row cut before its interface column", () => {
    const { ipv4 } = fixture("macos_xhyve84_netstat-rn_cisco-vpn_0-1_FIRST-LINES-ONLY.txt");
    expect(ipv4).toEqual([
      {
        family: "inet",
        destination: "0/1",
        network: { family: "inet", address: "0.0.0.0", prefix: 1 },
        zone: null,
        gateway: { kind: "address", address: "10.33.0.1" },
        flags: "UGSc",
        netif: null,
        expire: null,
      },
    ]);
  });

  it("reads `netstat -r` with host names, leaving the names unexpanded", () => {
    const { ipv4, ipv6 } = fixture("macos-10.14.6_jc_netstat-r_names.txt");
    expect(find(ipv4, "default")).toMatchObject({
      gateway: { kind: "name", name: "dsldevice.attlocal" },
      netif: "en0",
    });
    expect(find(ipv4, "dsldevice.attlocal")).toMatchObject({
      network: null,
      gateway: { kind: "mac", mac: "fc:ae:34:a1:3a:80" },
      flags: "UHLWIir",
    });
    expect(find(ipv4, "192.168.1.254/32")?.network).toMatchObject({ address: "192.168.1.254", prefix: 32 });
    expect(find(ipv6, "kbrazil-mac.local")).toMatchObject({ network: null, netif: "lo0" });
    expect(find(ipv6, "2600:1700:bab0:d40")?.network).toBeNull();
  });

  it("never throws on cut or empty output", () => {
    const text = readMacosFixture("netstat", "macos-10.14.6_jc_netstat-rnl_no-vpn_utun-ipv6-defaults.txt");
    for (let cut = 0; cut <= text.length; cut += 53) {
      const routes = parseNetstatRoutes(text.slice(0, cut));
      expect(routes.ipv4.every((route) => route.family === "inet")).toBe(true);
    }
    expect(parseNetstatRoutes("")).toEqual({ ipv4: [], ipv6: [] });
  });
});
