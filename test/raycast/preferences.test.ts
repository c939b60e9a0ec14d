import { describe, expect, it } from "vitest";
import { parseSettings } from "../../src/policy/settings";
import {
  describePreferenceConflicts,
  preferenceConflicts,
  settingsFromPreferences,
  splitList,
} from "../../src/raycast/stores/preferences";

describe("splitList", () => {
  it("splits on commas, semicolons and new lines, trimming and dropping empties", () => {
    expect(splitList(" vpn.example.com, 203.0.113.7:51820/udp,,\n[2001:db8::1]:443/tcp; ")).toEqual([
      "vpn.example.com",
      "203.0.113.7:51820/udp",
      "[2001:db8::1]:443/tcp",
    ]);
    expect(splitList(undefined)).toEqual([]);
    expect(splitList("   ")).toEqual([]);
  });
});

describe("settingsFromPreferences", () => {
  it("gives the documented defaults for empty preferences", () => {
    expect(settingsFromPreferences({})).toEqual({
      ok: true,
      settings: {
        vpnServers: [],
        trustedTunnels: [],
        tunnelInterface: "",
        allowLan: false,
        allowDiscovery: true,
        allowAirDrop: true,
        dnsResolvers: [],
        exceptions: [],
        confirmedAddresses: {},
        authentication: "password",
        // On by default: a kill switch that is off after a restart breaks the promise.
        protectFromStartup: true,
        blockedTrafficLog: 10,
      },
    });
  });

  it("maps every preference into the settings model", () => {
    const result = settingsFromPreferences(
      {
        vpnServers: "vpn.example.com, 198.51.100.7",
        tunnelInterface: " utun4 ",
        trustedTunnels: "utun6, utun7",
        allowLan: true,
        allowDiscovery: false,
        allowAirDrop: false,
        dnsResolvers: "9.9.9.9, 2620:fe::fe",
        authentication: "touchid",
        protectFromStartup: true,
        blockedTrafficLog: "50",
      },
      [{ address: "192.168.1.20", protocol: "tcp", port: "631", scope: "all", label: "Printer", enabled: true }],
    );
    expect(result).toEqual({
      ok: true,
      settings: {
        vpnServers: ["vpn.example.com", "198.51.100.7"],
        trustedTunnels: ["utun6", "utun7"],
        tunnelInterface: "utun4",
        allowLan: true,
        allowDiscovery: false,
        allowAirDrop: false,
        dnsResolvers: ["9.9.9.9", "2620:fe::fe"],
        exceptions: [
          { address: "192.168.1.20", protocol: "tcp", port: "631", scope: "all", label: "Printer", enabled: true },
        ],
        confirmedAddresses: {},
        authentication: "touchid",
        protectFromStartup: true,
        blockedTrafficLog: 50,
      },
    });
  });

  it("names the preference as Raycast shows it, and the bad value", () => {
    const result = settingsFromPreferences({
      vpnServers: "vpn.example.com, vpn example",
      tunnelInterface: "en0",
      trustedTunnels: "tailscale",
      dnsResolvers: "9.9.9.9%en0",
      authentication: "faceid",
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        'VPN Servers: "vpn example" is not an IP address, IP:port/proto, IP/ikev2, or host name',
        'Trusted Tunnels: "tailscale" is not a tunnel interface name such as utun4, ipsec0 or ppp0',
        'Tunnel Interface: "en0" is not a tunnel interface name such as utun4, ipsec0 or ppp0',
        'DNS Resolvers: "9.9.9.9%en0" is not an IPv4 or IPv6 address',
        'Authentication: expected one of "password", "touchid", got "faceid"',
      ],
    });
  });
});

describe("preferenceConflicts", () => {
  const fromPreferences = (preferences: Parameters<typeof settingsFromPreferences>[0]) => {
    const result = settingsFromPreferences(preferences);
    if (!result.ok) throw new Error(result.errors.join("; "));
    return result.settings;
  };
  const file = (raw: Record<string, unknown>) => {
    const parsed = parseSettings(raw);
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    return [raw, parsed.settings] as const;
  };

  it("names only the fields the file sets to another value", () => {
    const used = fromPreferences({ vpnServers: "198.51.100.7", allowLan: true, blockedTrafficLog: "50" });
    // protectFromStartup is unset in the file: no disagreement, whatever its default.
    const [raw, settings] = file({
      vpnServers: ["198.51.100.7"],
      allowLan: false,
      blockedTrafficLog: 0,
      exceptions: [],
    });
    const conflicts = preferenceConflicts(used, raw, settings);
    expect(conflicts).toEqual([
      { field: "allowLan", title: "Local Network", used: "on", ignored: "off" },
      { field: "blockedTrafficLog", title: "Blocked Traffic Log", used: "50", ignored: "0" },
    ]);
    expect(describePreferenceConflicts(conflicts)).toBe(
      "Raycast's preferences used: Local Network on (settings file: off); Blocked Traffic Log 50 (settings file: 0)",
    );
  });

  it("finds none when the file agrees or sets nothing Raycast has as a preference", () => {
    const used = fromPreferences({ dnsResolvers: "9.9.9.9" });
    expect(preferenceConflicts(used, ...file({ dnsResolvers: ["9.9.9.9"], confirmedAddresses: {} }))).toEqual([]);
    expect(describePreferenceConflicts([])).toBeNull();
    expect(preferenceConflicts(used, ...file({ tunnelInterface: "utun4" })).map((c) => [c.used, c.ignored])).toEqual([
      ["none", "utun4"],
    ]);
  });
});
