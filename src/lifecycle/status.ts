import { describeUnfilteredBridge, unfilteredBridges } from "../network/bridges";
import type { NetworkState } from "../network/state";
import { WATCHDOG_INTERVAL_SECONDS, WATCHDOG_VERSION } from "../privileged/paths";
import { STATE_NAMES } from "../words/states";
import { describePinnedNames } from "./resolution";
import type { KillSwitchState } from "./states";
import { namedSetting } from "../words/settings";
import type { SystemCommands } from "../system/commands";
import {
  type RecordedState,
  type RuleCounters,
  type WatchdogStatus,
  pinnedNames,
  readMachineBootTime,
  readRecordedState,
  readWatchdogStatus,
} from "./record";

export { KILL_SWITCH_STATES, type KillSwitchState, isTurnedOn, needsAttention } from "./states";

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
  /** VPN servers' host names the Mac answers itself while the kill switch is on, with their addresses. */
  pinnedNames?: Readonly<Record<string, readonly string[]>>;
}

/** What a look at pf found that lets traffic past the kill switch rules (none of it: the rules hold everywhere). */
export interface PfFindings {
  /** Whether pf was running; null when that look did not say. */
  pfEnabled: boolean | null;
  /** Interfaces pf skipped (another program's `set skip on`), lo0 and the tunnels let through aside. */
  skippedInterfaces: string[];
  /** Another program's translation rules with `pass` still in force: their packets skip every filter rule. */
  translationPassing: number;
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
  /** What the root action that just ran (Enable, Apply) read from pf: the latest look, whatever the records say. */
  reported?: PfFindings;
}

const UNVERIFIED_NOTE = `Another program can turn pf off or change its rules without this showing. Turn on ${namedSetting("protectFromStartup")} and enable again: its root watchdog checks every ${WATCHDOG_INTERVAL_SECONDS} seconds that pf is on and runs the kill switch rules first, and puts them back.`;

/** The watchdog counts as stopped after missing this many checks. */
export const WATCHDOG_STALE_AFTER_CHECKS = 3;

/**
 * Two readings of one boot's start may differ by a second (whole seconds read at different instants) or a few
 * (macOS shifts kern.boottime when the clock is set); a restart moves it by the whole previous boot, far more.
 */
export const SAME_BOOT_TOLERANCE_SECONDS = 10;

const sameBoot = (a: number | null, b: number) => a !== null && Math.abs(a - b) <= SAME_BOOT_TOLERANCE_SECONDS;

/** A status whose headline starts with the state's name ("Protected: ..."), as every front-end names it. */
const status = (
  state: KillSwitchState,
  why: string,
  notes: string[],
  extra: Partial<KillSwitchStatus> = {},
): KillSwitchStatus => ({
  state,
  headline: `${STATE_NAMES[state]}: ${why}`,
  notes,
  recorded: null,
  watchdog: null,
  activeTunnel: null,
  ...extra,
});

const clock = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");

/** The watchdog could not use the kill switch's rules and loaded blocking ones (servers, link plumbing) instead. */
function failedClosedStatus(watchdog: WatchdogStatus, extra: Partial<KillSwitchStatus>): KillSwitchStatus {
  return status(
    "safe-mode",
    "blocking all but the VPN servers, since the kill switch's rules could not be loaded.",
    [watchdog.message, "Nothing leaks, but nothing passes through the VPN either: enable the kill switch again."],
    extra,
  );
}

/** The latest look at pf: when, by whom, and what it found. */
interface PfReading extends PfFindings {
  /** Seconds since 1970. */
  at: number;
  /** Who looked: the action that loaded the rules, or the watchdog's check (also the change timer's). */
  by: "enable" | "apply" | "watchdog";
}

/**
 * The latest look at pf in this boot: the action that just ran; else the watchdog's check when it came after
 * the record was written; else the record, which says what the Enable, Apply or check that wrote it found.
 * Null when the record is from an earlier boot and no check of this boot is newer.
 */
function latestReading(
  reported: PfFindings | undefined,
  recorded: RecordedState,
  latestCheck: WatchdogStatus | null,
  bootTime: number,
): PfReading | null {
  // The record was written by that very action, just before it reported.
  const action = recorded.changedBy === "apply" ? "apply" : "enable";
  if (reported) return { ...reported, at: recorded.changedAt, by: action };
  if (latestCheck) {
    return {
      at: latestCheck.checkedAt,
      by: "watchdog",
      pfEnabled: latestCheck.pfEnabled ?? null,
      skippedInterfaces: latestCheck.skippedInterfaces ?? [],
      // The check reports failed while such rules pass, or passed until it set them aside.
      translationPassing: latestCheck.result === "failed" ? (latestCheck.translationPasses ?? 0) : 0,
    };
  }
  if (!sameBoot(recorded.bootTime, bootTime)) return null;
  const byCheck = recorded.changedBy === "watchdog" || recorded.changedBy === "change-timer";
  return {
    at: recorded.changedAt,
    by: byCheck ? "watchdog" : action,
    pfEnabled: null,
    skippedInterfaces: recorded.skippedInterfaces ?? [],
    translationPassing: recorded.translationPassing ?? 0,
  };
}

const SEEN_BY = {
  enable: "The kill switch's Enable",
  apply: "The kill switch's Apply",
  watchdog: "The watchdog's check",
};
const seenBy = (reading: PfReading) => `${SEEN_BY[reading.by]} at ${clock(reading.at)} found it.`;

/**
 * Not protected when the latest look at pf found traffic passing outside the kill switch rules: pf off, an interface
 * pf skips, another program's translation rules with pass. The one judgement of those findings: Enable's result,
 * the CLI and the menu bar all come through here.
 */
function findingsStatus(
  reading: PfReading,
  failure: WatchdogStatus | null,
  extra: Partial<KillSwitchStatus>,
): KillSwitchStatus | null {
  const why = failure ? [failure.message] : [];
  const again =
    reading.by === "watchdog" || extra.protectFromStartup
      ? "The watchdog's next check after that clears this."
      : "Then enable the kill switch again to check.";
  if (reading.pfEnabled === false) {
    return status(
      "not-protected",
      `pf was off when last checked (${clock(reading.at)}), so it filtered nothing, the kill switch rules included.`,
      [...why, "Enable the kill switch again: it turns pf on."],
      extra,
    );
  }
  if (reading.skippedInterfaces.length > 0) {
    const names = reading.skippedInterfaces.join(", ");
    return status(
      "not-protected",
      `pf skips ${names} (another program's "set skip on"), so nothing there is filtered, the kill switch rules included.`,
      [
        ...why,
        seenBy(reading),
        `The kill switch leaves another program's main ruleset alone: take ${names} out of its "set skip on" (in that program's pf configuration), or quit it. ${again}`,
      ],
      extra,
    );
  }
  if (reading.translationPassing > 0) {
    const count = reading.translationPassing;
    return status(
      "not-protected",
      "another program's nat or rdr rules with pass let packets out without the kill switch rules.",
      failure
        ? why
        : [
            `${seenBy(reading)} pf would not let ${count === 1 ? "that rule" : `those ${count} rules`} be set aside, so ${count === 1 ? "its" : "their"} packets leave outside the kill switch until that program removes ${count === 1 ? "it" : "them"}. ${again}`,
          ],
      extra,
    );
  }
  return null;
}

const BRIDGE_NOTE =
  "pf filters what reaches this Mac's own addresses; a bridge passes frames between its members without it. Give the virtual machine a shared (NAT) network instead of a bridged one, or stop it, to keep its traffic to the VPN.";

/** Bridges that forward past pf (a virtual machine bridged to Wi-Fi), in the words the watchdog uses. */
const bridgedPastPf = (network: NetworkState | null) =>
  unfilteredBridges(network?.bridges ?? []).map(describeUnfilteredBridge);

function bridgedStatus(bridged: string[], notes: string[], extra: Partial<KillSwitchStatus>): KillSwitchStatus {
  return status("not-protected", `${bridged[0]}.`, [...notes, BRIDGE_NOTE], extra);
}

/** Notes on the watchdog of this boot for people: its last repair in this boot, what pf counted, an outdated version. */
function watchdogNotes(watchdog: WatchdogStatus | null): string[] {
  if (!watchdog) return [];
  const notes: string[] = [];
  if (watchdog.lastRepairAt && watchdog.lastRepair && watchdog.lastRepairAt >= watchdog.bootTime) {
    notes.push(`The watchdog repaired the kill switch at ${clock(watchdog.lastRepairAt)}: ${watchdog.lastRepair}.`);
  }
  if (watchdog.notLocal && watchdog.notLocal.length > 0) {
    notes.push(
      `This network calls public addresses local; not passed: ${watchdog.notLocal.join(", ")}. Allow Local Network passes only private, link-local and unique-local addresses.`,
    );
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
  if (reading.kind === "absent") return status("off", "traffic flows normally.", [], { watchdog });
  if (reading.kind === "unreadable") {
    // A damaged record, and the watchdog loaded its blocking rules for it in this boot.
    if (watchdog?.failedClosed && watchdog.result === "failed") {
      const bootTime = await readBootTimeFor(request);
      if (bootTime !== null && sameBoot(watchdog.bootTime, bootTime)) return failedClosedStatus(watchdog, { watchdog });
    }
    return status(
      "unknown",
      "the kill switch's state file cannot be read.",
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
    pinnedNames: pinnedNames(reading),
  };
  const bootTime = await readBootTimeFor(request);
  if (bootTime === null) {
    return status(
      "unknown",
      "cannot tell whether the rules are still loaded.",
      ["The Mac's boot time (kern.boottime) could not be read."],
      extra,
    );
  }
  const watchdogThisBoot = watchdog && sameBoot(watchdog.bootTime, bootTime) ? watchdog : null;
  extra.counters = watchdogThisBoot?.counters ?? null;
  // A failure the watchdog found before the last Enable or Apply is that action's to have repaired; one found
  // by the very check that rewrote state.json (the same second) still stands.
  const byCheck = recorded.changedBy === "watchdog" || recorded.changedBy === "change-timer";
  // The action that just ran is newer than any check.
  const latestCheck =
    !request.reported &&
    watchdogThisBoot &&
    (watchdogThisBoot.checkedAt > recorded.changedAt || (byCheck && watchdogThisBoot.checkedAt === recorded.changedAt))
      ? watchdogThisBoot
      : null;
  const failedSinceChange = latestCheck?.result === "failed" ? latestCheck : null;
  if (failedSinceChange?.failedClosed) return failedClosedStatus(failedSinceChange, extra);
  const lastLook = latestReading(request.reported, recorded, latestCheck, bootTime);
  const found = lastLook && findingsStatus(lastLook, failedSinceChange, extra);
  if (found) return found;
  const bridged = bridgedPastPf(network);
  // The watchdog's failure is a bridge the network still shows: say what it is, not that rules went missing.
  if (failedSinceChange && bridged.some((note) => failedSinceChange.message.includes(note))) {
    return bridgedStatus(bridged, [failedSinceChange.message], extra);
  }
  if (failedSinceChange) {
    return status(
      "not-protected",
      "the watchdog could not put the kill switch rules back.",
      [failedSinceChange.message],
      extra,
    );
  }
  if (!sameBoot(recorded.bootTime, bootTime) && !watchdogThisBoot) {
    return status(
      "not-protected",
      "the Mac restarted, and pf no longer has the kill switch rules.",
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
      "watchdog-stopped",
      "the startup watchdog has stopped checking the kill switch.",
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
      "the kill switch is on, but the network could not be read.",
      ["Whether the VPN is up could not be determined."],
      extra,
    );
  }
  const up = network.tunnels.map((tunnel) => tunnel.name);
  const activeTunnel = recorded.tunnels.find((name) => up.includes(name)) ?? null;
  if (bridged.length > 0) return bridgedStatus(bridged, [...bridged, ...repairNotes], { ...extra, activeTunnel });
  // Without the watchdog nobody reads pf after the action: another program may have turned it off since, so
  // what was found then is said as such.
  const verified = recorded.protectFromStartup === true;
  const lastChecked = clock(lastLook?.at ?? recorded.changedAt);
  if (activeTunnel && !verified) {
    return status(
      "unverified",
      `when last checked (${lastChecked}), pf ran the kill switch rules, which let traffic out only through the VPN (${activeTunnel}); nothing has checked pf since.`,
      [UNVERIFIED_NOTE, ...repairNotes],
      { ...extra, activeTunnel },
    );
  }
  if (activeTunnel) {
    return status("protected", `traffic leaves only through the VPN (${activeTunnel}).`, repairNotes, {
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
      : [
          "Connect the VPN: until then nothing leaves this Mac but the VPN's own connection and link plumbing.",
          ...[describePinnedNames(extra.pinnedNames)].flatMap((note) => note ?? []),
        ];
  if (!verified) {
    return status(
      "unverified",
      `no allowed VPN tunnel is up; when last checked (${lastChecked}), pf ran the kill switch rules, which stop traffic without one; nothing has checked pf since.`,
      [...notes, UNVERIFIED_NOTE, ...repairNotes],
      extra,
    );
  }
  return status("blocking", "no allowed VPN tunnel is up, so traffic is stopped.", [...notes, ...repairNotes], extra);
}
