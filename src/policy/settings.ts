import * as z from "zod/mini";
import { isIpAddress, parseCidr } from "../address/ip";
import { isLocalNetwork } from "../address/local-space";
import { WIRED_LINK, parseNetworkIdentityId } from "../network/identity";
import {
  exceptionWidth,
  exceptionWidthProblem,
  findPublicSpaceExcess,
  indexCompletingDefaultRoute,
} from "./exception-width";

/** The transport protocols a VPN server or an exception can name. */
export const TRANSPORTS = ["tcp", "udp"] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface PortRange {
  from: number;
  to: number;
}

/** How a VPN reaches its server: a transport on one port, or IKEv2 (udp 500 and 4500, and ESP). */
export type ServerProtocol = Transport | "ikev2";

/**
 * A VPN server as the user wrote it: `IP`, `IP:port/proto`, `[IPv6]:port/proto`, `IP/ikev2`, or a host name
 * (optionally `:port/proto` or `/ikev2`).
 */
export interface VpnServerSpec {
  host: string;
  port?: number;
  protocol?: ServerProtocol;
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const TUNNEL_NAME = /^(utun|tun|tap|ipsec|ppp)\d{1,4}$/;

export function isHostName(text: string): boolean {
  return HOST_NAME.test(text) && !/^[\d.]+$/.test(text);
}

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** Parses one VPN server entry; returns null when it is none of the accepted forms. */
export function parseVpnServer(text: string): VpnServerSpec | null {
  const trimmed = text.trim();
  const ikev2 = /^(.+)\/ikev2$/i.exec(trimmed);
  if (ikev2) {
    const host = ikev2[1];
    if (isIpAddress(host) && !host.includes("%")) return { host, protocol: "ikev2" };
    return isHostName(host) ? { host: host.replace(/\.$/, ""), protocol: "ikev2" } : null;
  }
  if (isIpAddress(trimmed) && !trimmed.includes("%")) return { host: trimmed };
  if (isHostName(trimmed)) return { host: trimmed.replace(/\.$/, "") };
  const match = trimmed.match(/^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)(?:\/(tcp|udp))?$/i);
  if (!match) return null;
  const host = match[1] ?? match[2];
  const port = parsePort(match[3]);
  if (port === null) return null;
  // A scoped address (`fe80::1%en0`) names a link, not a server pf can pass by address.
  if (match[1] !== undefined && (!isIpAddress(host) || host.includes("%"))) return null;
  if (match[2] !== undefined && !isIpAddress(host) && !isHostName(host)) return null;
  const protocol = match[4]?.toLowerCase() as Transport | undefined;
  return protocol ? { host, port, protocol } : { host, port };
}

/** Parses `631`, `80,443`, `8000-8080` (or a number); null when any part is not a valid port or range. */
export function parsePorts(value: number | string): PortRange[] | null {
  const parts = String(value)
    .split(",")
    .map((part) => part.trim());
  const ranges: PortRange[] = [];
  for (const part of parts) {
    const [fromText, toText, ...rest] = part.split("-");
    if (rest.length > 0) return null;
    const from = parsePort(fromText);
    const to = toText === undefined ? from : parsePort(toText);
    if (from === null || to === null || to < from) return null;
    ranges.push({ from, to });
  }
  return ranges;
}

/** True for an exception target: an IPv4/IPv6 address, a CIDR network, or a host name. */
export function isExceptionTarget(text: string): boolean {
  return parseCidr(text) !== null || isHostName(text);
}

/** A value in a message: strings and numbers as JSON (cut short), anything else by its kind, never recursing. */
const quote = (value: unknown): string => {
  if (typeof value === "string") {
    const text = JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
    return text.replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  }
  if (value === undefined) return "nothing";
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return "an object";
  return typeof value;
};

const vpnServerSchema = z.string().check(
  z.refine((text) => parseVpnServer(text) !== null, {
    error: (issue) => `${quote(issue.input)} is not an IP address, IP:port/proto, IP/ikev2, or host name`,
  }),
);

const resolverSchema = z.string().check(
  z.refine((text) => isIpAddress(text.trim()) && !text.includes("%"), {
    error: (issue) => `${quote(issue.input)} is not an IPv4 or IPv6 address`,
  }),
);

const confirmedNameSchema = z.string().check(
  z.refine((text) => isHostName(text) && !text.endsWith("."), {
    error: (issue) => `${quote(issue.input)} is not a host name`,
  }),
);

const portSchema = z.union([z.number(), z.string()]).check(
  z.refine((value) => parsePorts(value) !== null, {
    error: (issue) => `${quote(issue.input)} is not a port (1-65535), a list (80,443) or a range (8000-8080)`,
  }),
);

/** ISO 8601 with a time and a time zone (`2026-12-01T18:00:00Z`): "1" or a bare date mean different things to different readers. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const isoDate = z.string().check(
  z.refine((text) => ISO_DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)), {
    error: (issue) =>
      `${quote(issue.input)} is not a date and time with a time zone (ISO 8601, such as 2026-12-01T18:00:00Z)`,
  }),
);

/** `all`, or a network's identity as `preview` prints it (`gw=192.168.1.1,mac=...,net=192.168.1.0/24`). */
const scopeSchema = z.string().check(
  z.refine((text) => text === "all" || parseNetworkIdentityId(text) !== null, {
    error: (issue) =>
      `${quote(issue.input)} is not "all" or a network identity such as gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24 (preview prints this network's)`,
  }),
);

/** A security mode as network/identity.ts records it: `wired`, or a Wi-Fi mode in upper case (`WPA2_PSK`). */
const scopeSecuritySchema = z.string().check(
  z.refine((text) => text === WIRED_LINK || /^[A-Z0-9_]{1,40}$/.test(text), {
    error: (issue) =>
      `${quote(issue.input)} is not a link security mode such as WPA2_PSK or wired (Add Exception records it)`,
  }),
);

/** A network too wide to be an exception at all; the field's own check, so a form can say so as it is left. */
function tooWide(text: string): boolean {
  const cidr = parseCidr(text.trim());
  return cidr !== null && exceptionWidth(cidr) === "too-wide";
}

export const exceptionSchema = z
  .strictObject({
    id: z.optional(z.string()),
    address: z.string().check(
      z.refine((text) => isExceptionTarget(text.trim()), {
        error: (issue) => `${quote(issue.input)} is not an IPv4/IPv6 address, CIDR network or host name`,
      }),
      z.refine((text) => !tooWide(text), {
        error: (issue) => {
          const cidr = parseCidr(String(issue.input).trim());
          return `${quote(issue.input)} ${cidr ? exceptionWidthProblem(cidr, true) : "is too wide"}`;
        },
      }),
    ),
    /** Confirms an exception wider than a /24 (IPv4) or /64 (IPv6). */
    wide: z.optional(z.boolean()),
    protocol: z._default(z.enum(["tcp", "udp", "any"]), "any"),
    port: z.optional(portSchema),
    /** `all` for every network, otherwise a network identity id (see network/identity). */
    scope: z._default(scopeSchema, "all"),
    /**
     * How the scoped network's link was protected when the exception was added (`WPA2_PSK`, `wired`): it then
     * applies only on a link protected the same way. Without it: only on a wired link or a Wi-Fi that needs a key.
     */
    scopeSecurity: z.optional(scopeSecuritySchema),
    label: z._default(z.string(), ""),
    expiresAt: z.optional(z.nullable(isoDate)),
    enabled: z._default(z.boolean(), true),
  })
  .check(
    z.superRefine((exception, context) => {
      const cidr = parseCidr(exception.address.trim());
      if (!cidr || exceptionWidth(cidr) !== "wide" || exception.wide) return;
      context.issues.push({
        code: "custom",
        path: ["address"],
        input: exception.address,
        message: `${quote(exception.address)} ${exceptionWidthProblem(cidr, false)}`,
      });
    }),
    z.superRefine((exception, context) => refusePublicScoped(exception, context)),
  );

/**
 * An exception for one network passes only on that network's link, to what can sit there: private, link-local
 * and unique-local addresses. A public one reached through a copied network would leave in the clear.
 */
function refusePublicScoped(exception: { address: string; scope: string }, context: z.core.$RefinementCtx) {
  const message = scopedAddressProblem(exception.address, exception.scope);
  if (message) context.issues.push({ code: "custom", path: ["address"], input: exception.address, message });
}

/** Why an exception for one network cannot pass `address` (a public one), or null when it can. */
export function scopedAddressProblem(address: string, scope: string): string | null {
  const cidr = parseCidr(address.trim());
  if (scope === "all" || !cidr || isLocalNetwork(cidr)) return null;
  return `${quote(address)} is a public address: an exception for one network passes only private and link-local addresses on that network's link; to pass it, use All Networks (scope "all")`;
}

/**
 * Where the exceptions, together, open more public space than one of the widest may (see exception-width). Every
 * enabled one counts, expired and other networks' included: the watchdog switches those in as the Mac moves,
 * without asking. A disabled one counts once it is enabled again, which checks this anew.
 */
export function exceptionsOverPublicCap(
  exceptions: readonly { address: string; enabled?: boolean }[],
): { index: number; message: string } | null {
  // A network too wide on its own is already refused by its field; this catches the ones that add up.
  const counted = exceptions.map((e) =>
    e.enabled === false || tooWide(e.address) ? null : parseCidr(e.address.trim()),
  );
  const excess = findPublicSpaceExcess(counted);
  if (!excess) return null;
  return { index: excess.index, message: `${quote(exceptions[excess.index].address)} ${excess.message}` };
}

/** Exceptions that add up to more public space than the cap, or to every address of a family, are refused. */
function refuseExceptionsAddingUp(
  exceptions: readonly { address: string; enabled: boolean }[],
  context: z.core.$RefinementCtx,
) {
  const excess = exceptionsOverPublicCap(exceptions);
  if (excess) {
    context.issues.push({
      code: "custom",
      path: ["exceptions", excess.index, "address"],
      input: exceptions[excess.index].address,
      message: excess.message,
    });
    return;
  }
  // Disabled ones too: a default route is one toggle away.
  const narrowEnough = exceptions.map((e) => (tooWide(e.address) ? null : parseCidr(e.address.trim())));
  const index = indexCompletingDefaultRoute(narrowEnough);
  if (index === null) return;
  context.issues.push({
    code: "custom",
    path: ["exceptions", index, "address"],
    input: exceptions[index].address,
    message: `${quote(exceptions[index].address)} completes a default route: together with the exceptions before it, it covers every address, so nothing would stay inside the VPN`,
  });
}

export const settingsSchema = z
  .strictObject({
    vpnServers: z._default(z.array(vpnServerSchema), []),
    /** Tunnels let through besides the one that carries the default route (a second VPN, Tailscale). */
    trustedTunnels: z._default(
      z.array(
        z.string().check(
          z.refine((text) => TUNNEL_NAME.test(text.trim()), {
            error: (issue) => `${quote(issue.input)} is not a tunnel interface name such as utun4, ipsec0 or ppp0`,
          }),
        ),
      ),
      [],
    ),
    tunnelInterface: z._default(
      z.string().check(
        z.refine((text) => text.trim() === "" || TUNNEL_NAME.test(text.trim()), {
          error: (issue) => `${quote(issue.input)} is not a tunnel interface name such as utun4, ipsec0 or ppp0`,
        }),
      ),
      "",
    ),
    allowLan: z._default(z.boolean(), false),
    allowDiscovery: z._default(z.boolean(), true),
    allowAirDrop: z._default(z.boolean(), true),
    dnsResolvers: z._default(z.array(resolverSchema), []),
    exceptions: z._default(z.array(exceptionSchema), []),
    /**
     * The user's word for host names resolved outside the VPN to public addresses: the addresses each name may
     * be passed to. A name answering anything else is asked about again.
     */
    confirmedAddresses: z._default(z.record(confirmedNameSchema, z.array(resolverSchema)), {}),
    authentication: z._default(z.enum(["password", "touchid"]), "password"),
    protectFromStartup: z._default(z.boolean(), true),
    /** Megabytes the record of blocked traffic may take (a rotating capture, root's side); 0: no record. */
    blockedTrafficLog: z._default(
      z.number().check(
        z.refine((n) => Number.isInteger(n) && n >= 0 && n <= 1000, {
          error: (issue) => `${quote(issue.input)} is not a whole number of megabytes from 0 (no record) to 1000`,
        }),
      ),
      10,
    ),
  })
  .check(z.superRefine((settings, context) => refuseExceptionsAddingUp(settings.exceptions, context)));

export type Settings = z.infer<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type ExceptionSetting = z.infer<typeof exceptionSchema>;

/** One problem with the settings: the field (`exceptions[0].scope`), its value as a message quotes it, and why. */
export interface SettingsProblem {
  field: string;
  value: string | null;
  message: string;
}

export type SettingsResult =
  { ok: true; settings: Settings } | { ok: false; errors: string[]; problems?: SettingsProblem[] };

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    "",
  );
}

/** Our own refinements already quote the value; zod/mini's built-in issues get a plain-English message here. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const got = "input" in issue ? `, got ${quote(issue.input)}` : "";
  switch (issue.code) {
    case "custom":
      return issue.message;
    case "invalid_type":
      return `expected ${issue.expected}${got}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => quote(v)).join(", ")}${got}`;
    case "invalid_key":
      // A record's key: its own check's message names it.
      return issue.issues[0]?.message ?? `${quote(issue.input)} is not a valid key`;
    case "unrecognized_keys":
      return `unknown field(s) ${issue.keys.map((k) => quote(k)).join(", ")}`;
    default:
      return `${issue.message}${got}`;
  }
}

/** Validates settings from any source (config file, preferences); each error names the field and the bad value. */
export function parseSettings(input: unknown): SettingsResult {
  const result = settingsSchema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, settings: result.data };
  const problems = result.error.issues.map((issue) => ({
    field: formatPath(issue.path) || "settings",
    value: "input" in issue ? quote(issue.input) : null,
    message: describeIssue(issue),
  }));
  return { ok: false, errors: problems.map((p) => `${p.field}: ${p.message}`), problems };
}

export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});
