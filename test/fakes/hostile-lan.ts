/**
 * Networks that lie about what is local, built from the embedded sample Mac (or any snapshot of it): one that
 * gives en0 a public /8 (TunnelCrack's LocalNet attack), one that hands out a private subnet inside a range
 * the VPN routes into its tunnel. Each is the command output a snapshot directory or the fake Mac serves.
 */
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { mapText } from "./networks";

/** The sample's home network renumbered: en0 at ADDRESS with MASK, router ROUTER, the rest of the LAN alike. */
function renumbered(snapshot: NetworkSnapshot, to: { lan: string; address: string; router: string; mask: string }) {
  const base = to.lan.replace(/\.0$/, "");
  return mapText(snapshot, (text) =>
    text
      .replace(/netmask 0xffffff00 broadcast 192\.168\.1\.255/g, `netmask ${to.mask} broadcast ${base}.255`)
      .replace(/: 255\.255\.255\.0$/gm, `: ${to.mask}`)
      .replace(/192\.168\.1\.23\b/g, to.address)
      .replace(/192\.168\.1\.1\b/g, to.router)
      .replace(/192\.168\.1\.(\d+)\b/g, `${base}.$1`)
      .replace(/^192\.168\.1 /gm, `${base.padEnd(9)} `),
  );
}

/**
 * Case 2 of the attacker's network: en0 `inet 104.16.1.23 netmask 0xff000000`, router 104.16.0.1, and (as in
 * the sample) a router-advertised global /64, 2001:db8:1a2b:10::/64: public address space called local.
 */
export function publicLanSnapshot(snapshot: NetworkSnapshot = SAMPLE_SNAPSHOT): NetworkSnapshot {
  return renumbered(snapshot, { lan: "104.16.1.0", address: "104.16.1.23", router: "104.16.0.1", mask: "0xff000000" });
}

/** The ULA /64 case 8 gives en0, and the VPN's /48 that holds it. */
export const ULA_LAN = "fd12:3456:789a:1::/64";
export const ULA_VPN_ROUTE = "fd12:3456:789a::/48";

/**
 * Case 8: the network hands out 10.20.30.0/24 (and the ULA /64 above) while the VPN routes 10.0.0.0/8 and the
 * ULA /48 into utun4 (with the VPN up; `snapshot` without a VPN keeps the LAN and drops nothing else).
 */
export function lanInsideVpnRoutesSnapshot(snapshot: NetworkSnapshot = SAMPLE_SNAPSHOT): NetworkSnapshot {
  const lan = renumbered(snapshot, {
    lan: "10.20.30.0",
    address: "10.20.30.23",
    router: "10.20.30.1",
    mask: "0xffffff00",
  });
  const ifconfig = (lan.ifconfig ?? "").replace(
    /(\tinet 10\.20\.30\.23 [^\n]*\n)/,
    "$1\tinet6 fd12:3456:789a:1:1849:8e2:c3d1:5a07 prefixlen 64 autoconf secured\n",
  );
  const routes = (lan.netstatRoutes ?? "")
    .replace(/^(0\/1 [^\n]*utun4\n)/m, "$110                 10.8.0.1           UGSc                utun4\n")
    .replace(
      /^(Destination {2,}Gateway[^\n]*\n)(?=default {10,})/m,
      `$1${ULA_VPN_ROUTE.padEnd(40)}fe80::1%utun4                           UGSc                utun4\n`,
    );
  return { ...lan, ifconfig, netstatRoutes: routes };
}
