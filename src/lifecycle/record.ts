import { parseCidr } from "../address/ip";
import { readFile } from "node:fs/promises";
import { uptime } from "node:os";
import * as z from "zod/mini";
import { type Endpoint, type RecordedServer, parseRecordedServer } from "../policy/policy";
import { RESOLVED_FILE, STATE_FILE, STATUS_FILE, WATCHDOG_STATUS_FILE } from "../privileged/paths";
import type { StatusField, WatchdogStatusField } from "../privileged/root-contract";
import { type SystemCommands, systemPath, systemRootOf } from "../system/commands";
import type { ResolvedRecord } from "./resolution";

/**
 * status.json, written by the root script beside state.json (root's alone) after Enable and Apply and by the
 * watchdog (Disable removes both): what Status shows, readable by anyone. Exactly the fields the script writes
 * (root-contract.json's statusFields), or this fails to compile.
 */
const recordedStateShape = {
  version: z.literal(1),
  status: z.literal("on"),
  /** `kern.boottime` seconds when the rules were loaded; pf forgets them at a restart. */
  bootTime: z.nullable(z.number()),
  /** Seconds since 1970. */
  changedAt: z.number(),
  /** Who wrote it: an action (enable, apply) or the watchdog's check (watchdog, change-timer). */
  changedBy: z.optional(z.enum(["enable", "apply", "watchdog", "change-timer"])),
  /** Tunnels the rules let through; none means blocking mode. */
  tunnels: z.array(z.string()),
  /** Seconds since 1970 when the captive portal window in the rules closes; null or absent: no window. */
  captivePortalUntil: z.optional(z.nullable(z.number())),
  /** Whether the boot-time watchdog was installed with these rules. */
  protectFromStartup: z.optional(z.boolean()),
  /**
   * VPN servers proved or answered for at Enable or Apply, with the evidence (`IP:port/proto@process`,
   * `IP/ikev2@user`), and addresses declined (`IP@declined`); kept for when the VPN is down. Earlier versions
   * wrote them without the evidence, taking a route for proof: those are asked about again.
   */
  servers: z.optional(z.array(z.string())),
  /** Networks routed into the tunnel at Enable or Apply (`address/prefix`), kept off the local network when it is down. */
  tunnelRoutes: z.optional(z.array(z.string())),
  /**
   * Interfaces pf skipped when this was written (another program's `set skip on`), lo0 and the tunnels let
   * through aside: pf filters nothing there. Absent from earlier versions' records.
   */
  skippedInterfaces: z.optional(z.array(z.string())),
  /** Another program's translation rules with `pass` that pf would not let be set aside when this was written. */
  translationPassing: z.optional(z.number()),
  /**
   * VPN servers' host names the Mac answers from /etc/hosts while the kill switch is on (`NAME=ADDRESS`, one a pair),
   * so a VPN app finds its server with DNS blocked. Absent from earlier versions' records.
   */
  pinnedNames: z.optional(z.array(z.string())),
} satisfies Record<StatusField, z.ZodMiniType>;
export const recordedStateSchema = z.object(recordedStateShape);
export type RecordedState = z.infer<typeof recordedStateSchema>;

/**
 * watchdog.json: the boot-time watchdog (a LaunchDaemon running the root script's `watch` action) writes it
 * atomically after every check, 0644 and root's, next to state.json (neither names a network: that record is
 * root's alone). The status reads it when present.
 * Exactly the fields the script writes (root-contract.json), or this fails to compile.
 */
const watchdogStatusShape = {
  version: z.literal(1),
  /** Seconds since 1970. */
  checkedAt: z.number(),
  /** `kern.boottime` seconds of the boot it checked. */
  bootTime: z.number(),
  /** ok: rules in force; repaired: someone else had undone them and they were put back; failed: they could not be. */
  result: z.enum(["ok", "repaired", "failed"]),
  message: z.string(),
  /** The script's KS_VERSION; another number than this build's means the installed watchdog is outdated. */
  watchdogVersion: z.optional(z.number()),
  /** Seconds between two checks. */
  intervalSeconds: z.optional(z.number()),
  pfEnabled: z.optional(z.boolean()),
  attachment: z.optional(z.string()),
  /** `cksum` of the rules in force (anchor.pf). */
  rulesHash: z.optional(z.nullable(z.string())),
  /** Which template the rules came from: other.pf, network-N.pf. */
  rulesFile: z.optional(z.nullable(z.string())),
  tunnels: z.optional(z.array(z.string())),
  /** The rules it should load could not be used, so it loaded blocking rules (VPN servers and link plumbing) instead. */
  failedClosed: z.optional(z.boolean()),
  /** Another program's translation rules with `pass` found (and set aside, when pf allowed) by this check. */
  translationPasses: z.optional(z.number()),
  /** Interfaces this check found pf skipping (`set skip on`), lo0 and the tunnels let through aside. */
  skippedInterfaces: z.optional(z.array(z.string())),
  /** pf's packet counters of the rules in force, by what they do; null when pf did not say. */
  counters: z.optional(
    z.nullable(
      z.object({
        /** When the rules were loaded (pf counts from then), seconds since 1970; null when unknown. */
        since: z.nullable(z.number()),
        blockedOut: z.number(),
        blockedIn: z.number(),
        dnsRefused: z.number(),
        toVpnServers: z.number(),
      }),
    ),
  ),
  /** The networks the Mac's links are attached to that are public address space: Allow Local Network passes none. */
  notLocal: z.optional(z.array(z.string())),
  /** The last repair: when (seconds since 1970) and what was put back. */
  lastRepairAt: z.optional(z.nullable(z.number())),
  lastRepair: z.optional(z.nullable(z.string())),
} satisfies Record<WatchdogStatusField, z.ZodMiniType>;
export const watchdogStatusSchema = z.object(watchdogStatusShape);
export type WatchdogStatus = z.infer<typeof watchdogStatusSchema>;
export type RuleCounters = NonNullable<WatchdogStatus["counters"]>;

export type FileReading<T> =
  { kind: "absent" } | { kind: "unreadable"; reason: string } | { kind: "present"; value: T };

async function readJsonFile<T>(
  system: SystemCommands,
  path: string,
  schema: z.ZodMiniType<T>,
): Promise<FileReading<T>> {
  let text: string;
  try {
    text = await readFile(systemPath(system, path), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "absent" };
    return { kind: "unreadable", reason: `${path}: ${code ?? String(error)}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "unreadable", reason: `${path} is not valid JSON` };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { kind: "unreadable", reason: `${path} does not have the expected fields` };
  return { kind: "present", value: parsed.data };
}

/** What the last Enable or Apply saw that the routes may no longer show, as the builder takes it. */
export function rememberedNetwork(reading: FileReading<RecordedState>): {
  rememberedServers: Endpoint[];
  rememberedTunnelRoutes: string[];
} {
  return { rememberedServers: rememberedServers(reading), rememberedTunnelRoutes: rememberedTunnelRoutes(reading) };
}

/** The networks the last Enable or Apply saw routed into the tunnel; unreadable ones left out. */
export function rememberedTunnelRoutes(reading: FileReading<RecordedState>): string[] {
  if (reading.kind !== "present") return [];
  return (reading.value.tunnelRoutes ?? []).filter((text) => text.includes("/") && parseCidr(text) !== null);
}

/** Every server the last Enable or Apply recorded, with why; none when nothing (valid) is recorded. */
export function recordedServers(reading: FileReading<RecordedState>): RecordedServer[] {
  if (reading.kind !== "present") return [];
  return (reading.value.servers ?? []).flatMap((text) => parseRecordedServer(text) ?? []);
}

/** The VPN servers' host names the Mac answers from /etc/hosts now, with their addresses; none when off or unreadable. */
export function pinnedNames(reading: FileReading<RecordedState>): Record<string, string[]> {
  const names: Record<string, string[]> = {};
  if (reading.kind !== "present") return names;
  for (const pair of reading.value.pinnedNames ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    const name = pair.slice(0, at);
    names[name] = [...(names[name] ?? []), pair.slice(at + 1)];
  }
  return names;
}

/** The recorded VPN servers to pass: those proved or answered for, never an earlier version's route-only ones. */
export function rememberedServers(reading: FileReading<RecordedState>): Endpoint[] {
  return recordedServers(reading).flatMap((server) => (server.kind === "trusted" ? [server.endpoint] : []));
}

/**
 * What the last root action recorded; readable without root. From status.json, or, when a kill switch turned
 * on by an earlier version wrote none, from its state.json (then world-readable, with these fields and more).
 */
export async function readRecordedState(system: SystemCommands): Promise<FileReading<RecordedState>> {
  const reading = await readJsonFile(system, STATUS_FILE, recordedStateSchema);
  return reading.kind === "absent" ? readJsonFile(system, STATE_FILE, recordedStateSchema) : reading;
}

export function readWatchdogStatus(system: SystemCommands): Promise<FileReading<WatchdogStatus>> {
  return readJsonFile(system, WATCHDOG_STATUS_FILE, watchdogStatusSchema);
}

/**
 * resolved.json: what each host name of the settings resolved to when the rules were last loaded. Version 2 is
 * written only with answers that were confirmed or came through the VPN; version 1 (earlier releases) took the
 * network's word.
 */
export const resolvedHostsSchema = z.object({
  version: z.union([z.literal(1), z.literal(2)]),
  hosts: z.record(z.string(), z.array(z.string())),
});
export type ResolvedHosts = z.infer<typeof resolvedHostsSchema>;

export async function readResolvedRecord(system: SystemCommands): Promise<ResolvedRecord> {
  const reading = await readJsonFile(system, RESOLVED_FILE, resolvedHostsSchema);
  if (reading.kind !== "present") return { hosts: {}, confirmed: false };
  return { hosts: reading.value.hosts, confirmed: reading.value.version === 2 };
}

/** `sysctl -n kern.boottime` (`{ sec = 1700000000, usec = 12345 } Tue Nov 14 ...`): seconds, or null. */
export function parseBootTime(output: string): number | null {
  const match = output.match(/\bsec = (\d+)/);
  return match ? Number(match[1]) : null;
}

/** When this boot started, from `sysctl` (one process); readable without root. */
export async function readBootTime(system: SystemCommands): Promise<number | null> {
  const result = await system.run("sysctl", ["-n", "kern.boottime"]);
  return result.exitCode === 0 ? parseBootTime(result.stdout) : null;
}

/**
 * `kern.boottime` seconds from the time now and the uptime: on macOS, Node's `os.uptime()` is libuv's
 * `time(NULL) - kern.boottime`, so this reads the boot time without starting a process (give or take a second).
 */
export function bootTimeFromUptime(nowMs: number, uptimeSeconds: number): number | null {
  if (!Number.isFinite(nowMs) || !Number.isFinite(uptimeSeconds) || uptimeSeconds < 0) return null;
  return Math.floor(nowMs / 1000 - uptimeSeconds);
}

/** When the Mac behind `system` booted: the kernel's answer through Node, or a prefixed tree's own `sysctl`. */
export async function readMachineBootTime(system: SystemCommands): Promise<number | null> {
  // A prefixed tree (tests, demos) is a Mac of its own, with its own boot: only its sysctl knows it.
  if (systemRootOf(system) !== "") return readBootTime(system);
  try {
    return bootTimeFromUptime(Date.now(), uptime());
  } catch {
    return null;
  }
}
