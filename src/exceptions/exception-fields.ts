import type * as z from "zod/mini";
import { formatCidr, parseCidr } from "../address/ip";
import { describeAddressCount, exceptionWidth } from "../policy/exception-width";
import type { HostLookup } from "../policy/policy";
import { exceptionSchema, exceptionsOverPublicCap, scopedAddressProblem } from "../policy/settings";
import { parseNetworkIdentityId } from "../network/identity";
import type { StoredException } from "./stored-exceptions";

/** The network the Mac is on, as far as an exception's scope goes: its identity id and how its link is protected. */
export interface ScopeNetwork {
  id: string | null;
  /** `WPA2_PSK`, `wired` (network/identity.ts); absent or null when unknown. */
  security?: string | null;
}

/** What the Add/Edit Exception form holds; every field is text, as Raycast forms give it. */
export interface ExceptionFormValues {
  address: string;
  protocol: string;
  port: string;
  scope: string;
  label: string;
  expiry: string;
}

export const EXPIRY_CHOICES = [
  { value: "never", title: "Never", ms: null },
  { value: "1h", title: "In 1 Hour", ms: 3_600_000 },
  { value: "1d", title: "In 1 Day", ms: 86_400_000 },
] as const;
/** Editing an exception that already expires: keep its expiry as it is. */
export const KEEP_EXPIRY = "keep";

export const PROTOCOL_CHOICES = [
  { value: "any", title: "Any Protocol" },
  { value: "tcp", title: "TCP" },
  { value: "udp", title: "UDP" },
] as const;

/** Field rules come from the settings schema (one source of truth); the message names the bad value. */
const shape = exceptionSchema.shape;

/** The first problem zod/mini finds with `value`, in words that name the value (zod/mini ships no messages). */
function schemaError(schema: z.ZodMiniType, value: unknown): string | undefined {
  const result = schema.safeParse(value);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  if (issue.code === "invalid_value") {
    return `${JSON.stringify(value)} is not one of: ${issue.values.map((v) => String(v)).join(", ")}`;
  }
  if (issue.code === "invalid_type") return `expected ${issue.expected}, got ${JSON.stringify(value)}`;
  return issue.message;
}

export const exceptionFieldValidation = {
  address: (value: string | undefined): string | undefined => {
    if (!value?.trim()) return "Enter an IP address, a CIDR network (192.168.1.0/24) or a host name";
    return schemaError(shape.address, value.trim());
  },
  protocol: (value: string | undefined): string | undefined => schemaError(shape.protocol, value),
  port: (value: string | undefined): string | undefined => {
    if (!value?.trim()) return undefined;
    return schemaError(shape.port, value.trim());
  },
  scope: (value: string | undefined): string | undefined =>
    value ? schemaError(shape.scope, value) : "Choose this network or all networks",
  label: (value: string | undefined): string | undefined =>
    (value ?? "").length > 60 ? "Keep the label under 60 characters" : schemaError(shape.label, value ?? ""),
  expiry: (value: string | undefined): string | undefined =>
    value === KEEP_EXPIRY || EXPIRY_CHOICES.some((choice) => choice.value === value)
      ? undefined
      : `${JSON.stringify(value)} is not one of: never, 1h (in 1 hour), 1d (in 1 day)`,
};

/** Every field's error (only the fields that have one). */
export function validateExceptionForm(values: ExceptionFormValues): Partial<Record<keyof ExceptionFormValues, string>> {
  const errors: Partial<Record<keyof ExceptionFormValues, string>> = {};
  for (const field of Object.keys(exceptionFieldValidation) as (keyof ExceptionFormValues)[]) {
    const error = exceptionFieldValidation[field](values[field]);
    if (error) errors[field] = error;
  }
  const scoped = errors.address || errors.scope ? null : scopedAddressProblem(values.address, values.scope);
  if (scoped) errors.address = scoped;
  return errors;
}

/**
 * Whether "This Network" is worth offering first: its router's MAC is known. Without it the identity is a router
 * address and a subnet that thousands of homes share, so an exception for it would follow the Mac to all of them.
 */
export function recognisableNetwork(network: Pick<ScopeNetwork, "id"> | null): boolean {
  const identity = network?.id ? parseNetworkIdentityId(network.id) : null;
  return identity !== null && identity.gatewayMac !== null;
}

/** Shown beside the choice of network when the router's MAC is unknown; null when it is known or there is no network. */
export function unrecognisableNetworkWarning(network: Pick<ScopeNetwork, "id"> | null): string | null {
  if (!network?.id || recognisableNetwork(network)) return null;
  return "The router's MAC address is unknown, so this network is recognised only by its router's address and subnet, which many networks share: an exception for This Network would apply on all of them.";
}

/** The form's starting values: blank for a new exception, scoped to this network when it can be recognised. */
export function initialFormValues(network: ScopeNetwork | null, existing?: StoredException): ExceptionFormValues {
  if (existing) {
    return {
      address: existing.address,
      protocol: existing.protocol,
      port: existing.port === undefined ? "" : String(existing.port),
      scope: existing.scope,
      label: existing.label,
      expiry: existing.expiresAt ? KEEP_EXPIRY : "never",
    };
  }
  const scope = network?.id && recognisableNetwork(network) ? network.id : "all";
  return { address: "", protocol: "any", port: "", scope, label: "", expiry: "never" };
}

/**
 * A host name must resolve now: once the kill switch is on, names outside the tunnel can no longer be looked up.
 * For one network (`scope`), the target must be private, resolved or not. Returns the error for the target
 * field, or undefined when it is fine.
 */
export async function checkTargetResolves(
  address: string,
  lookup: HostLookup,
  scope = "all",
): Promise<string | undefined> {
  const target = address.trim();
  if (parseCidr(target)) return scopedAddressProblem(target, scope) ?? undefined;
  try {
    const addresses = await lookup(target);
    if (addresses.length === 0) return `"${target}" did not resolve to any address`;
    // An exception for one network passes private addresses only: a name for a public one needs All Networks.
    const outside = addresses.find((found) => scopedAddressProblem(found, scope) !== null);
    return outside
      ? `"${target}" resolves to ${outside}, a public address: an exception for one network passes only private and link-local addresses; to pass it, use All Networks`
      : undefined;
  } catch (error) {
    const reason = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);
    return `"${target}" could not be resolved (${reason})`;
  }
}

/**
 * How the scoped network's link is protected, recorded with the exception: read now when it is for this network,
 * else kept from the exception being edited when its network did not change.
 */
function scopeSecurityFor(
  scope: string,
  network: ScopeNetwork | null | undefined,
  existing: StoredException | undefined,
): string | undefined {
  if (scope === "all") return undefined;
  if (network?.id === scope && network.security) return network.security;
  return existing?.scope === scope ? existing.scopeSecurity : undefined;
}

/** Turns valid form values into the stored exception (validated again by the schema, which fills defaults). */
export function exceptionFromForm(
  values: ExceptionFormValues,
  options: {
    id: string;
    now: Date;
    existing?: StoredException;
    wide?: boolean;
    /** The network the Mac is on: its link security is recorded with an exception for it. */
    network?: ScopeNetwork | null;
  },
): StoredException {
  const choice = EXPIRY_CHOICES.find((c) => c.value === values.expiry);
  const expiresAt =
    values.expiry === KEEP_EXPIRY
      ? (options.existing?.expiresAt ?? null)
      : choice?.ms
        ? new Date(options.now.getTime() + choice.ms).toISOString()
        : null;
  const scopeSecurity = scopeSecurityFor(values.scope, options.network, options.existing);
  const parsed = exceptionSchema.parse({
    id: options.id,
    address: values.address.trim(),
    protocol: values.protocol,
    ...(values.port.trim() ? { port: values.port.replace(/\s+/g, "") } : {}),
    scope: values.scope,
    ...(scopeSecurity ? { scopeSecurity } : {}),
    label: values.label.trim(),
    expiresAt,
    enabled: options.existing?.enabled ?? true,
    ...(options.wide ? { wide: true } : {}),
  });
  return { ...parsed, id: options.id };
}

/**
 * For a network wider than a /24 (IPv4) or /64 (IPv6): the confirmation to ask, saying how many addresses it
 * opens outside the VPN; null when the target needs none (a host, a small subnet, a host name).
 */
export function wideExceptionQuestion(address: string): { title: string; message: string } | null {
  const cidr = parseCidr(address.trim());
  if (!cidr || exceptionWidth(cidr) !== "wide") return null;
  const count = describeAddressCount(cidr);
  return {
    // Title case, as Raycast's alerts read: "Open 65,536 Addresses Outside the VPN?"
    title: `Open ${count.replace(/\baddresses\b/, "Addresses")} Outside the VPN?`,
    message: `${formatCidr(cidr)} is wider than a home or office subnet: traffic to all ${count} leaves outside the tunnel, where the network can see it.`,
  };
}

/**
 * The cap on the public space all exceptions open together, checked for `address` saved (or enabled) as the
 * exception `id` among the stored ones: the settings' own message, or undefined when it fits.
 */
export function publicSpaceCapError(
  address: string,
  id: string | undefined,
  stored: readonly Pick<StoredException, "id" | "address" | "enabled">[],
): string | undefined {
  // This one last, so that the message names it rather than one saved before.
  const list = [...stored.filter((e) => e.id !== id), { address: address.trim(), enabled: true }];
  return exceptionsOverPublicCap(list)?.message;
}
