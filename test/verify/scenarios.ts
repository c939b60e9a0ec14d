/** Settings and network states the verifier tests build rulesets from (NetworkState written out directly). */
import { EMPTY_NETWORK_STATE, type NetworkIdentity, type NetworkState } from "../../src/network/state";
import { type KillSwitchPolicy, resolvePolicy } from "../../src/policy/policy";
import { type SettingsInput, parseSettings } from "../../src/policy/settings";

export const NOW = new Date("2026-11-22T12:00:00Z");
export const HOME = "gw=192.168.1.1,mac=f8:ce:21:39:5b:f4,net=192.168.1.0/24";
export const CAFE = "gw=10.0.0.1,mac=00:11:22:33:44:55,net=10.0.0.0/24";

const identity = (id: string, gateway: string, subnet: string): NetworkIdentity => ({
  id,
  gatewayIpv4: gateway,
  gatewayMac: id.match(/mac=([^,]+)/)?.[1] ?? null,
  subnet,
  label: null,
  security: "WPA2_PSK",
});

const wifi = { name: "en0", ipv4: ["192.168.1.23"], ipv6: ["fe80::1c2a:5ff:fe3b:1"], subnets: ["192.168.1.0/24"] };
const home = {
  physical: [wifi],
  gateway: { ipv4: "192.168.1.1", mac: "f8:ce:21:39:5b:f4", interface: "en0" },
  identity: identity(HOME, "192.168.1.1", "192.168.1.0/24"),
};
const utun4 = { name: "utun4", ipv4: ["10.8.0.2"], ipv6: ["fd00:8::2"] };

export const NETWORKS = {
  vpnUp: {
    ...EMPTY_NETWORK_STATE,
    ...home,
    tunnels: [utun4],
    defaultInterface: "utun4",
    vpnInterface: "utun4",
    endpoints: ["198.51.100.7"],
  },
  /** The VPN dropped: no tunnel, only the physical network (blocking mode). */
  vpnDown: { ...EMPTY_NETWORK_STATE, ...home, defaultInterface: "en0" },
  /** Connecting: the host route to the server exists, the tunnel has no address yet. */
  connecting: { ...EMPTY_NETWORK_STATE, ...home, defaultInterface: "en0", endpoints: ["198.51.100.7"] },
  /** The VPN reconnected on another utun: rules built for utun4 are now stale. */
  renumbered: {
    ...EMPTY_NETWORK_STATE,
    ...home,
    tunnels: [{ ...utun4, name: "utun5" }],
    defaultInterface: "utun5",
    vpnInterface: "utun5",
    endpoints: ["198.51.100.7"],
  },
  /** A USB Ethernet adapter appeared after the rules were built. */
  newPhysical: {
    ...EMPTY_NETWORK_STATE,
    ...home,
    physical: [wifi, { name: "en7", ipv4: ["10.1.2.3"], ipv6: ["fe80::aa:bbff:fecc:1"], subnets: ["10.1.2.0/24"] }],
    tunnels: [utun4],
    defaultInterface: "utun4",
    vpnInterface: "utun4",
    endpoints: ["198.51.100.7"],
  },
  ipv6: {
    ...EMPTY_NETWORK_STATE,
    ...home,
    physical: [{ ...wifi, ipv6: [...wifi.ipv6, "2001:db8:1::23"], subnets: [...wifi.subnets, "2001:db8:1:0::/64"] }],
    tunnels: [{ name: "utun7", ipv4: [], ipv6: ["2001:db8:77::2"] }],
    defaultInterface: "utun7",
    vpnInterface: "utun7",
  },
  ikev2: {
    ...EMPTY_NETWORK_STATE,
    ...home,
    tunnels: [{ name: "ipsec0", ipv4: ["10.10.0.5"], ipv6: [] }],
    defaultInterface: "ipsec0",
    vpnInterface: "ipsec0",
  },
  /** The lease's DHCP server is the router, on the link: renewals pass to it, unicast. */
  leased: {
    ...EMPTY_NETWORK_STATE,
    ...home,
    physical: [{ ...wifi, dhcpServer: "192.168.1.1" }],
    tunnels: [utun4],
    defaultInterface: "utun4",
    vpnInterface: "utun4",
    endpoints: ["198.51.100.7"],
  },
  /** A split tunnel that routes part of the LAN (192.168.1.128/25) and a corporate 10/8 into utun4. */
  splitLan: {
    ...EMPTY_NETWORK_STATE,
    ...home,
    tunnels: [utun4],
    defaultInterface: "utun4",
    vpnInterface: "utun4",
    endpoints: ["198.51.100.7"],
    tunnelRoutes: [
      { network: "192.168.1.128/25", tunnel: "utun4" },
      { network: "10.0.0.0/8", tunnel: "utun4" },
    ],
  },
  /**
   * An attacker's network that calls public space local: en0 at 104.16.1.23 with netmask 0xff000000 (the link
   * counts for 104.16.0.0/16), router 104.16.0.1, and a router-advertised global /64.
   */
  publicLan: {
    ...EMPTY_NETWORK_STATE,
    physical: [
      {
        name: "en0",
        ipv4: ["104.16.1.23"],
        ipv6: ["fe80::1c2a:5ff:fe3b:1", "2001:db8:1a2b:10::23"],
        subnets: ["104.16.0.0/16", "2001:db8:1a2b:10::/64"],
      },
    ],
    gateway: { ipv4: "104.16.0.1", mac: "f8:ce:21:39:5b:f4", interface: "en0" },
    identity: identity("gw=104.16.0.1,mac=f8:ce:21:39:5b:f4,net=104.0.0.0/8", "104.16.0.1", "104.0.0.0/8"),
    tunnels: [utun4],
    defaultInterface: "utun4",
    vpnInterface: "utun4",
    endpoints: ["198.51.100.7"],
  },
  /** A network that hands out a part of what the VPN routes into utun4: 10.20.30.0/24 in 10/8, a ULA /64 in a /48. */
  lanInVpnRoutes: {
    ...EMPTY_NETWORK_STATE,
    physical: [
      {
        name: "en0",
        ipv4: ["10.20.30.23"],
        ipv6: ["fe80::1c2a:5ff:fe3b:1", "fd12:3456:789a:1::23"],
        subnets: ["10.20.30.0/24", "fd12:3456:789a:1::/64"],
      },
    ],
    gateway: { ipv4: "10.20.30.1", mac: "f8:ce:21:39:5b:f4", interface: "en0" },
    identity: identity("gw=10.20.30.1,mac=f8:ce:21:39:5b:f4,net=10.20.30.0/24", "10.20.30.1", "10.20.30.0/24"),
    tunnels: [utun4],
    defaultInterface: "utun4",
    vpnInterface: "utun4",
    endpoints: ["198.51.100.7"],
    tunnelRoutes: [
      { network: "10.0.0.0/8", tunnel: "utun4" },
      { network: "fd12:3456:789a::/48", tunnel: "utun4" },
    ],
  },
  cafe: {
    ...EMPTY_NETWORK_STATE,
    physical: [{ name: "en0", ipv4: ["10.0.0.23"], ipv6: ["fe80::1c2a:5ff:fe3b:1"] }],
    gateway: { ipv4: "10.0.0.1", mac: "00:11:22:33:44:55", interface: "en0" },
    identity: identity(CAFE, "10.0.0.1", "10.0.0.0/24"),
    tunnels: [utun4],
    defaultInterface: "utun4",
    vpnInterface: "utun4",
  },
} satisfies Record<string, NetworkState>;

export type NetworkName = keyof typeof NETWORKS;

const HOSTS: Record<string, string[]> = {
  "vpn.example.net": ["198.51.100.20", "2001:db8:99::20"],
  "nas.home.arpa": ["192.168.1.60"],
};

const exceptions: SettingsInput["exceptions"] = [
  { address: "192.168.1.50", protocol: "tcp", port: 631, scope: HOME, label: "printer" },
  { address: "nas.home.arpa", scope: "all", label: "nas" },
  { address: "10.0.0.9", scope: CAFE, label: "cafe portal" },
  {
    address: "198.51.100.200",
    protocol: "tcp",
    port: "443,8000-8080",
    scope: "all",
    label: "expired",
    expiresAt: "2026-11-01T00:00:00Z",
  },
  { address: "2001:db8:abcd::/48", protocol: "tcp", port: 22, scope: "all", label: "v6 servers", wide: true },
  { address: "198.51.100.250", scope: "all", label: "disabled", enabled: false },
  { address: "192.168.1.10", protocol: "udp", port: "5000-5010", scope: HOME, label: "game" },
];

export const SETTINGS = {
  base: { vpnServers: ["198.51.100.10:1194/udp"] },
  lanAllowed: { vpnServers: ["198.51.100.10:1194/udp"], allowLan: true },
  quiet: { vpnServers: ["vpn.example.net:443/tcp"], allowDiscovery: false, allowAirDrop: false },
  resolvers: { vpnServers: ["198.51.100.10"], dnsResolvers: ["1.1.1.1", "2606:4700:4700::1111"], allowLan: true },
  exceptions: { vpnServers: ["198.51.100.10:51820"], exceptions },
  exceptionsWithLan: { vpnServers: ["198.51.100.10:51820"], exceptions, allowLan: true },
  override: { vpnServers: ["198.51.100.10:1194/udp"], tunnelInterface: "utun9" },
} satisfies Record<string, SettingsInput>;

export type SettingsName = keyof typeof SETTINGS;

export async function policyOf(input: SettingsInput): Promise<KillSwitchPolicy> {
  const parsed = parseSettings(input);
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  const resolved = await resolvePolicy(parsed.settings, async (host) => {
    const addresses = HOSTS[host];
    if (!addresses) throw new Error(`no test address for ${host}`);
    return addresses;
  });
  if (!resolved.ok) throw new Error(resolved.errors.join("; "));
  return resolved.policy;
}
