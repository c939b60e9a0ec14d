import type { NetworkState } from "../network/state";
import { WATCHDOG_INTERVAL_SECONDS, WATCHDOG_VERSION } from "../privileged/paths";
import type { SystemCommands } from "../system/commands";
import {
  type RecordedState,
  type RuleCounters,
  type WatchdogStatus,
  readMachineBootTime,
  readRecordedState,
  readWatchdogStatus,
} from "./record";

/**
 * What the kill switch is doing, from best to worst news (the menu bar's states). protected and blocking: on,
 * and the watchdog's last check (or the last Enable) found pf running our rules first; unverified: on, but no
 * watchdog is installed to check that pf still runs them.
 */
export type KillSwitchState = "protected" | "blocking" | "unverified" | "degraded" | "off" | "unknown";

export interface KillSwitchStatus {
  state: KillSwitchState;
  /** One line for people. */
  headline: string;
  /** Why, in plain words (what was found, what to do). */
  notes: string[];
  /** What the last action recorded (null when off or unreadable). */
  recorded: RecordedState | null;
  watchdog: WatchdogStatus | null;
  /** The recorded tunnel that is up now, when protected. */
  activeTunnel: string | null;
  /** When the open captive portal window closes (a root timer closes it); null when none is open. */
  captivePortalUntil?: Date | null;
  /** Whether the boot-time watchdog guards the rules (the "Protect from startup" setting was on at Enable). */
  protectFromStartup?: boolean;
  /** What pf counted on the rules in force, from the watchdog's last check in this boot; null when none. */
  counters?: RuleCounters | null;
}

export interface StatusRequest {
  system: SystemCommands;
  /** The network now; null when it could not be read (then the VPN half of the answer is unknown). */
  network: NetworkState | null;
  /** For judging the watchdog's last check and the captive portal window; default: the clock. */
  now?: Date;
  /**
   * When this boot started (`kern.boottime` seconds), null when unknown; default: the kernel's answer without a
   * process on the Mac itself, the tree's `sysctl` when `system` is a prefixed tree.
   */
  bootTime?: () => Promise<number | null>;
}

const UNVERIFIED_NOTE = `Turn on Protect from Startup (protectFromStartup) and enable again: its root watchdog checks every ${WATCHDOG_INTERVAL_SECONDS} seconds that pf is on and runs the kill switch rules first, and puts them back.`;

/** The watchdog counts as stopped after missing this many checks. */
export const WATCHDOG_STALE_AFTER_CHECKS = 3;

/**
 * Two readings of one boot's start may differ by a second (whole seconds read at different instants) or a few
 * (macOS shifts kern.boottime when the clock is set); a restart moves it by the whole previous boot, far more.
 */
export const SAME_BOOT_TOLERANCE_SECONDS = 10;

const sameBoot = (a: number | null, b: number) => a !== null && Math.abs(a - b) <= SAME_BOOT_TOLERANCE_SECONDS;

const status = (
  state: KillSwitchState,
  headline: string,
  notes: string[],
  extra: Partial<KillSwitchStatus> = {},
): KillSwitchStatus => ({ state, headline, notes, recorded: null, watchdog: null, activeTunnel: null, ...extra });

const clock = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");

/** The watchdog could not use the kill switch's rules and loaded blocking ones (servers, link plumbing) instead. */
function failedClosedStatus(watchdog: WatchdogStatus, extra: Partial<KillSwitchStatus>): KillSwitchStatus {
  return status(
    "degraded",
    "Degraded: blocking all but the VPN servers, since the kill switch's rules could not be loaded.",
    [watchdog.message, "Nothing leaks, but nothing passes through the VPN either: enable the kill switch again."],
    extra,
  );
}

/** Notes on the watchdog of this boot for people: its last repair in this boot, what pf counted, an outdated version. */
function watchdogNotes(watchdog: WatchdogStatus | null): string[] {
  if (!watchdog) return [];
  const notes: string[] = [];
  if (watchdog.lastRepairAt && watchdog.lastRepair && watchdog.lastRepairAt >= watchdog.bootTime) {
    notes.push(`The watchdog repaired the kill switch at ${clock(watchdog.lastRepairAt)}: ${watchdog.lastRepair}.`);
  }
  const counted = watchdog.counters;
  if (counted) {
    const since = counted.since !== null ? `Since ${clock(counted.since)}, pf` : "pf";
    notes.push(
      `${since} refused ${counted.blockedOut} packets going out, ${counted.dnsRefused} DNS packets outside the tunnel and ${counted.blockedIn} packets coming in; ${counted.toVpnServers} went to the VPN servers.`,
    );
  }
  if (watchdog.watchdogVersion !== undefined && watchdog.watchdogVersion !== WATCHDOG_VERSION) {
    notes.push("The startup watchdog is from another version of the extension: Enable the kill switch to update it.");
  }
  return notes;
}

/**
 * Seconds since the watchdog last showed a sign of life, or null when it is on time. A fresh Enable counts as
 * one (the watchdog's first check may wait for it to finish).
 */
function watchdogSilence(recorded: RecordedState, watchdog: WatchdogStatus | null, now: number): number | null {
  if (!recorded.protectFromStartup) return null;
  const interval = watchdog?.intervalSeconds ?? WATCHDOG_INTERVAL_SECONDS;
  const lastSeen = Math.max(watchdog?.checkedAt ?? 0, recorded.changedAt);
  const silence = now - lastSeen;
  return silence > WATCHDOG_STALE_AFTER_CHECKS * interval ? silence : null;
}

async function readBootTimeFor(request: StatusRequest): Promise<number | null> {
  try {
    return await (request.bootTime ? request.bootTime() : readMachineBootTime(request.system));
  } catch {
    return null;
  }
}

/**
 * The kill switch's state without root and without a prompt: what the last action recorded
 * (state.json), whether the Mac restarted since (pf forgets its rules at boot; `kern.boottime`, read without a
 * process on the Mac), what a watchdog last found, and whether a tunnel the rules let through is up.
 */
export async function getKillSwitchStatus(request: StatusRequest): Promise<KillSwitchStatus> {
  const { system, network } = request;
  const now = Math.floor((request.now ?? new Date()).getTime() / 1000);
  const [reading, watchdogReading] = await Promise.all([readRecordedState(system), readWatchdogStatus(system)]);
  const watchdog = watchdogReading.kind === "present" ? watchdogReading.value : null;
  if (reading.kind === "absent") return status("off", "Off: traffic flows normally.", [], { watchdog });
  if (reading.kind === "unreadable") {
    // A damaged record, and the watchdog loaded its blocking rules for it in this boot.
    if (watchdog?.failedClosed && watchdog.result === "failed") {
      const bootTime = await readBootTimeFor(request);
      if (bootTime !== null && sameBoot(watchdog.bootTime, bootTime)) return failedClosedStatus(watchdog, { watchdog });
    }
    return status(
      "unknown",
      "Unknown: the kill switch's state file cannot be read.",
      [reading.reason, "Disable removes the kill switch rules even so."],
      { watchdog },
    );
  }
  const recorded = reading.value;
  const portal = recorded.captivePortalUntil ?? null;
  const extra = {
    recorded,
    watchdog,
    captivePortalUntil: portal !== null && portal > now ? new Date(portal * 1000) : null,
    protectFromStartup: recorded.protectFromStartup ?? false,
    counters: null as RuleCounters | null,
  };
  const bootTime = await readBootTimeFor(request);
  if (bootTime === null) {
    return status(
      "unknown",
      "Unknown: cannot tell whether the rules are still loaded.",
      ["The Mac's boot time (kern.boottime) could not be read."],
      extra,
    );
  }
  const watchdogThisBoot = watchdog && sameBoot(watchdog.bootTime, bootTime) ? watchdog : null;
  extra.counters = watchdogThisBoot?.counters ?? null;
  // A failure the watchdog found before the last Enable or Apply is that action's to have repaired; one found
  // by the very check that rewrote state.json (the same second) still stands.
  const byCheck = recorded.changedBy === "watchdog" || recorded.changedBy === "change-timer";
  const failedSinceChange =
    watchdogThisBoot?.result === "failed" &&
    (watchdogThisBoot.checkedAt > recorded.changedAt || (byCheck && watchdogThisBoot.checkedAt === recorded.changedAt))
      ? watchdogThisBoot
      : null;
  if (failedSinceChange?.failedClosed) return failedClosedStatus(failedSinceChange, extra);
  if (failedSinceChange?.translationPasses) {
    return status(
      "degraded",
      "Degraded: another program's nat or rdr rules with pass let packets out without the kill switch rules.",
      [failedSinceChange.message],
      extra,
    );
  }
  if (failedSinceChange) {
    return status(
      "degraded",
      "Degraded: the watchdog could not put the kill switch rules back.",
      [failedSinceChange.message],
      extra,
    );
  }
  if (!sameBoot(recorded.bootTime, bootTime) && !watchdogThisBoot) {
    return status(
      "degraded",
      "Degraded: the Mac restarted, and pf no longer has the kill switch rules.",
      [
        recorded.protectFromStartup
          ? "The startup watchdog has not put them back in this boot. Enable the kill switch again to block traffic outside the VPN."
          : "pf forgets its rules at every restart. Enable the kill switch again to block traffic outside the VPN.",
      ],
      extra,
    );
  }
  const silence = watchdogSilence(recorded, watchdog, now);
  if (silence !== null) {
    return status(
      "degraded",
      "Degraded: the startup watchdog has stopped checking the kill switch.",
      [
        `Its last sign of life was ${silence} seconds ago; it checks every ${
          watchdog?.intervalSeconds ?? WATCHDOG_INTERVAL_SECONDS
        } seconds. The rules may still be in force, but nothing puts them back if another program removes them. Enable the kill switch again to reinstall the watchdog.`,
      ],
      extra,
    );
  }
  const repairNotes = watchdogNotes(watchdogThisBoot);
  if (network === null) {
    return status(
      "unknown",
      "Unknown: the kill switch is on, but the network could not be read.",
      ["Whether the VPN is up could not be determined."],
      extra,
    );
  }
  const up = network.tunnels.map((tunnel) => tunnel.name);
  const activeTunnel = recorded.tunnels.find((name) => up.includes(name)) ?? null;
  // Without the watchdog nobody reads pf after the action: another program may have turned it off since.
  const verified = recorded.protectFromStartup === true;
  if (activeTunnel && !verified) {
    return status(
      "unverified",
      `Unverified: the rules let traffic out only through the VPN (${activeTunnel}), but nothing checks that pf still runs them.`,
      [UNVERIFIED_NOTE, ...repairNotes],
      { ...extra, activeTunnel },
    );
  }
  if (activeTunnel) {
    return status("protected", `Protected: traffic leaves only through the VPN (${activeTunnel}).`, repairNotes, {
      ...extra,
      activeTunnel,
    });
  }
  const notes =
    up.length > 0
      ? [
          `The VPN is up on ${up.join(", ")}, which the rules do not let through (they allow ${
            recorded.tunnels.join(", ") || "no tunnel"
          }). ${
            recorded.protectFromStartup
              ? "The watchdog follows it within a few seconds unless the settings name one tunnel."
              : "Enable the kill switch again to follow it."
          }`,
        ]
      : ["Connect the VPN: until then nothing leaves this Mac but the VPN's own connection and link plumbing."];
  if (!verified) {
    return status(
      "unverified",
      "Unverified: no allowed VPN tunnel is up, so the rules stop traffic, but nothing checks that pf still runs them.",
      [...notes, UNVERIFIED_NOTE, ...repairNotes],
      extra,
    );
  }
  return status(
    "blocking",
    "Blocking: no allowed VPN tunnel is up, so traffic is stopped.",
    [...notes, ...repairNotes],
    extra,
  );
}
