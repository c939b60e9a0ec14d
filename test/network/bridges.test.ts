import { describe, expect, it } from "vitest";
import { describeUnfilteredBridge, findBridges, unfilteredBridges } from "../../src/network/bridges";
import { deriveNetworkState } from "../../src/network/derive";
import { parseIfconfig } from "../../src/network/ifconfig";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import { VM_BRIDGE_NOTE, VM_BRIDGED_TO_EN0 } from "./bridged-vm";
import { readMacosFixture } from "./fixtures";

const bridgesIn = (text: string) => findBridges(parseIfconfig(text));
const past = (text: string) => unfilteredBridges(bridgesIn(text)).map(describeUnfilteredBridge);

describe("bridges", () => {
  it("know the Thunderbolt Bridge by its built-in ports: en interfaces without an address", () => {
    for (const name of [
      "macos-10.14.6_jc_ifconfig_utun0-4_awdl0_bridge0.txt",
      "macos-10.14.6_jc_ifconfig2_ap1_vmnet.txt",
    ]) {
      const text = readMacosFixture("ifconfig", name);
      expect(bridgesIn(text), name).toEqual([
        { name: "bridge0", members: ["en1", "en2", "en3", "en4"], thunderbolt: true },
      ]);
      expect(past(text), name).toEqual([]);
    }
    expect(deriveNetworkState(SAMPLE_SNAPSHOT).bridges).toEqual([
      { name: "bridge0", members: ["en1", "en2"], thunderbolt: true },
    ]);
  });

  it("name a virtual machine bridged to Wi-Fi, which pf does not filter", () => {
    const text = `${SAMPLE_SNAPSHOT.ifconfig ?? ""}${VM_BRIDGED_TO_EN0}`;
    expect(bridgesIn(text)).toEqual([
      { name: "bridge0", members: ["en1", "en2"], thunderbolt: true },
      { name: "bridge100", members: ["en0", "vmenet0"], thunderbolt: false },
    ]);
    expect(past(text)).toEqual([VM_BRIDGE_NOTE]);
  });

  it("leave virtual machines on a shared network alone: they reach the link through this Mac's addresses", () => {
    for (const name of [
      "macos_utm-host-only_bridge100-vmenet0_boot2root-writeup_PARTIAL.txt",
      "macos_parallels-shared_bridge100-vmenet0-vmenet2_nginx-blog_PARTIAL.txt",
    ]) {
      const text = readMacosFixture("ifconfig", name);
      expect(bridgesIn(text)[0].thunderbolt, name).toBe(false);
      expect(past(text), name).toEqual([]);
    }
  });

  it("do not take a Wi-Fi with an address, nor a VM, for a Thunderbolt port", () => {
    const bridge = (members: string[]) =>
      `bridge1: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n${members.map((m) => `\tmember: ${m} flags=3<LEARNING,DISCOVER>\n`).join("")}`;
    const wifi =
      "en1: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n\tinet 192.168.1.23 netmask 0xffffff00\n";
    expect(bridgesIn(`${wifi}${bridge(["en1", "en2"])}`)[0].thunderbolt).toBe(false);
    expect(past(`${wifi}${bridge(["en1", "feth0"])}`)).toEqual([
      "a virtual machine bridged to en1 is not filtered by pf (bridge1: en1, feth0)",
    ]);
    // Unknown without ifconfig.
    expect(deriveNetworkState({ ...SAMPLE_SNAPSHOT, ifconfig: undefined }).bridges).toBeUndefined();
  });
});
