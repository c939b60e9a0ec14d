import { describe, expect, it } from "vitest";
import { parseIfconfig } from "../../src/network/ifconfig";
import { interfaceKind } from "../../src/network/interface-kind";
import { readMacosFixture } from "./fixtures";

const fixture = (name: string) => readMacosFixture("ifconfig", name);
const byName = (text: string, name: string) => parseIfconfig(text).find((entry) => entry.name === name);

describe("parseIfconfig", () => {
  it("never moves the addresses of a header it cannot read onto the interface before it", () => {
    const text = fixture("macos-10.14.6_jc_ifconfig_utun0-4_awdl0_bridge0.txt");
    const broken = text.replace(/^utun3: flags=/m, "utun 3 flags=");
    expect(broken).not.toBe(text);
    const before = byName(text, "utun2");
    expect(byName(broken, "utun2")).toEqual(before);
    expect(byName(broken, "utun3")).toBeUndefined();
    // Indented as a whole (a paste), the same holds.
    const indented = broken.replace(/^/gm, "    ");
    expect(byName(indented, "utun2")).toEqual(before);
  });

  it("reads every interface of a full `ifconfig -a` with its addresses", () => {
    const text = fixture("macos-10.14.6_jc_ifconfig_utun0-4_awdl0_bridge0.txt");
    expect(parseIfconfig(text).map((entry) => entry.name)).toEqual([
      "lo0",
      "gif0",
      "stf0",
      "XHC1",
      "XHC0",
      "XHC20",
      "en5",
      "en0",
      "p2p0",
      "awdl0",
      "en1",
      "en2",
      "en3",
      "en4",
      "bridge0",
      "utun0",
      "utun1",
      "utun2",
      "utun3",
      "utun4",
    ]);
    const en0 = byName(text, "en0");
    expect(en0).toMatchObject({
      flags: ["UP", "BROADCAST", "SMART", "RUNNING", "SIMPLEX", "MULTICAST"],
      mtu: 1500,
      ether: "f0:18:98:03:d9:30",
      status: "active",
      ipv4: [{ address: "192.168.1.72", prefix: 24, broadcast: "192.168.1.255", peer: null }],
    });
    expect(en0?.ipv6.map((address) => address.address)).toEqual([
      "fe80::8b7:1281:7499:b504",
      "2600:1700:bab0:d40:bb:9ad:34c5:2e9a",
      "2600:1700:bab0:d40:4573:9380:5ecb:ef52",
      "2600:1700:bab0:d40::24",
    ]);
    expect(en0?.ipv6[2]).toEqual({
      address: "2600:1700:bab0:d40:4573:9380:5ecb:ef52",
      prefix: 64,
      attributes: ["autoconf", "temporary"],
    });
    expect(byName(text, "lo0")?.ipv4).toEqual([{ address: "127.0.0.1", prefix: 8, broadcast: null, peer: null }]);
    expect(byName(text, "utun0")).toMatchObject({
      mtu: 2000,
      ipv4: [],
      ipv6: [{ address: "fe80::cec:23d0:8cf7:c88e" }],
    });
    // bridge member lines (`member: en1 flags=3<...>`) are not interfaces.
    expect(byName(text, "bridge0")).toMatchObject({ status: "inactive", ipv4: [], ipv6: [] });
    expect(byName(text, "stf0")).toMatchObject({ flags: [], mtu: 1280, ether: null, status: null });
  });

  it("reads ap1 and VMware's vmnet interfaces", () => {
    const text = fixture("macos-10.14.6_jc_ifconfig2_ap1_vmnet.txt");
    expect(byName(text, "ap1")).toMatchObject({
      flags: ["BROADCAST", "SIMPLEX", "MULTICAST"],
      status: "inactive",
      ether: "a6:83:e7:2d:63:8e",
    });
    expect(byName(text, "vmnet8")?.ipv4).toEqual([
      { address: "192.168.71.1", prefix: 24, broadcast: "192.168.71.255", peer: null },
    ]);
    expect(byName(text, "vmnet1")?.ipv4[0]?.address).toBe("192.168.101.1");
    expect(byName(text, "en0")?.ipv6.find((a) => a.address === "2600:1700:bab0:d40::39")?.attributes).toEqual([
      "dynamic",
    ]);
    expect(byName(text, "utun1")?.mtu).toBe(1380);
  });

  it("reads Apple Silicon output with anpi interfaces, up to where it was cut", () => {
    const glpi = parseIfconfig(fixture("macos-14.4_glpi-agent673_ifconfig-a_anpi_PARTIAL.txt"));
    expect(glpi.map((entry) => entry.name)).toEqual(["lo0", "gif0", "stf0", "anpi1", "anpi0", "en4", "en5", "en1"]);
    expect(glpi.find((e) => e.name === "anpi0")).toMatchObject({ ether: "9e:00:06:96:00:0b", status: "inactive" });
    expect(glpi[0].ipv4[0]).toMatchObject({ address: "127.0.0.1", prefix: 8 });

    const utm = parseIfconfig(fixture("macos-applesilicon_utm6664_ifconfig_anpi_en1-en4_PARTIAL.txt"));
    expect(utm.map((entry) => entry.name)).toEqual([
      "lo0",
      "gif0",
      "stf0",
      "anpi0",
      "anpi1",
      "en3",
      "en4",
      "en1",
      "en2",
    ]);
    expect(utm.find((e) => e.name === "en2")).toMatchObject({ ether: "36:2d:83:2e:75:c4", status: "inactive" });
  });

  it("reads `ifconfig -v`: index, type and agent domains; lines before the first header are skipped", () => {
    const wifi = parseIfconfig(fixture("macos-1x_ifconfig-v_iproute2mac56_en0-wifi_PARTIAL.txt"));
    expect(wifi).toHaveLength(1);
    expect(wifi[0]).toMatchObject({
      name: "en0",
      index: 11,
      mtu: 1500,
      type: "Wi-Fi",
      status: "active",
      ether: "8e:1b:06:52:66:72",
      ipv4: [{ address: "192.168.18.201", prefix: 24, broadcast: "192.168.18.255" }],
      agentDomains: ["Skywalk", "Skywalk", "WiFiManager"],
    });

    const rapport = parseIfconfig(fixture("macos-1x_ifconfig-v_iproute2mac56_utun0-rapport_utun1_PARTIAL.txt"));
    expect(rapport.map((entry) => [entry.name, entry.index, entry.agentDomains])).toEqual([
      ["utun0", 15, ["com.apple.rapport"]],
      ["utun1", 16, []],
    ]);
    expect(rapport[0].ipv6).toEqual([{ address: "fe80::b20d:7f81:b8ac:55e3", prefix: 64, attributes: [] }]);

    const ids = parseIfconfig(fixture("macos-1x_ifconfig-v_iproute2mac56_utun3-5-ids_PARTIAL.txt"));
    expect(ids.map((entry) => [entry.name, entry.mtu, entry.agentDomains])).toEqual([
      ["utun4", 1000, ["ids501"]],
      ["utun5", 1380, []],
    ]);
  });

  it("reads point-to-point tunnels and several single-interface outputs in a row", () => {
    const text = fixture("macos-sierra-era_killswitch19_ifconfig-en2-utun1-utun0.txt");
    expect(parseIfconfig(text).map((entry) => entry.name)).toEqual(["en2", "utun1", "utun0"]);
    expect(byName(text, "en2")?.ipv4[0]).toMatchObject({ address: "10.0.0.19", prefix: 24 });
    expect(byName(text, "utun1")?.ipv4).toEqual([
      { address: "172.21.22.110", prefix: 23, broadcast: null, peer: "172.21.22.110" },
    ]);
  });

  it("reads space-indented pastes", () => {
    const tailscale = fixture("macos-tailscale_utun4_jc581_user-anonymized.txt");
    expect(byName(tailscale, "utun4")).toMatchObject({
      mtu: 1280,
      ipv4: [{ address: "100.11.11.11", prefix: 32, peer: "100.11.11.11" }],
      ipv6: [
        { address: "fe80::ab:cd:ef:12", prefix: 64 },
        { address: "fd7a:ab:cd::ef:12", prefix: 48 },
      ],
    });

    const indented = parseIfconfig(fixture("macos_tunnelblick601_ifconfig_awdl0_llw0_PARTIAL.txt"));
    // The paste starts inside lo0, whose header is missing.
    expect(indented.map((entry) => entry.name)).toEqual(["gif0", "stf0", "en0", "p2p0", "awdl0", "llw0", "en1", "en2"]);
    expect(indented.find((e) => e.name === "en0")).toMatchObject({ status: "inactive", ether: "8c:85:90:4c:c4:24" });
    expect(indented.find((e) => e.name === "llw0")).toMatchObject({ status: null, ipv4: [], ipv6: [] });
  });

  it("keeps an interface whose output has no address lines", () => {
    const text = fixture("macos-tunnelblick340_ifconfig-a_utun0-2_before-connect.txt");
    expect(parseIfconfig(text).map((entry) => [entry.name, entry.mtu, entry.ipv6.length])).toEqual([
      ["utun0", 1380, 1],
      ["utun1", 2000, 1],
      ["utun2", 1500, 0],
    ]);
  });

  it("never throws on output cut at any point, and keeps the interfaces before the cut", () => {
    const text = fixture("macos-10.14.6_jc_ifconfig2_ap1_vmnet.txt");
    const allNames = parseIfconfig(text).map((entry) => entry.name);
    for (let cut = 0; cut <= text.length; cut += 37) {
      const names = parseIfconfig(text.slice(0, cut)).map((entry) => entry.name);
      expect(allNames.slice(0, names.length)).toEqual(names);
    }
    expect(parseIfconfig("")).toEqual([]);
  });
});

describe("interfaceKind", () => {
  it("classifies every name from real `ifconfig -l` lines", () => {
    const names = fixture("ifconfig-l_samples.txt").split(/\s+/).filter(Boolean);
    const kinds = Object.fromEntries(names.map((name) => [name, interfaceKind(name)]));
    expect(kinds).toEqual({
      lo0: "loopback",
      gif0: "other",
      stf0: "other",
      anpi0: "other",
      anpi1: "other",
      anpi2: "other",
      XHC20: "other",
      p2p0: "other",
      fw0: "other",
      en0: "physical",
      en1: "physical",
      en2: "physical",
      en3: "physical",
      en4: "physical",
      en5: "physical",
      en6: "physical",
      en7: "physical",
      en8: "physical",
      en9: "physical",
      bridge0: "physical",
      ap1: "physical",
      awdl0: "peer-to-peer",
      llw0: "peer-to-peer",
      utun0: "tunnel",
      utun1: "tunnel",
      utun2: "tunnel",
      ppp0: "tunnel",
    });
  });
});
