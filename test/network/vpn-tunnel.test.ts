import { describe, expect, it } from "vitest";
import { deriveNetworkState } from "../../src/network/derive";
import { tunnelsThatMayBeVpn } from "../../src/network/vpn-tunnel";
import { parseScutilNcList } from "../../src/network/scutil-nc";
import { tunnelsToAllow } from "../../src/pf/anchor";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import {
  L2TP_CONNECTED,
  L2TP_DISCONNECTED,
  L2TP_OVER_PPPOE,
  L2TP_UP,
  PPPOE_CONNECTED,
  PPPOE_VPN_DROPPED,
  IPV6_SPLIT_ONLY,
  PROBE_HOST_ROUTE,
  ncList,
} from "../fakes/ppp-networks";
import { readMacosFixture } from "./fixtures";

const allowed = (snapshot: NetworkSnapshot, trustedTunnels: string[] = []) =>
  tunnelsToAllow({ tunnelOverride: null, trustedTunnels }, deriveNetworkState(snapshot));

describe("which tunnel is the VPN", () => {
  it("takes an ISP's PPPoE link carrying the default route for a network, not the VPN", () => {
    const state = deriveNetworkState(PPPOE_VPN_DROPPED);
    expect(state.defaultInterface).toBe("ppp0");
    expect(state.vpnInterface).toBeNull();
    expect(state.undetermined).toContain(
      "ppp0 carries the routes to the Internet but is not taken for the VPN: no connected L2TP or PPTP VPN service accounts for it; a PPPoE or modem link is blocked like any network (name the VPN's tunnel in Trusted Tunnels if it is one)",
    );
    // The PPPoE service is not a VPN: nothing claims a VPN without its tunnel.
    expect(state.undetermined.some((note) => note.includes('"ISP" reports Connected'))).toBe(false);
    expect(allowed(PPPOE_VPN_DROPPED)).toEqual([]);
    // The user's word makes it one.
    expect(allowed(PPPOE_VPN_DROPPED, ["ppp0"])).toEqual(["ppp0"]);
  });

  it("is blocked without scutil --nc list, and with the L2TP service disconnected", () => {
    expect(allowed({ ...PPPOE_VPN_DROPPED, scutilNcList: undefined })).toEqual([]);
    expect(deriveNetworkState({ ...PPPOE_VPN_DROPPED, scutilNcList: undefined }).undetermined).toContain(
      "ppp0 carries the routes to the Internet but is not taken for the VPN: the VPN services are unknown (scutil --nc list missing); a PPPoE or modem link is blocked like any network (name the VPN's tunnel in Trusted Tunnels if it is one)",
    );
    expect(allowed({ ...PPPOE_VPN_DROPPED, scutilNcList: ncList(L2TP_DISCONNECTED, PPPOE_CONNECTED) })).toEqual([]);
  });

  it("takes macOS's own L2TP VPN on ppp0 for the VPN, the connected service accounting for it", () => {
    const state = deriveNetworkState(L2TP_UP);
    expect(state.vpnInterface).toBe("ppp0");
    expect(allowed(L2TP_UP)).toEqual(["ppp0"]);
  });

  it("leaves L2TP over PPPoE to the user: two ppp links, one VPN service, no telling which", () => {
    const state = deriveNetworkState(L2TP_OVER_PPPOE);
    expect(state.defaultInterface).toBe("ppp1");
    expect(state.vpnInterface).toBeNull();
    expect(state.undetermined).toContain(
      "ppp1 carries the routes to the Internet but is not taken for the VPN: ppp1, ppp0 are up and scutil --nc list does not say which one the VPN uses; a PPPoE or modem link is blocked like any network (name the VPN's tunnel in Trusted Tunnels if it is one)",
    );
    expect(allowed(L2TP_OVER_PPPOE)).toEqual([]);
    expect(allowed(L2TP_OVER_PPPOE, ["ppp1"])).toEqual(["ppp1"]);
  });

  it("counts only connected L2TP and PPTP services for ppp, and never gates utun or ipsec on them", () => {
    const services = (text: string) => parseScutilNcList(text);
    const pptp = readMacosFixture("scutil", "scutil-nc-list_security-growler24_pptp_user-elided.txt");
    expect(tunnelsThatMayBeVpn(["ppp0"], services(pptp))).toEqual([]);
    expect(tunnelsThatMayBeVpn(["ppp0"], services(pptp.replace("(Disconnected)", "(Connected)")))).toEqual(["ppp0"]);
    expect(tunnelsThatMayBeVpn(["ppp0"], services(ncList(PPPOE_CONNECTED)))).toEqual([]);
    expect(tunnelsThatMayBeVpn(["ppp0"], services(ncList(L2TP_CONNECTED)))).toEqual(["ppp0"]);
    const tailscale = readMacosFixture("scutil", "scutil-nc-list_macos-26.5_tailscale19776.txt");
    expect(tunnelsThatMayBeVpn(["utun4", "ipsec0", "ppp0"], services(tailscale))).toEqual(["utun4", "ipsec0"]);
    expect(tunnelsThatMayBeVpn(["utun4"], null)).toEqual(["utun4"]);
  });

  it("follows the routes to the Internet, not a host route the network pushed for the probe address", () => {
    const state = deriveNetworkState(PROBE_HOST_ROUTE);
    expect(state.defaultInterface).toBe("utun4");
    expect(state.vpnInterface).toBe("utun4");
    expect(allowed(PROBE_HOST_ROUTE)).toEqual(["utun4"]);
  });

  it("never makes a tunnel the VPN for a route to one address", () => {
    const snapshot = {
      ...PPPOE_VPN_DROPPED,
      ifconfig: `${PPPOE_VPN_DROPPED.ifconfig}utun7: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1420\n\tinet 10.9.0.2 --> 10.9.0.2 netmask 0xffffffff\n`,
      netstatRoutes: (PPPOE_VPN_DROPPED.netstatRoutes ?? "").replace(
        "Netif Expire\n",
        "Netif Expire\n1.1.1.1/32         10.9.0.2           UGSc                utun7\n",
      ),
      routeGetInternet: (PPPOE_VPN_DROPPED.routeGetInternet ?? "").replace(/ppp0/g, "utun7"),
    };
    expect(deriveNetworkState(snapshot).vpnInterface).toBeNull();
    expect(allowed(snapshot)).toEqual([]);
  });

  it("reads both halves of IPv6 (::/1 + 8000::/1) when IPv4 has no route to the Internet", () => {
    const table = IPV6_SPLIT_ONLY;
    expect(deriveNetworkState({ netstatRoutes: table }).defaultInterface).toBe("utun3");
    const oneHalf = table.replace(/^8000::\/1.*\n/m, "");
    expect(deriveNetworkState({ netstatRoutes: oneHalf }).defaultInterface).toBe("en0");
  });
});
