import { describe, expect, it } from "vitest";
import { cidrContains, parseCidr } from "../../src/address/ip";
import { complementOf, stateKillsFor } from "../../src/lifecycle/state-kills";
import { summarizeAnchor } from "../../src/pf/anchor";
import { resolvePolicy } from "../../src/policy/policy";
import { NOW, WIFI_WITH_VPN, settingsFrom } from "./scenario";

const covered = (cidrs: string[], address: string) => cidrs.some((c) => cidrContains(parseCidr(c)!, address));

describe("complementOf", () => {
  it("covers all of IPv4 but one host with 32 networks", () => {
    const rest = complementOf("inet", [parseCidr("198.51.100.7")!]);
    expect(rest).toHaveLength(32);
    expect(rest[0]).toBe("0.0.0.0/1");
    expect(covered(rest, "198.51.100.7")).toBe(false);
    for (const address of ["198.51.100.6", "198.51.100.8", "1.1.1.1", "255.255.255.255", "0.0.0.0"]) {
      expect(covered(rest, address), address).toBe(true);
    }
  });

  it("leaves out whole networks and writes IPv6 the short way", () => {
    const rest = complementOf("inet6", [parseCidr("fc00::/7")!, parseCidr("2001:db8::9")!]);
    expect(covered(rest, "fd12:3456::1")).toBe(false);
    expect(covered(rest, "2001:db8::9")).toBe(false);
    expect(covered(rest, "2001:db8::8")).toBe(true);
    expect(covered(rest, "2606:4700::1111")).toBe(true);
    expect(rest).toContain("::/3");
    expect(rest).toContain("8000::/2");
    expect(rest).toContain("2001:db8::8/128");
  });

  it("is the whole space when nothing is kept, and empty when everything is", () => {
    expect(complementOf("inet6", [])).toEqual(["::/0"]);
    expect(complementOf("inet", [parseCidr("0.0.0.0/0")!])).toEqual([]);
  });
});

describe("stateKillsFor", () => {
  it("pairs each physical address with everything but the VPN servers, plus its inbound states", async () => {
    const resolved = await resolvePolicy(settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"] }));
    if (!resolved.ok) throw new Error("settings");
    const summary = summarizeAnchor({ policy: resolved.policy, network: WIFI_WITH_VPN, now: NOW });
    const kills = stateKillsFor(WIFI_WITH_VPN, summary);
    const fromIpv4 = kills.filter((k) => k.source === "192.168.1.23").map((k) => k.destination);
    expect(fromIpv4).toHaveLength(32);
    expect(covered(fromIpv4, "198.51.100.7")).toBe(false);
    expect(kills).toContainEqual({ source: "0.0.0.0/0", destination: "192.168.1.23" });
    expect(kills).toContainEqual({ source: "2001:db8:1::23", destination: "::/0" });
    expect(kills).toContainEqual({ source: "::/0", destination: "2001:db8:1::23" });
    expect(kills.some((k) => k.source.startsWith("fe80") || k.destination.startsWith("fe80"))).toBe(false);
    expect(kills.some((k) => k.source === "10.8.0.2")).toBe(false);
  });

  it("keeps the LAN when it is allowed, and exceptions open on every port", async () => {
    const settings = settingsFrom({
      allowLan: true,
      exceptions: [
        { address: "203.0.113.50", label: "Work" },
        { address: "203.0.113.60", port: 443, protocol: "tcp" },
      ],
    });
    const resolved = await resolvePolicy(settings);
    if (!resolved.ok) throw new Error("settings");
    const summary = summarizeAnchor({ policy: resolved.policy, network: WIFI_WITH_VPN, now: NOW });
    const fromIpv4 = stateKillsFor(WIFI_WITH_VPN, summary)
      .filter((k) => k.source === "192.168.1.23")
      .map((k) => k.destination);
    expect(covered(fromIpv4, "192.168.1.40")).toBe(false);
    // Only the network en0 is on is local: a state to another private range is killed.
    expect(covered(fromIpv4, "10.20.30.40")).toBe(true);
    expect(covered(fromIpv4, "203.0.113.50")).toBe(false);
    expect(covered(fromIpv4, "203.0.113.60")).toBe(true);
  });
});
