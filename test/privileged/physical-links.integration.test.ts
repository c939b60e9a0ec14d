/**
 * The root script reads the physical links, their networks and their DHCP servers as src/network does, so a
 * template it fills in is the builder's text for the links of the moment. Run from its own parts on every
 * real ifconfig output of the fixtures (and the fake Mac's networks), with ipconfig answering from a file.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deriveNetworkState } from "../../src/network/derive";
import { macSnapshot } from "../fakes/networks";
import { DHCP_PACKET_CASES } from "../network/dhcp-packet-cases";
import { readMacosFixture } from "../network/fixtures";
import { temporaryDirectory } from "../temporary-directory";
import { NETWORK_READING_PARTS, writeRootLibrary } from "./root-parts";

const IFCONFIG_FIXTURES = readdirSync(join(__dirname, "../fixtures/macos/ifconfig")).filter(
  (name) => !name.startsWith("ifconfig-l"),
);
const SERVER_ELSEWHERE = readMacosFixture("ipconfig", "getpacket-en7_isc-dhcpd_linux-router-blog.txt");

/** describe_links on IFCONFIG, `ipconfig getpacket IF` printing PACKETS[IF]: its lines, "NAME DHCP SUBNET...". */
function rootLinks(ifconfig: string, packets: Record<string, string> = {}): string[] {
  const dir = temporaryDirectory("root-links-");
  const library = writeRootLibrary(dir, NETWORK_READING_PARTS);
  writeFileSync(join(dir, "ifconfig"), ifconfig);
  for (const [name, text] of Object.entries(packets)) writeFileSync(join(dir, `packet-${name}`), text);
  writeFileSync(join(dir, "ipconfig"), `#!/bin/sh\n[ "$1" = getpacket ] && cat "${dir}/packet-$2" 2>/dev/null\n`, {
    mode: 0o755,
  });
  const harness = `. "$1"; WORK=$2; IPCONFIG="$2/ipconfig"; describe_links; cat "$WORK/links"`;
  const run = spawnSync("/bin/sh", ["-c", harness, "harness", library, dir], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  return run.stdout.split("\n").filter((line) => line !== "");
}

/** The same lines from the network state the builder works from. */
function builderLinks(ifconfig: string, packets: Record<string, string> = {}): string[] {
  const state = deriveNetworkState({ ifconfig, ipconfigPackets: packets });
  return state.physical.map((link) => [link.name, link.dhcpServer ?? "-", ...(link.subnets ?? [])].join(" "));
}

describe("the physical links, as the root script reads them", () => {
  it.each(IFCONFIG_FIXTURES)("match src/network's on %s", (name) => {
    const ifconfig = readMacosFixture("ifconfig", name);
    expect(rootLinks(ifconfig)).toEqual(builderLinks(ifconfig));
  });

  it("match on the fake Mac's networks, with the lease's server when it is on the link", () => {
    for (const wifi of ["home", "cafe"] as const) {
      const snapshot = macSnapshot({ wifi, vpn: "utun4" });
      const ifconfig = snapshot.ifconfig ?? "";
      const packets = snapshot.ipconfigPackets ?? {};
      expect(rootLinks(ifconfig, packets), wifi).toEqual(builderLinks(ifconfig, packets));
    }
    const home = macSnapshot({ wifi: "home", vpn: null });
    expect(rootLinks(home.ifconfig ?? "", home.ipconfigPackets)).toEqual([
      "en0 192.168.1.1 192.168.1.0/24 2001:db8:1a2b:10::/64",
    ]);
    // A lease naming a server that is not on the link (real output of another network): none.
    expect(rootLinks(home.ifconfig ?? "", { en0: SERVER_ELSEWHERE })).toEqual([
      "en0 - 192.168.1.0/24 2001:db8:1a2b:10::/64",
    ]);
  });

  it.each(DHCP_PACKET_CASES)("name the same DHCP server, or none, for $name", ({ packet, server }) => {
    const ifconfig = macSnapshot({ wifi: "home", vpn: null }).ifconfig ?? "";
    const expected = [`en0 ${server ?? "-"} 192.168.1.0/24 2001:db8:1a2b:10::/64`];
    expect(rootLinks(ifconfig, { en0: packet })).toEqual(expected);
    expect(builderLinks(ifconfig, { en0: packet })).toEqual(expected);
  });

  it("leave out what is not a physical link, and what the builder would not trust", () => {
    const ifconfig = [
      "en5: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500",
      "\tinet 10.20.0.7 netmask 255.255.0.0 broadcast 10.20.255.255",
      "\tinet 172.16.0.1 --> 172.16.0.2 netmask 0xffffff00",
      "\tinet 10.30.0.1 netmask 0xff00ff00",
      "\tinet6 2001:db8:aa:bb:0:0:0:1 prefixlen 64",
      "\tinet6 2001:db8:cc::1 prefixlen 48",
      "\tstatus: active",
      "bridge100: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500",
      "\tstatus: active",
      "en6: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500",
      "\tstatus: inactive",
      "utun7: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1380",
      "\tinet 10.8.0.2 --> 10.8.0.2 netmask 0xffffff00",
      "garbage line at the headers' depth",
      "\tinet 192.168.9.9 netmask 0xffffff00",
      "",
    ].join("\n");
    expect(rootLinks(ifconfig)).toEqual(["en5 - 10.20.0.0/16 2001:db8:aa:bb::/64", "bridge100 -"]);
    expect(rootLinks(ifconfig)).toEqual(builderLinks(ifconfig));
  });
});
