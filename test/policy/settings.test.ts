import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, parsePorts, parseSettings, parseVpnServer } from "../../src/policy/settings";
import { formatEndpoint, isExceptionActive, parseRecordedEndpoint, resolvePolicy } from "../../src/policy/policy";

const HOME = "gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24";

describe("parseSettings", () => {
  it("fills defaults: LAN off, discovery and AirDrop on, no resolvers", () => {
    expect(DEFAULT_SETTINGS).toMatchObject({
      allowLan: false,
      allowDiscovery: true,
      allowAirDrop: true,
      dnsResolvers: [],
    });
  });

  it.each([
    [
      { vpnServers: ["vpn example"] },
      'vpnServers[0]: "vpn example" is not an IP address, IP:port/proto, IP/ikev2, or host name',
    ],
    [{ vpnServers: ["vpn example/ikev2"] }, 'vpnServers[0]: "vpn example/ikev2" is not'],
    [{ trustedTunnels: ["en0"] }, 'trustedTunnels[0]: "en0" is not a tunnel interface name'],
    [{ vpnServers: ["1.2.3.4:0/udp"] }, 'vpnServers[0]: "1.2.3.4:0/udp"'],
    [{ tunnelInterface: "utun" }, 'tunnelInterface: "utun" is not a tunnel interface name'],
    [{ tunnelInterface: "en0; rm -rf /" }, 'tunnelInterface: "en0; rm -rf /"'],
    [{ allowLan: "yes" }, 'allowLan: expected boolean, got "yes"'],
    [{ dnsResolvers: ["dns.google"] }, 'dnsResolvers[0]: "dns.google" is not an IPv4 or IPv6 address'],
    [{ exceptions: [{ address: "192.168.1.300" }] }, 'exceptions[0].address: "192.168.1.300" is not'],
    [{ exceptions: [{ address: "10.0.0.0/33" }] }, 'exceptions[0].address: "10.0.0.0/33"'],
    [{ exceptions: [{ address: "10.0.0.1", port: 70000 }] }, "exceptions[0].port: 70000 is not a port"],
    [
      { exceptions: [{ address: "10.0.0.1", protocol: "icmp" }] },
      'exceptions[0].protocol: expected one of "tcp", "udp", "any", got "icmp"',
    ],
    [
      { exceptions: [{ address: "10.0.0.1", expiresAt: "tomorrow" }] },
      'exceptions[0].expiresAt: "tomorrow" is not a date',
    ],
    [
      { exceptions: [{ address: "93.184.216.34", scope: HOME }] },
      'exceptions[0].address: "93.184.216.34" is a public address: an exception for one network passes only private and link-local addresses on that network\'s link; to pass it, use All Networks (scope "all")',
    ],
    [{ exceptions: [{ address: "2001:db8::/64", scope: HOME }] }, 'exceptions[0].address: "2001:db8::/64" is a public'],
    // A range that only starts in private space is not in it.
    [{ exceptions: [{ address: "192.168.0.0/15", scope: HOME, wide: true }] }, '"192.168.0.0/15" is a public'],
    [
      { exceptions: [{ address: "10.0.0.1", scope: HOME, scopeSecurity: "wpa2 psk" }] },
      'exceptions[0].scopeSecurity: "wpa2 psk" is not a link security mode',
    ],
    [{ allowLAN: true }, 'settings: unknown field(s) "allowLAN"'],
    [null, "settings: expected object, got null"],
  ])("rejects %j naming the field and value", (input, message) => {
    const result = parseSettings(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join("\n")).toContain(message);
  });

  it("accepts an exception for one network to private, link-local and unique-local space, with its security", () => {
    const scoped = ["192.168.1.20", "10.1.2.0/24", "172.16.5.5", "169.254.1.1", "fe80::1", "fd12:3456::/64"];
    const result = parseSettings({
      exceptions: [
        ...scoped.map((address) => ({ address, scope: HOME, scopeSecurity: "WPA2_PSK" })),
        { address: "192.168.1.21", scope: HOME, scopeSecurity: "wired" },
        { address: "93.184.216.34", scope: "all" },
      ],
    });
    expect(result.ok).toBe(true);
  });

  it("accepts every documented form", () => {
    const result = parseSettings({
      vpnServers: [
        "203.0.113.5",
        "203.0.113.6:1194/udp",
        "[2001:db8::1]:51820/udp",
        "vpn.example.net",
        "vpn.example.net:443/tcp",
        "203.0.113.8/ikev2",
        "vpn.example.net/IKEv2",
      ],
      trustedTunnels: ["utun6"],
      tunnelInterface: "utun4",
      dnsResolvers: ["9.9.9.9", "2620:fe::fe"],
      exceptions: [{ address: "printer.local", port: "631,9100", protocol: "tcp", scope: "all", label: "Printer" }],
    });
    expect(result.ok).toBe(true);
  });
});

describe("value parsers", () => {
  it("parses VPN server forms", () => {
    expect(parseVpnServer("[2001:db8::1]:51820/udp")).toEqual({ host: "2001:db8::1", port: 51820, protocol: "udp" });
    expect(parseVpnServer("2001:db8::1/ikev2")).toEqual({ host: "2001:db8::1", protocol: "ikev2" });
    expect(parseVpnServer("vpn.example.net./ikev2")).toEqual({ host: "vpn.example.net", protocol: "ikev2" });
    expect(parseVpnServer("fe80::1%en0/ikev2")).toBeNull();
    expect(parseVpnServer("vpn.example.net:1194")).toEqual({ host: "vpn.example.net", port: 1194 });
    expect(parseVpnServer("2001:db8::1")).toEqual({ host: "2001:db8::1" });
    expect(parseVpnServer("fe80::1%en0")).toBeNull();
  });
  it("parses port lists and ranges", () => {
    expect(parsePorts("80, 443")).toEqual([
      { from: 80, to: 80 },
      { from: 443, to: 443 },
    ]);
    expect(parsePorts("8080-8000")).toBeNull();
    expect(parsePorts(631)).toEqual([{ from: 631, to: 631 }]);
  });
});

describe("resolvePolicy", () => {
  it("resolves host names to every address and reports one that does not resolve", async () => {
    const parsed = parseSettings({ vpnServers: ["vpn.example.net:51820/udp", "gone.example.net"] });
    if (!parsed.ok) throw new Error();
    const result = await resolvePolicy(parsed.settings, async (host) => {
      if (host === "vpn.example.net") return ["198.51.100.1", "198.51.100.2"];
      throw new Error("ENOTFOUND");
    });
    expect(result).toEqual({
      ok: false,
      errors: ['vpnServers[1]: "gone.example.net" could not be resolved (ENOTFOUND)'],
    });
  });

  it("records which host name a server address came from", async () => {
    const parsed = parseSettings({ vpnServers: ["vpn.example.net:51820/udp", "198.51.100.9:443/tcp"] });
    if (!parsed.ok) throw new Error();
    const result = await resolvePolicy(parsed.settings, async () => ["198.51.100.1"]);
    expect(result.ok && result.policy.endpoints).toEqual([
      { address: "198.51.100.1", port: 51820, protocol: "udp", host: "vpn.example.net" },
      { address: "198.51.100.9", port: 443, protocol: "tcp" },
    ]);
  });

  it("accepts a .local name only when every address it resolved to is on the local network", async () => {
    const parsed = parseSettings({ exceptions: [{ address: "printer.local" }, { address: "nas.local." }] });
    if (!parsed.ok) throw new Error();
    const result = await resolvePolicy(parsed.settings, async (host) =>
      host === "printer.local" ? ["192.168.1.20", "fe80::1"] : ["192.168.1.30", "203.0.113.5"],
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        'exceptions[1].address: "nas.local." resolved to 203.0.113.5, which is not a private or link-local address; a .local name is accepted only on the local network',
      ],
    });
  });

  it("an exception is active only on its network, before expiry, when enabled", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const base = { scope: "net-a", expiresAt: null, enabled: true };
    const netA = { id: "net-a", security: "WPA2_PSK" };
    expect(isExceptionActive(base, netA, now)).toBe(true);
    expect(isExceptionActive(base, { ...netA, id: "net-b" }, now)).toBe(false);
    expect(isExceptionActive({ ...base, scope: "all" }, null, now)).toBe(true);
    expect(isExceptionActive({ ...base, expiresAt: "2025-12-31T23:00:00Z" }, netA, now)).toBe(false);
    expect(isExceptionActive({ ...base, enabled: false }, netA, now)).toBe(false);
  });
});

describe("VPN servers as the root script records them", () => {
  it("read back exactly what formatEndpoint writes, and nothing else", () => {
    const endpoints = [
      { address: "198.51.100.7" },
      { address: "198.51.100.7", port: 1194, protocol: "udp" as const },
      { address: "198.51.100.7", port: 443 },
      { address: "2001:db8::7", port: 51820, protocol: "udp" as const },
      { address: "2001:db8::7", protocol: "ikev2" as const },
    ];
    for (const endpoint of endpoints) expect(parseRecordedEndpoint(formatEndpoint(endpoint))).toEqual(endpoint);
    expect(formatEndpoint(endpoints[3])).toBe("[2001:db8::7]:51820/udp");
    for (const text of ["vpn.example.com", "198.51.100.7:1194/UDP", " 198.51.100.7", "[fe80::1%en0]:443/tcp", ""]) {
      expect(parseRecordedEndpoint(text), text).toBeNull();
    }
  });

  it("refuses a scoped IPv6 address in brackets, as it does without", () => {
    expect(parseVpnServer("[fe80::1%en0]:443/tcp")).toBeNull();
    expect(parseSettings({ vpnServers: ["[fe80::1%en0]:443/tcp"] }).ok).toBe(false);
  });
});
