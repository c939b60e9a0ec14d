import { type Cidr, familyOf, stripZone } from "../address/ip";
import { normalizeMacAddress } from "./mac-address";

/** What the Gateway column holds: an address, `link#N` (directly attached), a MAC (ARP/NDP entry) or a host name. */
export type RouteGateway =
  | { kind: "address"; address: string }
  | { kind: "link"; index: number }
  | { kind: "mac"; mac: string }
  | { kind: "name"; name: string };

export interface NetstatRoute {
  family: "inet" | "inet6";
  /** As printed (`default`, `10.9/24`, `fe80::%utun0/64`, or a host name without `-n`). */
  destination: string;
  /** The destination expanded (`10.9/24` -> 10.9.0.0/24); null when it is a name. */
  network: Cidr | null;
  /** The `%scope` of an IPv6 destination (`fe80::%en0/64` -> en0). */
  zone: string | null;
  gateway: RouteGateway;
  /** Flag letters as printed, e.g. `UGScIg` (`I` = interface-scoped, `H` = host, `S` = static). */
  flags: string;
  netif: string | null;
  expire: string | null;
}

export interface NetstatRoutes {
  ipv4: NetstatRoute[];
  ipv6: NetstatRoute[];
}

export function hasRouteFlag(route: NetstatRoute, flag: string): boolean {
  return route.flags.includes(flag);
}

const INTERFACE_NAME = /^[a-zA-Z][a-zA-Z0-9]*\d$/;
/** Every flag letter netstat prints (netstat.tproj/route.c `bits[]`); a line whose third word is not made of them is no route. */
const ROUTE_FLAGS = /^[UGHRDMmdCXLS123WcBbIiYrg]+$/;

/**
 * Expands netstat's IPv4 shorthand. netstat prints a network with its trailing zero octets cut and adds `/N` only
 * when the mask differs from the classful one (Apple's netstat.tproj `netname`/`domask`), so a bare `169.254` is
 * a /16 and a bare `192.168.1` a /24, while `10.9/24` and `0/1` carry their prefix.
 */
function expandIpv4Destination(text: string, flags: string): Cidr | null {
  if (text === "default") return { family: "inet", address: "0.0.0.0", prefix: 0 };
  const match = text.match(/^(\d{1,3}(?:\.\d{1,3}){0,3})(?:\/(\d{1,2}))?$/);
  if (!match) return null;
  const octets = match[1].split(".").map(Number);
  if (octets.some((octet) => octet > 255)) return null;
  const address = [...octets, 0, 0, 0].slice(0, 4).join(".");
  let prefix: number;
  if (match[2] !== undefined) prefix = Number(match[2]);
  else if (flags.includes("H") || octets.length === 4) prefix = 32;
  else prefix = octets[0] < 128 ? 8 : octets[0] < 192 ? 16 : 24;
  return prefix <= 32 ? { family: "inet", address, prefix } : null;
}

function expandIpv6Destination(text: string): { network: Cidr | null; zone: string | null } {
  if (text === "default") return { network: { family: "inet6", address: "::", prefix: 0 }, zone: null };
  const [addressText, prefixText, ...rest] = text.split("/");
  const at = addressText.indexOf("%");
  const zone = at === -1 ? null : addressText.slice(at + 1);
  const address = stripZone(addressText);
  if (rest.length > 0 || familyOf(address) !== "inet6") return { network: null, zone };
  const prefix = prefixText === undefined ? 128 : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  return { network: prefix <= 128 ? { family: "inet6", address, prefix } : null, zone };
}

function parseGateway(text: string): RouteGateway {
  const link = text.match(/^link#(\d+)$/);
  if (link) return { kind: "link", index: Number(link[1]) };
  const bare = stripZone(text);
  if (familyOf(bare)) return { kind: "address", address: bare };
  const mac = normalizeMacAddress(text);
  if (mac) return { kind: "mac", mac };
  return { kind: "name", name: text };
}

/**
 * Parses `netstat -rn` (and `-rnl`, `-rn -f inet6`, or `-r` with names). Columns after Flags are read by the
 * header line (Refs/Use/Mtu vary with the options); a table cut short, or one without a header, still gives
 * destination, gateway and flags for every row it has.
 */
export function parseNetstatRoutes(text: string): NetstatRoutes {
  const routes: NetstatRoutes = { ipv4: [], ipv6: [] };
  let family: "inet" | "inet6" | null = null;
  let trailingColumns: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "Internet:") {
      family = "inet";
      trailingColumns = [];
      continue;
    }
    if (trimmed === "Internet6:") {
      family = "inet6";
      trailingColumns = [];
      continue;
    }
    const words = trimmed.split(/\s+/);
    if (words[0] === "Destination") {
      trailingColumns = words.slice(3);
      continue;
    }
    if (words.length < 3 || trimmed === "Routing tables") continue;
    const [destination, gatewayText, flags, ...rest] = words;
    if (!ROUTE_FLAGS.test(flags)) continue;
    const rowFamily = family ?? (destination.includes(":") ? "inet6" : "inet");

    let netif: string | null = null;
    let expire: string | null = null;
    const netifAt = trailingColumns.indexOf("Netif");
    if (netifAt !== -1) {
      netif = rest[netifAt] ?? null;
      expire = rest[netifAt + 1] ?? null;
    } else {
      // No header seen: the interface is the first word after Flags that looks like one.
      const at = rest.findIndex((word) => INTERFACE_NAME.test(word));
      if (at !== -1) {
        netif = rest[at];
        expire = rest[at + 1] ?? null;
      }
    }
    if (netif !== null && !INTERFACE_NAME.test(netif)) netif = null;

    const { network, zone } =
      rowFamily === "inet"
        ? { network: expandIpv4Destination(destination, flags), zone: null }
        : expandIpv6Destination(destination);
    const route: NetstatRoute = {
      family: rowFamily,
      destination,
      network,
      zone,
      gateway: parseGateway(gatewayText),
      flags,
      netif,
      expire,
    };
    (rowFamily === "inet" ? routes.ipv4 : routes.ipv6).push(route);
  }
  return routes;
}
