import { describe, expect, it } from "vitest";
import { parseScutilDns } from "../../src/network/scutil-dns";
import { parseScutilNcList } from "../../src/network/scutil-nc";
import { parseScutilNwi } from "../../src/network/scutil-nwi";
import { readMacosFixture } from "./fixtures";

const fixture = (name: string) => readMacosFixture("scutil", name);

describe("parseScutilNwi", () => {
  it("never moves the address of a header it cannot read onto the interface before it", () => {
    const text = fixture("scutil-nwi_marslo_two-physical-en8-en0.txt").replace("     en0 : flags", "     en 0 : flags");
    expect(parseScutilNwi(text).ipv4).toEqual([
      { name: "en8", flags: ["IPv4", "DNS"], address: "10.1.1.1", vpnServer: null },
    ]);
  });

  it("reads two physical interfaces in rank order", () => {
    expect(parseScutilNwi(fixture("scutil-nwi_marslo_two-physical-en8-en0.txt"))).toEqual({
      ipv4: [
        { name: "en8", flags: ["IPv4", "DNS"], address: "10.1.1.1", vpnServer: null },
        { name: "en0", flags: ["IPv4", "DNS"], address: "192.168.6.55", vpnServer: null },
      ],
      ipv6: [],
      interfaceNames: ["en8", "en0"],
    });
  });

  it("reads a tunnel in both families while the VPN is on, and only en0 when off", () => {
    const on = parseScutilNwi(fixture("scutil-nwi_on-vpn_utun2_split-tunnel.txt"));
    expect(on.ipv4.map((state) => [state.name, state.address])).toEqual([
      ["en0", "192.168.13.10"],
      ["utun2", "172.31.250.118"],
    ]);
    expect(on.ipv6).toEqual([
      { name: "utun2", flags: ["IPv4", "IPv6", "DNS"], address: "2001:db8::b", vpnServer: null },
    ]);
    expect(on.interfaceNames).toEqual(["en0", "utun2"]);

    const off = parseScutilNwi(fixture("scutil-nwi_off-vpn_en0.txt"));
    expect(off.ipv4.map((state) => state.name)).toEqual(["en0"]);
    expect(off.ipv6).toEqual([]);
  });

  it("reads the older layout, which has no address lines", () => {
    expect(parseScutilNwi(fixture("scutil-nwi_2015_net-creds6_en0-only_PARTIAL.txt"))).toEqual({
      ipv4: [{ name: "en0", flags: ["IPv4", "DNS"], address: null, vpnServer: null }],
      ipv6: [],
      interfaceNames: [],
    });
  });

  it("reads the `VPN server` line", () => {
    // configd prints it between address and reach ("           VPN server : %s") when the interface has one.
    const text = fixture("scutil-nwi_on-vpn_utun2_split-tunnel.txt").replace(
      "           address    : 172.31.250.118\n",
      "           address    : 172.31.250.118\n           VPN server : 203.0.113.9\n",
    );
    expect(parseScutilNwi(text).ipv4[1]).toMatchObject({ name: "utun2", vpnServer: "203.0.113.9" });
  });

  it("gives nothing for empty output", () => {
    expect(parseScutilNwi("")).toEqual({ ipv4: [], ipv6: [], interfaceNames: [] });
  });
});

describe("parseScutilDns", () => {
  it("never moves the name servers of a header it cannot read onto the resolver before it", () => {
    const file = "scutil-dns_macos-10.15.4_openfortivpn534_ppp0-supplemental_user-elided.txt";
    const text = fixture(file).replace("resolver #2", "resolver 2");
    const [first, ...rest] = parseScutilDns(text).resolvers;
    expect(first.nameservers).toEqual(["<dns1>", "<dns2>"]);
    expect(first.interfaceName).toBe("ppp0");
    expect(rest.map((resolver) => resolver.number)).not.toContain(2);
  });

  it("reads a supplemental resolver on ppp0, the default resolver and the scoped section", () => {
    const dns = parseScutilDns(fixture("scutil-dns_macos-10.15.4_openfortivpn534_ppp0-supplemental_user-elided.txt"));
    expect(dns.resolvers).toEqual([
      {
        number: 1,
        domain: null,
        searchDomains: ["home-domain"],
        nameservers: ["<dns1>", "<dns2>"],
        interfaceIndex: 16,
        interfaceName: "ppp0",
        flags: ["Supplemental", "Request A records"],
        options: null,
        order: 100000,
      },
      {
        number: 2,
        domain: null,
        searchDomains: [],
        nameservers: ["10.0.2.1"],
        interfaceIndex: 4,
        interfaceName: "en0",
        flags: ["Request A records"],
        options: null,
        order: 200000,
      },
    ]);
    expect(dns.scopedResolvers).toHaveLength(1);
    expect(dns.scopedResolvers[0]).toMatchObject({ nameservers: ["10.0.2.1"], interfaceName: "en0" });
  });

  it("reads the mDNS resolvers that follow resolver #1", () => {
    const dns = parseScutilDns(fixture("scutil-dns_tunnelblick589_after-changes_en0_PARTIAL.txt"));
    expect(dns.resolvers.map((resolver) => resolver.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(dns.resolvers[0]).toMatchObject({
      searchDomains: ["mcvts.org"],
      nameservers: ["10.5.3.211", "10.5.3.210"],
      interfaceIndex: 10,
      interfaceName: "en0",
    });
    expect(dns.resolvers[1]).toMatchObject({ domain: "local", options: "mdns", nameservers: [], order: 300000 });
    expect(dns.scopedResolvers).toEqual([expect.objectContaining({ number: 1, searchDomains: ["mcvts.org"] })]);
  });
});

describe("parseScutilNcList", () => {
  it("reads an L2TP service", () => {
    expect(parseScutilNcList(fixture("scutil-nc-list_alfred19_l2tp.txt"))).toEqual([
      {
        enabled: true,
        status: "Disconnected",
        serviceId: "E3A8F336-CCEB-4A29-B50A-FBAD41D84A71",
        interfaceDisplayName: "PPP --> L2TP",
        name: "My VPN",
        type: "PPP",
        subtype: "L2TP",
      },
    ]);
  });

  it("reads a connected VPN app service", () => {
    expect(parseScutilNcList(fixture("scutil-nc-list_macos-26.5_tailscale19776.txt"))).toEqual([
      {
        enabled: true,
        status: "Connected",
        serviceId: "[uuid here]",
        interfaceDisplayName: "VPN (io.tailscale.ipn.macsys)",
        name: "Tailscale",
        type: "VPN",
        subtype: "io.tailscale.ipn.macsys",
      },
    ]);
  });

  it("reads a PPTP service and ignores the header", () => {
    expect(parseScutilNcList(fixture("scutil-nc-list_security-growler24_pptp_user-elided.txt"))).toEqual([
      expect.objectContaining({ status: "Disconnected", serviceId: "A2......CC", name: "myVPName", subtype: "PPTP" }),
    ]);
    expect(parseScutilNcList("Available network connection services in the current set (*=enabled):\n")).toEqual([]);
  });
});
