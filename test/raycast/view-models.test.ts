import { describe, expect, it } from "vitest";
import { summarizeAnchor } from "../../src/pf/anchor";
import { DEFAULT_SETTINGS } from "../../src/policy/settings";
import {
  checkTargetResolves,
  exceptionFromForm,
  initialFormValues,
  validateExceptionForm,
} from "../../src/exceptions/exception-fields";
import { describeNetworkId, describeTraffic, formatTimeLeft } from "../../src/raycast/models/exception-text";
import { describeEnabled } from "../../src/words/messages";
import { snapshotFromStatus } from "../../src/raycast/reading/kill-switch-reading";
import { buildMenuBarModel } from "../../src/raycast/models/menu-bar-model";
import { summarizeNetwork, wouldBlockVpnForever } from "../../src/raycast/reading/network-reading";
import { HOME_ID, VPN_DOWN, VPN_UP, statusFor } from "./helpers";

const NOW = new Date("2025-03-01T12:00:00Z");
const HOME = summarizeNetwork(VPN_UP);

describe("exception form values", () => {
  it("starts blank, for this network when it is known", () => {
    expect(initialFormValues(HOME)).toEqual({
      address: "",
      protocol: "any",
      port: "",
      scope: HOME_ID,
      label: "",
      expiry: "never",
    });
    expect(initialFormValues(null).scope).toBe("all");
    // A network recognised without its router's MAC is not the default: many share its address and subnet.
    const unknownMac = { ...HOME!, id: "gw=192.168.1.1,mac=unknown,net=192.168.1.0/24", gatewayMac: null };
    expect(initialFormValues(unknownMac).scope).toBe("all");
  });

  it("accepts an address, a CIDR network or a host name with ports in every accepted form", () => {
    for (const address of ["192.168.1.20", "fd00::20", "192.168.1.0/24", "printer.example.com"]) {
      for (const port of ["", "631", "80,443", "8000-8080"]) {
        const values = { address, protocol: "tcp", port, scope: HOME_ID, label: "", expiry: "1d" };
        expect(validateExceptionForm(values)).toEqual({});
      }
    }
  });

  it("reports every bad field at once, each with its reason", () => {
    expect(
      validateExceptionForm({ address: "300.1.1.1", protocol: "gre", port: "0", scope: "", label: "", expiry: "1w" }),
    ).toEqual({
      address: '"300.1.1.1" is not an IPv4/IPv6 address, CIDR network or host name',
      protocol: '"gre" is not one of: tcp, udp, any',
      port: '"0" is not a port (1-65535), a list (80,443) or a range (8000-8080)',
      scope: "Choose this network or all networks",
      expiry: '"1w" is not one of: never, 1h (in 1 hour), 1d (in 1 day)',
    });
  });

  it("turns values into a stored exception with the expiry as a time", () => {
    const values = {
      address: " 192.168.1.20 ",
      protocol: "tcp",
      port: "80, 443",
      scope: "all",
      label: " TV ",
      expiry: "1d",
    };
    expect(exceptionFromForm(values, { id: "x", now: NOW })).toEqual({
      id: "x",
      address: "192.168.1.20",
      protocol: "tcp",
      port: "80,443",
      scope: "all",
      label: "TV",
      expiresAt: "2025-03-02T12:00:00.000Z",
      enabled: true,
    });
    expect(exceptionFromForm({ ...values, port: "", expiry: "never" }, { id: "x", now: NOW })).not.toHaveProperty(
      "port",
    );
    expect(exceptionFromForm({ ...values, expiry: "never" }, { id: "x", now: NOW }).expiresAt).toBeNull();
  });

  it("resolves host names on submit; addresses need no lookup", async () => {
    const lookups: string[] = [];
    const lookup = async (host: string) => {
      lookups.push(host);
      return host === "empty.example.com" ? [] : ["192.0.2.1"];
    };
    expect(await checkTargetResolves("192.168.1.0/24", lookup)).toBeUndefined();
    expect(await checkTargetResolves("nas.example.com", lookup)).toBeUndefined();
    expect(await checkTargetResolves("empty.example.com", lookup)).toBe(
      '"empty.example.com" did not resolve to any address',
    );
    expect(lookups).toEqual(["nas.example.com", "empty.example.com"]);
  });
});

describe("exception text", () => {
  it("describes traffic, time left and networks seen without a name", () => {
    const base = { address: "10.0.0.1", label: "", scope: "all", enabled: true };
    expect(describeTraffic({ ...base, protocol: "any" })).toBe("All traffic");
    expect(describeTraffic({ ...base, protocol: "any", port: "80,443" })).toBe("TCP and UDP 80,443");
    expect(describeTraffic({ ...base, protocol: "udp", port: 5353 })).toBe("UDP 5353");
    expect(formatTimeLeft(new Date(NOW.getTime() + 30_000), NOW)).toBe("less than a minute");
    expect(formatTimeLeft(new Date(NOW.getTime() + 61_000), NOW)).toBe("2 min");
    expect(formatTimeLeft(new Date(NOW.getTime() + 3 * 3_600_000), NOW)).toBe("3 h");
    expect(formatTimeLeft(new Date(NOW.getTime() + 72 * 3_600_000), NOW)).toBe("3 d");
    expect(describeNetworkId(HOME_ID)).toBe("192.168.1.0/24 via 192.168.1.1");
    expect(describeNetworkId("gw=10.0.0.1,mac=unknown,net=unknown")).toBe("Network via 10.0.0.1");
  });
});

describe("HUD after Enable", () => {
  const policy = {
    endpoints: [{ address: "198.51.100.7" }, { address: "198.51.100.7", port: 1194, protocol: "udp" as const }],
    tunnelOverride: null,
    trustedTunnels: [],
    allowLan: true,
    allowDiscovery: true,
    allowAirDrop: true,
    dnsResolvers: [],
    exceptions: [],
  };

  it("names the tunnel, counts servers (not rules) and says what else is open", () => {
    expect(describeEnabled(summarizeAnchor({ policy, network: VPN_UP, now: NOW }))).toBe(
      "Kill Switch On · utun4 · 1 VPN server allowed · local network allowed",
    );
    expect(
      describeEnabled(
        summarizeAnchor({
          policy: { ...policy, allowLan: false },
          network: VPN_DOWN,
          now: NOW,
          captivePortalUntil: new Date(NOW.getTime() + 60_000),
        }),
      ),
    ).toBe("Kill Switch On · Blocking until the VPN connects · 1 VPN server allowed · captive portal open");
  });

  it("shows the widest network an exception opens beside the count", () => {
    const exception = (address: string, prefix: number) => ({
      id: address,
      target: `${address}/${prefix}`,
      label: "",
      addresses: [{ family: "inet" as const, address, prefix }],
      protocol: "any" as const,
      ports: [],
      scope: "all",
      expiresAt: null,
      enabled: true,
    });
    const wide = { ...policy, allowLan: false, exceptions: [exception("192.168.1.20", 32), exception("10.1.0.0", 16)] };
    expect(describeEnabled(summarizeAnchor({ policy: wide, network: VPN_UP, now: NOW }))).toBe(
      "Kill Switch On · utun4 · 1 VPN server allowed · 2 exceptions (widest 10.1.0.0/16)",
    );
  });
});

describe("wouldBlockVpnForever", () => {
  it("is true only with no tunnel, no configured server and none in the routes", () => {
    expect(wouldBlockVpnForever(VPN_DOWN, [])).toBe(true);
    expect(wouldBlockVpnForever(VPN_DOWN, ["vpn.example.com"])).toBe(false);
    expect(wouldBlockVpnForever({ ...VPN_DOWN, endpoints: ["198.51.100.7"] }, [])).toBe(false);
    expect(wouldBlockVpnForever(VPN_UP, [])).toBe(false);
    // A server an earlier Enable found is kept reachable: no lock-out.
    expect(wouldBlockVpnForever(VPN_DOWN, [], [{ address: "198.51.100.7" }])).toBe(false);
  });
});

describe("snapshotFromStatus", () => {
  it("keeps what the menu bar needs as plain JSON", () => {
    const snapshot = snapshotFromStatus(
      statusFor("protected"),
      VPN_UP,
      { ...DEFAULT_SETTINGS, vpnServers: ["vpn.example.com"] },
      {
        now: NOW,
        captivePortalUntil: new Date(NOW.getTime() + 120_000),
      },
    );
    expect(snapshot).toEqual({
      state: "protected",
      headline: "Protected: traffic leaves only through the VPN (utun4).",
      checkedAt: "2025-03-01T12:00:00.000Z",
      tunnels: ["utun4"],
      vpnServers: ["vpn.example.com", "198.51.100.7"],
      untrustedTunnels: [],
      network: {
        id: HOME_ID,
        label: "Example Home",
        gateway: "192.168.1.1",
        gatewayMac: "3c:a6:2f:08:1e:7b",
        subnet: "192.168.1.0/24",
        interface: "en0",
        security: "WPA2_PSK",
      },
      captivePortalUntil: "2025-03-01T12:02:00.000Z",
      notes: [],
      // No watchdog in this status, no record: nothing checked, nothing loaded.
      watchdogCheckedAt: null,
      rulesLoadedAt: null,
      // The settings' server, by name.
      allowedServers: ["vpn.example.com all ports"],
      // No watchdog count in this status.
      blocked: null,
    });
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it("names a tunnel that is up but not trusted, and what the loaded rules trust that people should know", () => {
    const tailscale = { name: "utun6", ipv4: ["100.101.102.103"], ipv6: [] };
    const network = { ...VPN_UP, tunnels: [...VPN_UP.tunnels, tailscale] };
    const summary = {
      ...summarizeAnchor({
        policy: {
          endpoints: [],
          tunnelOverride: null,
          trustedTunnels: [],
          allowLan: false,
          allowDiscovery: true,
          allowAirDrop: true,
          dnsResolvers: [],
          exceptions: [],
        },
        network,
        now: NOW,
      }),
      endpoints: [{ address: "198.51.100.20", port: 1194, protocol: "udp" as const, host: "vpn.example.com" }],
    };
    const snapshot = snapshotFromStatus(statusFor("protected"), network, DEFAULT_SETTINGS, { now: NOW, summary });
    expect(snapshot.untrustedTunnels).toEqual(["utun6"]);
    expect(snapshot.notes.join("\n")).toContain("VPN server vpn.example.com was resolved through this network's DNS");
    expect(snapshot.notes.join("\n")).toContain("utun6 is up but not trusted as the VPN");
    const trusted = snapshotFromStatus(
      statusFor("protected"),
      network,
      { ...DEFAULT_SETTINGS, trustedTunnels: ["utun6"] },
      { now: NOW },
    );
    expect(trusted.untrustedTunnels).toEqual([]);
    const menu = buildMenuBarModel({
      snapshot,
      exceptions: [],
      rejectedExceptions: 0,
      now: NOW,
      showStateTitle: false,
    });
    expect(menu.vpn).toContainEqual({
      title: "Not Trusted",
      subtitle: "utun6: blocked; add it to Trusted Tunnels to let it through",
    });
  });

  it("drops a captive-portal window when the kill switch is off or the window has passed", () => {
    const open = { now: NOW, captivePortalUntil: new Date(NOW.getTime() + 60_000) };
    expect(snapshotFromStatus(statusFor("off"), VPN_UP, null, open).captivePortalUntil).toBeNull();
    const passed = { now: NOW, captivePortalUntil: new Date(NOW.getTime() - 1) };
    expect(snapshotFromStatus(statusFor("blocking"), VPN_DOWN, null, passed).captivePortalUntil).toBeNull();
  });
});

describe("menu bar model", () => {
  it("before any reading: unknown, loading text, both actions", () => {
    const model = buildMenuBarModel({
      snapshot: undefined,
      exceptions: [],
      rejectedExceptions: 0,
      now: NOW,
      showStateTitle: true,
    });
    expect(model).toMatchObject({
      state: "unknown",
      title: "Unknown",
      meaning: "Whether traffic can leave outside the VPN cannot be told right now.",
      reason: null,
      tooltip: "VPN Kill Switch: Checking the kill switch…",
      canEnable: true,
      canDisable: true,
      checked: null,
      networkTitle: "No Network",
    });
  });

  it("hides expired exceptions and those of other networks", () => {
    const snapshot = snapshotFromStatus(statusFor("protected"), VPN_UP, null, { now: NOW });
    const model = buildMenuBarModel({
      snapshot,
      exceptions: [
        { id: "a", address: "10.0.0.1", protocol: "any", scope: HOME_ID, label: "", enabled: true },
        { id: "b", address: "10.0.0.2", protocol: "any", scope: "other", label: "", enabled: true },
        {
          id: "c",
          address: "10.0.0.3",
          protocol: "any",
          scope: "all",
          label: "",
          enabled: true,
          expiresAt: "2025-03-01T11:00:00Z",
        },
        {
          id: "d",
          address: "10.0.0.4",
          protocol: "tcp",
          scope: "all",
          label: "",
          enabled: true,
          expiresAt: "2025-03-01T12:45:00Z",
        },
      ],
      rejectedExceptions: 0,
      now: NOW,
      showStateTitle: false,
    });
    expect(model.exceptions).toEqual([
      { id: "a", title: "10.0.0.1", subtitle: "All traffic", enabled: true, active: true },
      { id: "d", title: "10.0.0.4", subtitle: "TCP · expires in 45 min", enabled: true, active: true },
    ]);
  });
});
