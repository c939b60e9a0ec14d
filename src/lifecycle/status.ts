import type { NetworkState } from "../network/state";
import type { SystemCommands } from "../system/commands";
import { type RecordedState, type WatchdogStatus, readBootTime, readRecordedState, readWatchdogStatus } from "./record";

/** What the kill switch is doing, from best to worst news (the menu bar's states). */
export type KillSwitchState = "protected" | "blocking" | "degraded" | "off" | "unknown";

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
}

export interface StatusRequest {
  system: SystemCommands;
  /** The network now; null when it could not be read (then the VPN half of the answer is unknown). */
  network: NetworkState | null;
}

const status = (
  state: KillSwitchState,
  headline: string,
  notes: string[],
  extra: Partial<KillSwitchStatus> = {},
): KillSwitchStatus => ({ state, headline, notes, recorded: null, watchdog: null, activeTunnel: null, ...extra });

/**
 * The kill switch's state without root and without a prompt: what the last action recorded
 * (state.json), whether the Mac restarted since (pf forgets its rules at boot; `kern.boottime`), what a
 * watchdog last found, and whether a tunnel the rules let through is up.
 */
export async function getKillSwitchStatus(request: StatusRequest): Promise<KillSwitchStatus> {
  const { system, network } = request;
  const [reading, watchdogReading] = await Promise.all([readRecordedState(system), readWatchdogStatus(system)]);
  const watchdog = watchdogReading.kind === "present" ? watchdogReading.value : null;
  if (reading.kind === "absent") return status("off", "Off: traffic flows normally.", [], { watchdog });
  if (reading.kind === "unreadable") {
    return status(
      "unknown",
      "Unknown: the kill switch's state file cannot be read.",
      [reading.reason, "Disable removes the kill switch rules even so."],
      { watchdog },
    );
  }
  const recorded = reading.value;
  const extra = { recorded, watchdog };
  const bootTime = await readBootTime(system);
  if (bootTime === null) {
    return status(
      "unknown",
      "Unknown: cannot tell whether the rules are still loaded.",
      ["The Mac's boot time (sysctl kern.boottime) could not be read."],
      extra,
    );
  }
  const watchdogThisBoot = watchdog && watchdog.bootTime === bootTime ? watchdog : null;
  if (watchdogThisBoot?.result === "failed") {
    return status(
      "degraded",
      "Degraded: the watchdog could not put the kill switch rules back.",
      [watchdogThisBoot.message],
      extra,
    );
  }
  if (recorded.bootTime !== bootTime && !watchdogThisBoot) {
    return status(
      "degraded",
      "Degraded: the Mac restarted, and pf no longer has the kill switch rules.",
      ["pf forgets its rules at every restart. Enable the kill switch again to block traffic outside the VPN."],
      extra,
    );
  }
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
  if (activeTunnel) {
    return status("protected", `Protected: traffic leaves only through the VPN (${activeTunnel}).`, [], {
      ...extra,
      activeTunnel,
    });
  }
  const notes =
    up.length > 0
      ? [
          `The VPN is up on ${up.join(", ")}, which the rules do not let through (they allow ${
            recorded.tunnels.join(", ") || "no tunnel"
          }). Enable the kill switch again to follow it.`,
        ]
      : ["Connect the VPN: until then nothing leaves this Mac but the VPN's own connection and link plumbing."];
  return status("blocking", "Blocking: no allowed VPN tunnel is up, so traffic is stopped.", notes, extra);
}
