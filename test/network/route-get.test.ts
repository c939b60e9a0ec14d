import { describe, expect, it } from "vitest";
import { parseRouteGet } from "../../src/network/route-get";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import { readMacosFixture } from "./fixtures";

const fixture = (name: string) => parseRouteGet(readMacosFixture("route", name));

describe("parseRouteGet", () => {
  it("reads the default route of a Wi-Fi Mac", () => {
    expect(fixture("macos_kairos4431_route-n-get-default_wifi-en1.txt")).toEqual({
      routeTo: "default",
      destination: "default",
      mask: "default",
      gateway: "192.168.68.1",
      interface: "en1",
      flags: ["UP", "GATEWAY", "DONE", "STATIC", "PRCLONING", "GLOBAL"],
      mtu: 1500,
    });
    expect(fixture("macos_student-tp_route-n-get-default.txt")).toMatchObject({
      gateway: "10.33.79.254",
      interface: "en0",
      mtu: 1500,
    });
  });

  it("reads output without a trailing newline", () => {
    expect(fixture("macos_facter-osx_route_route-n-get-default.txt")).toMatchObject({
      gateway: "10.160.24.1",
      interface: "en0",
      flags: ["UP", "GATEWAY", "DONE", "STATIC", "PRCLONING"],
      mtu: 1500,
    });
  });

  it("reads an IKEv2 default on ipsec0 that has no gateway line, cut inside the metrics", () => {
    expect(fixture("macos_killswitch19_route-get-0.0.0.0_ipsec0-default_no-gateway.txt")).toEqual({
      routeTo: "default",
      destination: "default",
      mask: "default",
      gateway: null,
      interface: "ipsec0",
      flags: ["UP", "DONE", "CLONING", "STATIC"],
      mtu: null,
    });
  });

  it("reads a route to 1.1.1.1 matched by a 0/1 split route", () => {
    expect(parseRouteGet(SAMPLE_SNAPSHOT.routeGetInternet ?? "")).toMatchObject({
      routeTo: "1.1.1.1",
      destination: "default",
      mask: "128.0.0.0",
      gateway: "10.8.0.1",
      interface: "utun4",
    });
  });

  it("gives empty fields for empty or unrelated output", () => {
    const empty = {
      routeTo: null,
      destination: null,
      mask: null,
      gateway: null,
      interface: null,
      flags: [],
      mtu: null,
    };
    expect(parseRouteGet("")).toEqual(empty);
    expect(parseRouteGet("route: writing to routing socket: not in table\n")).toEqual(empty);
  });
});
