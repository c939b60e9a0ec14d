import { isExceptionActive } from "../../policy/policy";
import type { ExceptionSetting } from "../../policy/settings";
import type { NetworkSummary } from "../stores/snapshot-cache";

type ExceptionFields = Pick<
  ExceptionSetting,
  "address" | "label" | "protocol" | "port" | "scope" | "scopeSecurity" | "expiresAt" | "enabled"
>;

/** "12 min", "3 h", "2 d": how long until `until`, rounded up; "less than a minute" under 60 s. */
export function formatTimeLeft(until: Date, now: Date): string {
  const ms = until.getTime() - now.getTime();
  if (ms < 60_000) return "less than a minute";
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

/** The name people gave it, else what it points at. */
export function exceptionTitle(e: ExceptionFields): string {
  return e.label.trim() || e.address.trim();
}

/** "TCP 631", "UDP 5353", "TCP and UDP 80,443", "All traffic". */
export function describeTraffic(e: ExceptionFields): string {
  const port = e.port === undefined || String(e.port).trim() === "" ? "" : ` ${String(e.port).replace(/\s+/g, "")}`;
  if (e.protocol === "any") return port ? `TCP and UDP${port}` : "All traffic";
  return `${e.protocol.toUpperCase()}${port}`;
}

export function isExpired(e: ExceptionFields, now: Date): boolean {
  return !!e.expiresAt && Date.parse(e.expiresAt) <= now.getTime();
}

/** "expires in 45 min", "expired", or null for an exception without expiry. */
export function describeExpiry(e: ExceptionFields, now: Date): string | null {
  if (!e.expiresAt) return null;
  return isExpired(e, now) ? "expired" : `expires in ${formatTimeLeft(new Date(e.expiresAt), now)}`;
}

/** True when it is meant for the network `networkId` (or for all networks), whether on or off. */
export function isForNetwork(e: Pick<ExceptionSetting, "scope">, networkId: string | null): boolean {
  return e.scope === "all" || (networkId !== null && e.scope === networkId);
}

/** True when the kill switch lets it through right now on `network` (its id and how its link is protected). */
export function appliesNow(
  e: ExceptionFields,
  network: Pick<NetworkSummary, "id" | "security"> | null,
  now: Date,
): boolean {
  const identity = network?.id ? { id: network.id, security: network.security ?? null } : null;
  return isExceptionActive(
    { scope: e.scope, scopeSecurity: e.scopeSecurity, enabled: e.enabled, expiresAt: e.expiresAt ?? null },
    identity,
    now,
  );
}

/** `gw=192.168.1.1,mac=...,net=192.168.1.0/24` -> "192.168.1.0/24 via 192.168.1.1", for networks seen without a name. */
export function describeNetworkId(id: string): string {
  const fields = Object.fromEntries(id.split(",").map((part) => part.split("=") as [string, string]));
  const gateway = fields.gw;
  const subnet = fields.net && fields.net !== "unknown" ? fields.net : null;
  if (!gateway) return id;
  return subnet ? `${subnet} via ${gateway}` : `Network via ${gateway}`;
}
