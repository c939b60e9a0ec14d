import { describe, expect, it } from "vitest";
import { deriveNetworkState } from "../../src/network/derive";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { REAL_PACKET } from "./dhcp-packet-cases";
import { readMacosFixture } from "./fixtures";

const ifconfig = (name: string) => readMacosFixture("ifconfig", name);
const netstat = (name: string) => readMacosFixture("netstat", name);
const route = (name: string) => readMacosFixture("route", name);
const scutil = (name: string) => readMacosFixture("scutil", name);

const JC_IFCONFIG_VMNET = "macos-10.14.6_jc_ifconfig2_ap1_vmnet.txt";
const JC_NETSTAT = "macos-10.14.6_jc_netstat-rnl_no-vpn_utun-ipv6-defaults.txt";

describe("deriveNetworkState", () => {
  it("describes a Mac without VPN", () => {
    // Both outputs come from the same Mac (en0 192.168.1.221, vmnet1/8).
    const state = deriveNetworkState({ ifconfig: ifconfig(JC_IFCONFIG_VMNET), netstatRoutes: netstat(JC_NETSTAT) });
    // Inactive ports without an address (en1-en4, bridge0, ap1) are left out; en5 is active with a link-local address.
    expect(state.physical.map((entry) => entry.name)).toEqual(["en5", "en0", "vmnet1", "vmnet8"]);
    expect(state.physical.find((entry) => entry.name === "en0")).toEqual({
      name: "en0",
      ipv4: ["192.168.1.221"],
      ipv6: [
        "fe80::4dd:cbd7:2743:da63",
        "2600:1700:bab0:d40:1874:4566:6499:f3d1",
        "2600:1700:bab0:d40:30d4:c067:a56d:5888",
        "2600:1700:bab0:d40:342e:1ac7:8bdb:6c3d",
        "2600:1700:bab0:d40:fdd1:e943:edd4:5187",
        "2600:1700:bab0:d40::39",
      ],
      // One /64 for the five global addresses; link-local left out (passed as fe80::/10 where allowed).
      subnets: ["192.168.1.0/24", "2600:1700:bab0:d40::/64"],
    });
    expect(state.tunnels).toEqual([]);
    expect(state.peerToPeer).toEqual(["awdl0"]);
    expect(state.defaultInterface).toBe("en0");
    expect(state.vpnInterface).toBeNull();
    // No arp output: the MAC comes from the router's UHLWIir row.
    expect(state.gateway).toEqual({ ipv4: "192.168.1.254", mac: "fc:ae:34:a1:3a:80", interface: "en0" });
    expect(state.endpoints).toEqual([]);
    expect(state.identity).toEqual({
      id: "gw=192.168.1.254,mac=fc:ae:34:a1:3a:80,net=192.168.1.0/24",
      gatewayIpv4: "192.168.1.254",
      gatewayMac: "fc:ae:34:a1:3a:80",
      subnet: "192.168.1.0/24",
      label: null,
      security: null,
    });
    expect(state.undetermined).toEqual(["DNS resolvers unknown (scutil-dns.txt missing)"]);
  });

  it("prefers the ARP table for the gateway MAC", () => {
    const state = deriveNetworkState({
      ifconfig: ifconfig(JC_IFCONFIG_VMNET),
      netstatRoutes: netstat(JC_NETSTAT),
      arp: readMacosFixture("arp", "macos-10.14.6_jc_arp-a2.txt"),
    });
    expect(state.gateway?.mac).toBe("fc:ae:34:f1:3f:80");
  });

  it("keeps the Internet on en0 when an OpenVPN split tunnel routes only company subnets", () => {
    const state = deriveNetworkState({
      netstatRoutes: netstat("macos_jenkins-infra5209_netstat-rn_openvpn-split-utun4_PARTIAL.txt"),
    });
    expect(state.defaultInterface).toBe("en0");
    expect(state.vpnInterface).toBeNull();
    expect(state.gateway).toEqual({ ipv4: "192.168.68.1", mac: "a4:2b:b0:1d:2b:f4", interface: "en0" });
    expect(state.identity?.id).toBe("gw=192.168.68.1,mac=a4:2b:b0:1d:2b:f4,net=unknown");
    expect(state.undetermined).toContain("no interface list (ifconfig.txt missing)");
    expect(state.undetermined).toContain("subnet unknown (no address of en0 contains 192.168.68.1)");
  });

  it("keeps a link's DHCP server only when it is on one of the link's networks", () => {
    const server = (packet: string) =>
      deriveNetworkState({ ...SAMPLE_SNAPSHOT, ipconfigPackets: { en0: packet } }).physical[0].dhcpServer;
    expect(server(REAL_PACKET)).toBe("192.168.1.254");
    // A lease naming a server elsewhere (the real output of another network): renewals to it would leave the link.
    expect(server(readMacosFixture("ipconfig", "getpacket-en7_isc-dhcpd_linux-router-blog.txt"))).toBeUndefined();
    expect(server("")).toBeUndefined();
    expect(
      deriveNetworkState({ ...SAMPLE_SNAPSHOT, ipconfigPackets: undefined }).physical[0].dhcpServer,
    ).toBeUndefined();
  });

  it("lists the networks a split tunnel routes into it, not its own address nor the 0/1 + 128.0/1 split", () => {
    const routes = readMacosFixture("netstat", "macos_jenkins-infra5209_netstat-rn_openvpn-split-utun4_PARTIAL.txt");
    const ifconfig = `utun4: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1500\n\tinet 10.9.0.15 --> 10.9.0.15 netmask 0xffffff00\n`;
    const state = deriveNetworkState({ ifconfig, netstatRoutes: routes });
    expect(state.tunnelRoutes?.map((route) => route.network)).toEqual([
      "10.9.0.0/24",
      "10.244.0.0/14",
      "10.248.0.0/14",
      "10.253.0.0/21",
    ]);
    expect(state.tunnelRoutes?.every((route) => route.tunnel === "utun4")).toBe(true);
    // Without a tunnel with an address, no route is a tunnel's; without the table, nothing is known.
    expect(deriveNetworkState({ netstatRoutes: routes }).tunnelRoutes).toEqual([]);
    expect(deriveNetworkState({ ifconfig }).tunnelRoutes).toBeUndefined();
  });

  it("finds a full tunnel by its 0/1 + 128.0/1 routes, whichever source tells", () => {
    const full = deriveNetworkState(SAMPLE_SNAPSHOT);
    expect(full).toEqual({
      physical: [
        {
          name: "en0",
          ipv4: ["192.168.1.23"],
          ipv6: [
            "fe80::1c8b:4f2a:9d3e:71b5",
            "2001:db8:1a2b:10:1849:8e2:c3d1:5a07",
            "2001:db8:1a2b:10:9d4:6b11:e0c2:3f88",
          ],
          subnets: ["192.168.1.0/24", "2001:db8:1a2b:10::/64"],
          dhcpServer: "192.168.1.1",
        },
      ],
      tunnels: [{ name: "utun4", ipv4: ["10.8.0.2"], ipv6: [] }],
      peerToPeer: ["awdl0", "llw0"],
      defaultInterface: "utun4",
      vpnInterface: "utun4",
      gateway: { ipv4: "192.168.1.1", mac: "3c:a6:2f:08:1e:7b", interface: "en0" },
      endpoints: ["198.51.100.7"],
      // OpenVPN's UDP socket to it (netstat -anv): the protocol and port the server pass names.
      serverConnections: [{ address: "198.51.100.7", protocol: "udp", port: 1194 }],
      tunnelRoutes: [{ network: "10.8.0.0/24", tunnel: "utun4" }],
      dns: ["10.8.0.1"],
      resolverInterfaces: expect.arrayContaining([{ domain: null, interface: "utun4" }]),
      identity: {
        id: "gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24",
        gatewayIpv4: "192.168.1.1",
        gatewayMac: "3c:a6:2f:08:1e:7b",
        subnet: "192.168.1.0/24",
        label: "Example Home",
        security: "WPA2_PSK",
      },
      undetermined: [],
      // The Thunderbolt Bridge of the built-in ports: nothing of this Mac's passes between them.
      bridges: [{ name: "bridge0", members: ["en1", "en2"], thunderbolt: true }],
    });

    // Without `route -n get 1.1.1.1` the split routes in netstat still beat the unscoped default on en0.
    const fromTable = deriveNetworkState({ ...SAMPLE_SNAPSHOT, routeGetInternet: undefined });
    expect(fromTable.defaultInterface).toBe("utun4");
    expect(fromTable.undetermined).toEqual([]);

    // `route -n get default` alone names en0: kept as a last resort, with a warning.
    const misleading = deriveNetworkState({
      ...SAMPLE_SNAPSHOT,
      routeGetInternet: undefined,
      netstatRoutes: undefined,
    });
    expect(misleading.defaultInterface).toBe("en0");
    expect(misleading.vpnInterface).toBeNull();
    expect(misleading.undetermined).toContain(
      "default interface taken from route -n get default, which does not see split-tunnel routes",
    );
  });

  it("follows the table's routes to the Internet over `route -n get 1.1.1.1`, one address's route", () => {
    const state = deriveNetworkState({
      ...SAMPLE_SNAPSHOT,
      routeGetInternet: route("macos_student-tp_route-n-get-default.txt"),
    });
    expect(state.defaultInterface).toBe("utun4");
    expect(state.vpnInterface).toBe("utun4");
    // Nor does it name the gateway: the table's default does.
    expect(state.gateway?.ipv4).toBe("192.168.1.1");
  });

  it("leaves the default interface unknown when a 0/1 row was cut before its interface column", () => {
    const state = deriveNetworkState({
      netstatRoutes: netstat("macos_xhyve84_netstat-rn_cisco-vpn_0-1_FIRST-LINES-ONLY.txt"),
    });
    expect(state.defaultInterface).toBeNull();
    expect(state.undetermined).toContain("default interface unknown (no route to 1.1.1.1, no split or default route)");
  });

  it("reads an IKEv2 VPN on ipsec0 whose default route has no gateway", () => {
    const text = route("macos_killswitch19_route-get-0.0.0.0_ipsec0-default_no-gateway.txt");
    // What shows the VPN behind ipsec0: macOS's IKEv2 client owns its UDP socket to the server (port 4500).
    const netstatSockets = (SAMPLE_SNAPSHOT.netstatSockets ?? "")
      .replace("198.51.100.7.1194", "198.51.100.7.4500")
      .replace("     openvpn:611", "NEIKEv2Provider:611");
    const state = deriveNetworkState({ routeGetInternet: text, netstatSockets });
    expect(state.defaultInterface).toBe("ipsec0");
    expect(state.vpnInterface).toBe("ipsec0");
    expect(state.gateway).toBeNull();
    expect(state.identity).toBeNull();
    expect(state.undetermined).toContain("physical gateway unknown (no IPv4 default route on a physical interface)");
    expect(state.undetermined).toContain(
      "VPN server address unknown (no VPN program's connection, host route or scutil --nwi names one)",
    );

    const fromDefault = deriveNetworkState({ routeGetDefault: text, netstatSockets });
    expect(fromDefault.vpnInterface).toBe("ipsec0");
    // Without it, ipsec0 may be any program's.
    expect(deriveNetworkState({ routeGetInternet: text }).vpnInterface).toBeNull();
  });

  it("lists two physical interfaces from scutil --nwi when ifconfig is missing", () => {
    const state = deriveNetworkState({ scutilNwi: scutil("scutil-nwi_marslo_two-physical-en8-en0.txt") });
    expect(state.physical).toEqual([
      // scutil --nwi gives no prefix: the attached subnets are unknown, so no local network passes there.
      { name: "en8", ipv4: ["10.1.1.1"], ipv6: [], subnets: [] },
      { name: "en0", ipv4: ["192.168.6.55"], ipv6: [], subnets: [] },
    ]);
    expect(state.defaultInterface).toBe("en8");
    expect(state.undetermined).toContain(
      "default interface taken from scutil --nwi, which does not see split-tunnel routes",
    );
  });

  it("takes a tunnel and its addresses from scutil --nwi when ifconfig is missing", () => {
    const state = deriveNetworkState({ scutilNwi: scutil("scutil-nwi_on-vpn_utun2_split-tunnel.txt") });
    expect(state.tunnels).toEqual([{ name: "utun2", ipv4: ["172.31.250.118"], ipv6: ["2001:db8::b"] }]);
    // The split tunnel leaves en0 primary.
    expect(state.defaultInterface).toBe("en0");
    expect(state.vpnInterface).toBeNull();
  });

  it("takes a VPN server candidate from scutil --nwi, never a proved server, and drops placeholders", () => {
    const nwi = scutil("scutil-nwi_on-vpn_utun2_split-tunnel.txt");
    const withServer = (address: string) =>
      nwi.replace(
        "           address    : 172.31.250.118\n",
        `           address    : 172.31.250.118\n           VPN server : ${address}\n`,
      );
    const named = deriveNetworkState({ scutilNwi: withServer("203.0.113.9") });
    expect(named.endpoints).toEqual([]);
    expect(named.serverCandidates).toEqual([{ address: "203.0.113.9", seenIn: ["nwi"], connections: [] }]);
    expect(deriveNetworkState({ scutilNwi: withServer("127.0.0.1") }).serverCandidates).toBeUndefined();
    expect(deriveNetworkState({ scutilNwi: withServer("254.0.0.1") }).serverCandidates).toBeUndefined();
  });

  it("does not count macOS's own link-local utuns as tunnels", () => {
    const tunnelsOf = (name: string) => deriveNetworkState({ ifconfig: ifconfig(name) }).tunnels;
    expect(tunnelsOf("macos-10.14.6_jc_ifconfig_utun0-4_awdl0_bridge0.txt")).toEqual([]);
    expect(tunnelsOf("macos-tunnelblick340_ifconfig-a_utun0-2_before-connect.txt")).toEqual([]);
    expect(tunnelsOf("macos-1x_ifconfig-v_iproute2mac56_utun0-rapport_utun1_PARTIAL.txt")).toEqual([]);
    expect(tunnelsOf("macos-1x_ifconfig-v_iproute2mac56_utun3-5-ids_PARTIAL.txt")).toEqual([]);
    expect(tunnelsOf("macos-sierra-era_killswitch19_ifconfig-en2-utun1-utun0.txt")).toEqual([
      { name: "utun1", ipv4: ["172.21.22.110"], ipv6: [] },
    ]);
    // Tailscale's ULA (fd7a:...) is not link-local.
    expect(tunnelsOf("macos-tailscale_utun4_jc581_user-anonymized.txt")).toEqual([
      { name: "utun4", ipv4: ["100.11.11.11"], ipv6: ["fe80::ab:cd:ef:12", "fd7a:ab:cd::ef:12"] },
    ]);
  });

  it("notes a VPN service that reports Connected while no tunnel is up", () => {
    const ncList = scutil("scutil-nc-list_macos-26.5_tailscale19776.txt");
    const down = deriveNetworkState({
      ifconfig: ifconfig("macos-10.14.6_jc_ifconfig_utun0-4_awdl0_bridge0.txt"),
      scutilNcList: ncList,
    });
    expect(down.undetermined).toContain(
      'VPN service "Tailscale" reports Connected, but no tunnel with an address was found',
    );
    const up = deriveNetworkState({
      ifconfig: ifconfig("macos-tailscale_utun4_jc581_user-anonymized.txt"),
      scutilNcList: ncList,
    });
    expect(up.undetermined.some((note) => note.startsWith("VPN service"))).toBe(false);
    const disconnected = deriveNetworkState({ scutilNcList: scutil("scutil-nc-list_alfred19_l2tp.txt") });
    expect(disconnected.undetermined.some((note) => note.startsWith("VPN service"))).toBe(false);
  });

  it("lists awdl0 and llw0 as peer-to-peer and leaves inactive, address-less ports out", () => {
    const state = deriveNetworkState({ ifconfig: ifconfig("macos_tunnelblick601_ifconfig_awdl0_llw0_PARTIAL.txt") });
    expect(state.peerToPeer).toEqual(["awdl0", "llw0"]);
    expect(state.physical).toEqual([]);
  });

  it("takes resolver #1 first, drops values that are no address, and falls back to the scoped section", () => {
    const dnsOf = (text: string) => deriveNetworkState({ scutilDns: text }).dns;
    expect(dnsOf(scutil("scutil-dns_tunnelblick589_after-changes_en0_PARTIAL.txt"))).toEqual([
      "10.5.3.211",
      "10.5.3.210",
    ]);
    // Resolver #1 shows the poster's `<dns1>`/`<dns2>` placeholders; #2 is real.
    expect(dnsOf(scutil("scutil-dns_macos-10.15.4_openfortivpn534_ppp0-supplemental_user-elided.txt"))).toEqual([
      "10.0.2.1",
    ]);
    const scopedOnly = "DNS configuration (for scoped queries)\n\nresolver #1\n  nameserver[0] : fe80::1%en0\n";
    expect(dnsOf(scopedOnly)).toEqual(["fe80::1"]);
    expect(deriveNetworkState({ scutilDns: "DNS configuration\n" }).undetermined).toContain(
      "no DNS resolver listed by scutil --dns",
    );
  });

  it("notes a redacted Wi-Fi name", () => {
    const state = deriveNetworkState({
      ...SAMPLE_SNAPSHOT,
      ipconfigSummaries: {
        en0: readMacosFixture("ipconfig", "getsummary-en0_macos-15.6_SSID-redacted_dracula-tmux358_TAIL-ONLY.txt"),
      },
    });
    expect(state.identity?.label).toBeNull();
    expect(state.undetermined).toEqual(["Wi-Fi name hidden by macOS (<redacted>)"]);
  });

  it("records what is missing instead of throwing on empty input", () => {
    const state = deriveNetworkState({});
    expect(state).toMatchObject({
      physical: [],
      tunnels: [],
      defaultInterface: null,
      gateway: null,
      identity: null,
      dns: [],
    });
    expect(state.undetermined).toEqual([
      "no interface list (ifconfig.txt missing)",
      "no route table (netstat-rn.txt missing)",
      "default interface unknown (no route to 1.1.1.1, no split or default route)",
      "physical gateway unknown (no IPv4 default route on a physical interface)",
      "DNS resolvers unknown (scutil-dns.txt missing)",
    ]);
    const blank = deriveNetworkState({ ifconfig: "", netstatRoutes: "", scutilDns: "", arp: "" });
    expect(blank.undetermined).toContain("no interfaces in the ifconfig output");
    expect(blank.undetermined).toContain("default interface unknown (no route to 1.1.1.1, no split or default route)");
  });

  it("never throws on any output cut short, and notes what it could not tell", () => {
    const fields = Object.keys(SAMPLE_SNAPSHOT) as (keyof NetworkSnapshot)[];
    for (const fraction of [0, 0.1, 0.33, 0.5, 0.77, 0.95]) {
      const cut = (text: string) => text.slice(0, Math.floor(text.length * fraction));
      const snapshot: NetworkSnapshot = {};
      for (const field of fields) {
        if (field === "ipconfigSummaries" || field === "ipconfigPackets")
          snapshot[field] = { en0: cut(SAMPLE_SNAPSHOT[field]?.en0 ?? "") };
        else snapshot[field] = cut(SAMPLE_SNAPSHOT[field] ?? "");
      }
      const state = deriveNetworkState(snapshot);
      if (fraction < 0.5) expect(state.undetermined.length).toBeGreaterThan(0);
      expect(Array.isArray(state.physical)).toBe(true);
    }
  });
});
