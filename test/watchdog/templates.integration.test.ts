import { afterEach, describe, expect, it } from "vitest";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import { formatNetworkIdentityId } from "../../src/network/identity";
import { DHCP_SERVER_PLACEHOLDER, LINK_PLACEHOLDER } from "../../src/pf/anchor";
import {
  TUNNEL_PLACEHOLDER,
  buildRuleTemplate,
  buildRuleTemplates,
  parseNetworkIdentityId,
} from "../../src/watchdog/templates";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { CAFE_ID, HOME_ID, type MacNetwork, macNetworkState, macSnapshot } from "../fakes/networks";
import {
  enable,
  expectNoLeak,
  inspect,
  joinNetwork,
  policyOf,
  rememberedTunnelRoutes,
  runWatchdog,
  settingsFrom,
} from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const HOUR = 3_600_000;

/** A printer at home only, a NAS everywhere, a server allowed for an hour. */
const settingsWith = (extra: Record<string, unknown> = {}) =>
  settingsFrom({
    vpnServers: ["198.51.100.7:1194/udp"],
    exceptions: [
      { address: "192.168.1.40", label: "Printer", scope: HOME_ID },
      { address: "10.0.0.5", protocol: "tcp", port: 445, label: "NAS" },
      { address: "203.0.113.80", label: "Build server", expiresAt: new Date(Date.now() + HOUR).toISOString() },
    ],
    ...extra,
  });

/** The rules without the "# Built <time> for <network>" line, which records when and where they were made. */
const withoutBuiltLine = (text: string) => text.split("\n").filter((line) => !line.startsWith("# Built "));

describe("buildRuleTemplate", () => {
  it("marks the tunnel lines and the timed lines, and nothing else", async () => {
    const now = new Date("2025-03-01T12:00:00Z");
    const policy = await policyOf(settingsWith());
    const network = macNetworkState({ wifi: "home", vpn: "utun4" });
    const template = buildRuleTemplate({ policy, network, now, captivePortalUntil: new Date(now.getTime() + 300_000) });
    const marked = template.split("\n").filter((line) => line.startsWith("#@@ "));
    expect(marked).toContainEqual(
      `#@@ each-tunnel:pass out quick on ${TUNNEL_PLACEHOLDER} all flags any keep state (if-bound)`,
    );
    expect(marked).toContainEqual(`#@@ tunnels-some:# VPN tunnel: ${TUNNEL_PLACEHOLDER}.`);
    expect(marked).toContainEqual(expect.stringMatching(/^#@@ tunnels-none:# No VPN tunnel is up/));
    const portalEnd = Math.floor(now.getTime() / 1000) + 300;
    expect(marked).toContainEqual(
      `#@@ until=${portalEnd}:pass out quick proto tcp from any to any port { 80, 443 } flags any keep state`,
    );
    expect(marked.filter((line) => line.includes("203.0.113.80"))).toHaveLength(1);
    // The lines of each physical link, its networks and its DHCP server, written once with placeholders.
    expect(marked).toContainEqual(
      `#@@ each-link:pass out quick on ${LINK_PLACEHOLDER} inet proto udp from any port 68 to 255.255.255.255 port 67 keep state`,
    );
    expect(marked).toContainEqual(
      `#@@ each-dhcp:pass out quick on ${LINK_PLACEHOLDER} inet proto udp from any port 68 to ${DHCP_SERVER_PLACEHOLDER} port 67 keep state`,
    );
    expect(withoutBuiltLine(template).join("\n")).not.toMatch(/\ben0\b|192\.168\.1\.0\/24|192\.168\.1\.1 port 67/);
    expect(
      marked.every((line) =>
        /^#@@ (tunnels-none|tunnels-some|each-tunnel|until=\d+|each-link|each-dhcp|network-link(-until=\d+)?):/.test(
          line,
        ),
      ),
    ).toBe(true);
    // Everything else is the builder's text, line for line.
    const plain = template.split("\n").filter((line) => !line.startsWith("#@@ "));
    const built = buildKillSwitchAnchor({
      policy,
      network,
      now,
      captivePortalUntil: new Date(now.getTime() + 300_000),
    });
    for (const line of plain) expect(built.split("\n")).toContain(line);
  });

  it("names the tunnel of the settings as it is, with nothing to fill in", async () => {
    const policy = await policyOf(settingsWith({ tunnelInterface: "utun4" }));
    const input = { policy, network: macNetworkState({ wifi: "home", vpn: null }), now: new Date() };
    expect(
      buildRuleTemplate(input)
        .split("\n")
        .some((line) => /^#@@ (tunnels|each-tunnel)/.test(line)),
    ).toBe(false);
    expect(buildRuleTemplates(input).fixedTunnel).toBe("utun4");
  });

  it("prepares one template per network with its own exceptions, and one for any other", async () => {
    const policy = await policyOf(
      settingsFrom({
        exceptions: [
          { address: "192.168.1.40", scope: HOME_ID },
          { address: "192.168.50.9", scope: CAFE_ID, enabled: false },
          { address: "192.168.77.2" },
        ],
      }),
    );
    // A scope the settings no longer accept (kept from an older version) gets no template.
    policy.exceptions[2] = { ...policy.exceptions[2], scope: "an old, unreadable scope" };
    const templates = buildRuleTemplates({
      policy,
      network: macNetworkState({ wifi: "cafe", vpn: null }),
      now: new Date(),
    });
    expect(templates.networks.map((n) => n.id)).toEqual([HOME_ID]);
    expect(templates.networks[0].rules).toContain("to 192.168.1.40 flags any keep state");
    expect(templates.networks[0].rules).toContain(`# Built `);
    expect(templates.other).not.toContain("192.168.1.40");
    expect(templates.other).toContain("for an unidentified network");
  });
});

describe("parseNetworkIdentityId", () => {
  it("reads back exactly what formatNetworkIdentityId prints", () => {
    const id = formatNetworkIdentityId("192.168.1.1", "7c:10:c9:0:0:90", "192.168.1.0/24");
    expect(parseNetworkIdentityId(id)).toEqual({
      id,
      gatewayIpv4: "192.168.1.1",
      gatewayMac: "7c:10:c9:00:00:90",
      subnet: "192.168.1.0/24",
      label: null,
      security: null,
    });
    expect(parseNetworkIdentityId("gw=10.0.0.1,mac=unknown,net=unknown")?.gatewayMac).toBeNull();
    expect(parseNetworkIdentityId("gw-192.168.1.1-7c10c9000090")).toBeNull();
    expect(parseNetworkIdentityId("gw=10.0.0.1,mac=7C:10:C9:00:00:90,net=unknown")).toBeNull();
  });
});

/**
 * The watchdog fills in tunnels and time. The VPN servers it lets through are those known at Enable: the
 * settings', and while a tunnel is up those seen in the routes then. The builder is asked about the same ones.
 */
describe("the watchdog fills the templates in exactly as the builder writes the rules", () => {
  const cases: { name: string; network: MacNetwork }[] = [
    { name: "home, no VPN (blocking mode)", network: { wifi: "home", vpn: null } },
    { name: "home, VPN on utun4", network: { wifi: "home", vpn: "utun4" } },
    { name: "home, VPN renumbered to utun9", network: { wifi: "home", vpn: "utun9" } },
    { name: "home, two tunnels", network: { wifi: "home", vpn: "utun5", moreTunnels: ["utun12"] } },
  ];

  it("for this network's template, with any tunnels, text for text", async () => {
    const now = new Date();
    const settings = settingsWith();
    const policy = await policyOf(settings);
    const captivePortalUntil = new Date(now.getTime() + 10 * 60_000);
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: null }) });
    const enabledOn = macNetworkState({ wifi: "home", vpn: null });
    const on = await enable(mac, settings, enabledOn, { now, captivePortalUntil });
    for (const { name, network } of cases) {
      const joined = joinNetwork(mac, network);
      const state = { ...joined, endpoints: joined.tunnels.length > 0 ? enabledOn.endpoints : [] };
      const seen = await inspect(mac);
      expect(seen.network, name).toBe(HOME_ID);
      expect(seen.rulesFile, name).toBe("network-1.pf");
      // Only the tunnel carrying the default route is let through; utun12 is up, but some other app's.
      expect(seen.tunnels, name).toBe(state.vpnInterface ?? "");
      expect(seen.rules, name).toBe(buildKillSwitchAnchor({ policy, network: state, now, captivePortalUntil }));
    }
    // The rules Enable loaded are the watchdog's for the network it was on.
    expect(on.rules).toBe(
      buildKillSwitchAnchor({ policy, network: macNetworkState(cases[0].network), now, captivePortalUntil }),
    );
  });

  it("for any other network, with that network's exceptions left out", async () => {
    const now = new Date();
    const settings = settingsWith();
    const policy = await policyOf(settings);
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
    await enable(mac, settings, macNetworkState({ wifi: "home", vpn: "utun4" }), { now });
    for (const network of [
      { wifi: "cafe", vpn: null },
      { wifi: "cafe", vpn: "utun6" },
    ] as const) {
      // The same VPN server: seen in the routes while the tunnel is up, as at Enable.
      const state = joinNetwork(mac, network);
      const seen = await inspect(mac);
      expect(seen.network).toBe(CAFE_ID);
      expect(seen.rulesFile).toBe("other.pf");
      const built = buildKillSwitchAnchor({ policy, network: state, now });
      expect(built).not.toContain("192.168.1.40");
      expect(withoutBuiltLine(seen.rules ?? "")).toEqual(withoutBuiltLine(built));
    }
  });

  it("for the links of the moment: another network's subnets, another interface, the lease's server", async () => {
    const now = new Date();
    const settings = settingsWith({ allowLan: true });
    const policy = await policyOf(settings);
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
    const on = await enable(mac, settings, macNetworkState({ wifi: "home", vpn: "utun4" }), { now });
    expect(on.rules).toContain("pass out quick on en0 inet from any to 192.168.1.0/24 flags any keep state");
    expect(on.rules).toContain("from any port 68 to 192.168.1.1 port 67 keep state");
    const cases: { network: MacNetwork; rulesFile: string; lan: string }[] = [
      {
        network: { wifi: "cafe", vpn: "utun4" },
        rulesFile: "other.pf",
        lan: "on en0 inet from any to 192.168.50.0/24",
      },
      {
        network: { wifi: "cafe", vpn: null },
        rulesFile: "other.pf",
        lan: "on en0 inet from any to 192.168.50.0/24",
      },
      {
        network: { wifi: "home", vpn: "utun4", link: "en7" },
        rulesFile: "network-1.pf",
        lan: "on en7 inet from any to 192.168.1.0/24",
      },
      { network: { wifi: "cafe", vpn: null, link: "bridge100" }, rulesFile: "other.pf", lan: "on bridge100 inet" },
    ];
    for (const { network, rulesFile, lan } of cases) {
      const name = JSON.stringify(network);
      const joined = joinNetwork(mac, network);
      const state = { ...joined, endpoints: joined.tunnels.length > 0 ? joined.endpoints : [] };
      const seen = await inspect(mac);
      expect(seen.rulesFile, name).toBe(rulesFile);
      expect(withoutBuiltLine(seen.rules ?? ""), name).toEqual(
        withoutBuiltLine(buildKillSwitchAnchor({ policy, network: state, now })),
      );
      expect(seen.rules, name).toContain(`pass out quick ${lan}`);
      // The router-advertised global /64 is public address space: never the local network.
      expect(seen.rules, name).not.toMatch(/from any to 2001:db8:/);
      // Nothing of the network or interface Enable was on, unless the Mac is still on it.
      if (network.wifi === "cafe") expect(seen.rules, name).not.toMatch(/192\.168\.1\.0\/24|192\.168\.1\.1 port 67/);
      if (network.link) expect(seen.rules, name).not.toMatch(/\ben0\b/);
      await runWatchdog(mac);
      expectNoLeak(mac, policy, state, now, name);
    }
  });

  it("keeps a part of the LAN the VPN routes into the tunnel off the link, once the VPN is down too", async () => {
    const now = new Date();
    const settings = settingsWith({ allowLan: true });
    const policy = await policyOf(settings);
    const up: MacNetwork = { wifi: "home", vpn: "utun4", routedIntoVpn: ["192.168.1.128/25"] };
    const block = "block return out log (user) quick on en0 inet from any to 192.168.1.128/25";
    mac = createFakeMac({ network: macSnapshot(up) });
    const on = await enable(mac, settings, macNetworkState(up), { now });
    expect(on.rules).toContain(block);
    expect(rememberedTunnelRoutes(mac)).toEqual(["192.168.1.128/25", "10.8.0.0/24"]);
    for (const network of [up, { wifi: "home", vpn: null }, { ...up, vpn: "utun6" }] as MacNetwork[]) {
      const name = JSON.stringify(network);
      const state = joinNetwork(mac, network);
      const seen = await inspect(mac);
      expect(seen.rules, name).toContain(block);
      const remembered = { rememberedTunnelRoutes: rememberedTunnelRoutes(mac) };
      expect(seen.rules, name).toBe(buildKillSwitchAnchor({ policy, network: state, now, ...remembered }));
      await runWatchdog(mac);
      expectNoLeak(mac, policy, state, now, name);
    }
    // Enable again with the VPN down: the recorded routes stand in for the ones the table no longer shows.
    const down = joinNetwork(mac, { wifi: "home", vpn: null });
    expect(down.tunnelRoutes).toEqual([]);
    const again = await enable(mac, settings, down, { now });
    expect(again.rules).toContain(block);
    expect(rememberedTunnelRoutes(mac)).toEqual(["192.168.1.128/25", "10.8.0.0/24"]);
  });

  it("drops a captive portal window, then an exception, once their time is up", async () => {
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
    const start = mac.now();
    const later = (seconds: number) => new Date(start.getTime() + seconds * 1000);
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7:1194/udp"],
      exceptions: [{ address: "203.0.113.80", label: "Build server", expiresAt: later(3600).toISOString() }],
    });
    const policy = await policyOf(settings);
    const network = macNetworkState({ wifi: "home", vpn: "utun4" });
    const on = await enable(mac, settings, network, { now: start, captivePortalUntil: later(600) });
    expect(on.rules).toContain("203.0.113.80");
    expect(on.rules).toContain("port { 80, 443 }");
    // Read once per moment: inspect changes nothing.
    const rules = async () => (await inspect(mac)).rules ?? "";
    const built = (captivePortalUntil: Date | null) =>
      withoutBuiltLine(buildKillSwitchAnchor({ policy, network, now: mac.now(), captivePortalUntil }));
    // The watchdog and the extension agree at every second that matters.
    await mac.advanceClock(599);
    expect(withoutBuiltLine(await rules())).toEqual(built(later(600)));
    await mac.advanceClock(1);
    const portalClosed = await rules();
    expect(withoutBuiltLine(portalClosed)).toEqual(built(null));
    expect(portalClosed).not.toContain("port { 80, 443 }");
    expect(portalClosed).toContain("203.0.113.80");
    await mac.advanceClock(2999);
    expect(await rules()).toContain("203.0.113.80");
    await mac.advanceClock(1);
    const exceptionEnded = await rules();
    expect(withoutBuiltLine(exceptionEnded)).toEqual(built(null));
    expect(exceptionEnded).not.toContain("203.0.113.80");
  });

  it("keeps the tunnel the settings name, whatever comes up", async () => {
    const now = new Date();
    const settings = settingsWith({ tunnelInterface: "utun4" });
    const policy = await policyOf(settings);
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
    await enable(mac, settings, macNetworkState({ wifi: "home", vpn: "utun4" }), { now });
    const state = joinNetwork(mac, { wifi: "home", vpn: "utun5" });
    const seen = await inspect(mac);
    expect(seen.tunnels).toBe("utun4");
    expect(seen.rules).toBe(buildKillSwitchAnchor({ policy, network: state, now }));
    expect(seen.rules).not.toContain("utun5");
  });
});
