import { type Cidr, addressToBigInt, cidrContains, familyOf, parseCidr } from "../address/ip";
import { isPhysicalInterfaceName } from "./interface-kind";
import { hasRouteFlag, type NetstatRoute, type NetstatRoutes } from "./netstat";
import type { RouteGetResult } from "./route-get";
import type { ScutilNwi } from "./scutil-nwi";
import type { NetworkInterface, TunnelRoute } from "./state";

/** Where the default interface was read from; the weaker sources earn a note in `undetermined`. */
export type DefaultRouteSource = "route-to-internet" | "split-routes" | "default-route" | "route-get-default" | "nwi";

export interface DefaultRoute {
  interface: string;
  source: DefaultRouteSource;
}

export interface PhysicalGatewayRoute {
  ipv4: string;
  interface: string;
}

export interface RoutingInputs {
  routes: NetstatRoutes | null;
  /** `route -n get 1.1.1.1`: what the kernel would do with an Internet-bound packet. */
  routeToInternet: RouteGetResult | null;
  /** `route -n get default`: the `default` entry only, blind to split routes. */
  routeToDefault: RouteGetResult | null;
  nwi: ScutilNwi | null;
}

const isScoped = (route: NetstatRoute) => hasRouteFlag(route, "I");
// Reject (R) and blackhole (B) routes carry no traffic.
const isDiscarding = (route: NetstatRoute) => hasRouteFlag(route, "R") || hasRouteFlag(route, "B");

function isNetwork(route: NetstatRoute, family: "inet" | "inet6", address: string, prefix: number): boolean {
  const network = route.network;
  if (network?.family !== family || network.prefix !== prefix) return false;
  return family === "inet"
    ? network.address === address
    : addressToBigInt(network.address) === addressToBigInt(address);
}

/** The two halves that together replace a family's `default` (OpenVPN, wg-quick), and `default` itself. */
const INTERNET_ROUTES = [
  { family: "inet", halves: ["0.0.0.0", "128.0.0.0"], any: "0.0.0.0" },
  { family: "inet6", halves: ["::", "8000::"], any: "::" },
] as const;

/**
 * The interface of the routes that carry the whole Internet in the table: both halves (`0/1` + `128.0/1`, or
 * `::/1` + `8000::/1`) on one interface, which win over `default` as they are more specific, else the unscoped
 * `default`; IPv4 first, IPv6 when IPv4 has neither. A host or network route for some addresses (one a DHCP
 * server pushed, say) carries only those, so it never decides.
 */
export function findInternetRoute(routes: NetstatRoutes): DefaultRoute | null {
  for (const { family, halves, any } of INTERNET_ROUTES) {
    const table = family === "inet" ? routes.ipv4 : routes.ipv6;
    const unscoped = table.filter((route) => !isScoped(route) && !isDiscarding(route) && route.netif);
    const lower = unscoped.filter((route) => isNetwork(route, family, halves[0], 1));
    const upper = unscoped.filter((route) => isNetwork(route, family, halves[1], 1));
    const split = lower.find((low) => upper.some((high) => high.netif === low.netif));
    if (split?.netif) return { interface: split.netif, source: "split-routes" };
    const fallback = unscoped.find((route) => isNetwork(route, family, any, 0));
    if (fallback?.netif) return { interface: fallback.netif, source: "default-route" };
  }
  return null;
}

/**
 * Picks the interface that carries Internet-bound traffic, strongest evidence first:
 * 1. the routing table's routes for the whole Internet (findInternetRoute);
 * 2. `route -n get 1.1.1.1`, when the table is missing: one address's route, which a host route can bend;
 * 3. `route -n get default`, which misses split routes;
 * 4. the primary interface of `scutil --nwi`, which misses them too.
 * Scoped defaults (flag `I`) only serve sockets bound to their interface, so they never count.
 */
export function findDefaultRoute({ routes, routeToInternet, routeToDefault, nwi }: RoutingInputs): DefaultRoute | null {
  const fromTable = routes ? findInternetRoute(routes) : null;
  if (fromTable) return fromTable;
  if (!routes && routeToInternet?.interface)
    return { interface: routeToInternet.interface, source: "route-to-internet" };
  if (routeToDefault?.interface) return { interface: routeToDefault.interface, source: "route-get-default" };
  const primary = nwi?.ipv4[0];
  if (primary) return { interface: primary.name, source: "nwi" };
  return null;
}

function gatewayFromRouteGet(result: RouteGetResult | null): PhysicalGatewayRoute | null {
  if (!result?.interface || !result.gateway) return null;
  if (!isPhysicalInterfaceName(result.interface) || familyOf(result.gateway) !== "inet") return null;
  return { ipv4: result.gateway, interface: result.interface };
}

/**
 * The IPv4 router of the physical network: the table's default route on a physical interface. While a VPN holds
 * the default route, the physical default stays in the table as a scoped route (`UGScIg`), so scoped defaults
 * are accepted here, after unscoped ones; among several interfaces, `scutil --nwi` rank order decides. Without a
 * table, `route -n get 1.1.1.1`, then `route -n get default`; with one, the probe's route is never asked, as a
 * host route pushed for that one address would name any router on the link.
 */
export function findPhysicalGateway({
  routes,
  routeToInternet,
  routeToDefault,
  nwi,
}: RoutingInputs): PhysicalGatewayRoute | null {
  const direct = routes ? null : gatewayFromRouteGet(routeToInternet);
  if (direct) return direct;
  if (routes) {
    const rank = (name: string) => {
      const at = nwi?.ipv4.findIndex((state) => state.name === name) ?? -1;
      return at === -1 ? Number.MAX_SAFE_INTEGER : at;
    };
    const candidates = routes.ipv4
      .filter((route) => isNetwork(route, "inet", "0.0.0.0", 0) && !isDiscarding(route))
      .filter((route) => route.gateway.kind === "address" && familyOf(route.gateway.address) === "inet")
      .filter((route) => route.netif !== null && isPhysicalInterfaceName(route.netif))
      .map((route, order) => ({ route, order }))
      .sort(
        (a, b) =>
          Number(isScoped(a.route)) - Number(isScoped(b.route)) ||
          rank(a.route.netif ?? "") - rank(b.route.netif ?? "") ||
          a.order - b.order,
      );
    const best = candidates[0]?.route;
    if (best && best.gateway.kind === "address" && best.netif) {
      return { ipv4: best.gateway.address, interface: best.netif };
    }
  }
  return gatewayFromRouteGet(routeToDefault);
}

const NOT_REMOTE = [
  "0.0.0.0/8",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "224.0.0.0/4",
  // Class E, where macOS VPN placeholders such as 254.x live, plus 255.255.255.255.
  "240.0.0.0/4",
  "::/128",
  "::1/128",
  "fe80::/10",
  "ff00::/8",
]
  .map(parseCidr)
  .filter((cidr): cidr is Cidr => cidr !== null);

/** True for an address a VPN server could have: not loopback, link-local, multicast, reserved or unspecified. */
export function isRemoteAddress(address: string): boolean {
  return (
    familyOf(address) !== null && !address.includes("%") && !NOT_REMOTE.some((cidr) => cidrContains(cidr, address))
  );
}

/**
 * VPN server addresses betrayed by host routes: OpenVPN, wg-quick and strongSwan pin the server to the physical
 * router with a static /32 (or /128) before moving the default into the tunnel, so the tunnel can carry its own
 * transport. Cloned (W), ARP/NDP (L), reject and blackhole routes are not such pins.
 */
export function findEndpointHostRoutes(routes: NetstatRoutes, localNetworks: readonly Cidr[]): string[] {
  const endpoints: string[] = [];
  for (const route of [...routes.ipv4, ...routes.ipv6]) {
    const network = route.network;
    if (!network || network.prefix !== (network.family === "inet" ? 32 : 128)) continue;
    if (!hasRouteFlag(route, "G") || !hasRouteFlag(route, "S")) continue;
    if (hasRouteFlag(route, "W") || hasRouteFlag(route, "L") || isDiscarding(route)) continue;
    if (route.gateway.kind !== "address" || !route.netif || !isPhysicalInterfaceName(route.netif)) continue;
    if (!isRemoteAddress(network.address) || network.address === route.gateway.address) continue;
    // A destination on a directly attached network is a LAN host, not something reached through the router.
    if (localNetworks.some((local) => cidrContains(local, network.address))) continue;
    endpoints.push(network.address);
  }
  return endpoints;
}

/** Ranges that are the link's own business, never a network the VPN carries: multicast and link-local. */
const LINK_SCOPED: Cidr[] = ["224.0.0.0/4", "169.254.0.0/16", "ff00::/8", "fe80::/10"]
  .map(parseCidr)
  .filter((cidr): cidr is Cidr => cidr !== null);

/**
 * The networks routed into a VPN tunnel (a split tunnel's corporate 10.x, a host pinned to it), as
 * `address/prefix`: the local network must never pass them outside the tunnel, whichever of the two holds the
 * other (a corporate 10.0.0.0/8 holds the 10.20.30.0/24 a network hands out). Left out: the tunnel's own
 * addresses, multicast and link-local, and the routes that carry the Internet (the default, 0/1 + 128.0/1,
 * ::/1 + 8000::/1): they hold every network, and the local network is what the user keeps out of them.
 */
export function findTunnelRoutes(routes: NetstatRoutes, tunnels: readonly NetworkInterface[]): TunnelRoute[] {
  const byName = new Map(tunnels.map((tunnel) => [tunnel.name, tunnel]));
  const found = new Map<string, TunnelRoute>();
  for (const route of [...routes.ipv4, ...routes.ipv6]) {
    const network = route.network;
    const tunnel = route.netif ? byName.get(route.netif) : undefined;
    if (!network || !tunnel || isDiscarding(route)) continue;
    if (network.prefix <= 1) continue;
    if (LINK_SCOPED.some((scope) => scope.family === network.family && cidrContains(scope, network.address))) continue;
    const own = [...tunnel.ipv4, ...tunnel.ipv6].includes(network.address);
    if (own && network.prefix === (network.family === "inet" ? 32 : 128)) continue;
    const text = `${network.address}/${network.prefix}`;
    found.set(`${text} ${tunnel.name}`, { network: text, tunnel: tunnel.name });
  }
  return [...found.values()];
}
