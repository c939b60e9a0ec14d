import { Cache, LaunchType, environment, updateCommandMetadata } from "@raycast/api";
import { useCallback, useEffect, useRef, useState } from "react";
import type { StatusRequest } from "../../lifecycle";
import { groupFlows } from "../../pflog/flows";
import { readBlockedTrafficRecord } from "../../pflog/record";
import type { SystemCommands } from "../../system/commands";
import { systemCommands } from "../system";
import { type ExceptionList, loadExceptions, readCachedExceptions } from "../stores/exception-store";
import { captivePortalUntil, readKillSwitch, snapshotFromStatus } from "./kill-switch-reading";
import { type InterfaceList, type TextStore, readStatusNetwork } from "./network-reading";
import { readPreferences, settingsFromPreferences } from "../stores/preferences";
import { type KillSwitchSnapshot, readCachedSnapshot, writeCachedSnapshot } from "../stores/snapshot-cache";
import { STATE_NAMES } from "../../words/states";

/** A reading that failed: the state becomes unknown, what was known about the network stays. */
export function unreadableSnapshot(
  previous: KillSwitchSnapshot | undefined,
  error: unknown,
  now: Date,
): KillSwitchSnapshot {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    state: "unknown",
    headline: `${STATE_NAMES.unknown}: the kill switch's status could not be read.`,
    checkedAt: now.toISOString(),
    tunnels: previous?.tunnels ?? [],
    vpnServers: previous?.vpnServers ?? [],
    network: previous?.network ?? null,
    captivePortalUntil: null,
    notes: [reason],
  };
}

/** The slower network details of the last full reading, kept between the menu bar's runs. */
const networkDetails = new Cache({ namespace: "kill-switch-network" });

export interface StatusSnapshotRequest {
  exceptions: ExceptionList;
  now: Date;
  /** Read DNS, the Wi-Fi name and the VPN services again even if the network looks unchanged. */
  refreshDetails: boolean;
  /** Defaults: Raycast's Cache, the Mac's programs, the kernel's boot time. */
  details?: TextStore;
  system?: SystemCommands;
  bootTime?: StatusRequest["bootTime"];
  interfaces?: InterfaceList;
}

/**
 * The connections the record of blocked traffic holds, read only when the menu is opened (a file of up to some
 * megabytes, never in the background, where the last count read stands); pf's packet count when there is no
 * record to read.
 */
async function blockedConnections(
  request: StatusSnapshotRequest,
  system: SystemCommands | undefined,
  counted: KillSwitchSnapshot["blocked"],
): Promise<KillSwitchSnapshot["blocked"]> {
  if (!request.refreshDetails) {
    const cached = readCachedSnapshot()?.blocked;
    return cached?.connections !== undefined ? cached : counted;
  }
  try {
    const record = await readBlockedTrafficRecord(system ?? systemCommands());
    if (!record) return counted;
    const flows = groupFlows(record.packets, record.context);
    return {
      packets: flows.reduce((sum, flow) => sum + flow.count, 0),
      connections: flows.length,
      since: flows[0]?.firstSeen ?? null,
    };
  } catch {
    return counted;
  }
}

/** One reading for the menu bar, without React: the network, then the status, cached for the next instant render. */
export async function readStatusSnapshot(request: StatusSnapshotRequest): Promise<KillSwitchSnapshot> {
  const { now, system } = request;
  const settings = settingsFromPreferences(readPreferences(), request.exceptions.exceptions);
  const network = await readStatusNetwork({
    details: request.details ?? networkDetails,
    refreshDetails: request.refreshDetails,
    system,
    interfaces: request.interfaces,
  })
    .then((reading) => reading.network)
    .catch(() => null);
  const status = await readKillSwitch(network, { system, bootTime: request.bootTime, now });
  const next = snapshotFromStatus(status, network, settings.ok ? settings.settings : null, {
    now,
    captivePortalUntil: captivePortalUntil(status, now),
  });
  if (!settings.ok) next.notes = [...next.notes, ...settings.errors];
  if (request.exceptions.fileError) next.notes = [...next.notes, request.exceptions.fileError];
  next.blocked = await blockedConnections(request, system, next.blocked ?? null);
  writeCachedSnapshot(next);
  // Raycast's root search shows it under the command: the state at a glance without opening the menu.
  await updateCommandMetadata({ subtitle: STATE_NAMES[next.state] }).catch(() => undefined);
  return next;
}

/**
 * The menu bar's data: drawn at once from the cache, then read again without root (never a prompt).
 * `isLoading` always ends false, so Raycast can unload the command.
 */
export function useKillSwitchStatus() {
  const [snapshot, setSnapshot] = useState<KillSwitchSnapshot | undefined>(readCachedSnapshot);
  const [exceptions, setExceptions] = useState<ExceptionList>(readCachedExceptions);
  const [isLoading, setIsLoading] = useState(true);
  const detailsRead = useRef(false);

  const refresh = useCallback(async () => {
    setIsLoading(true);
    const now = new Date();
    // The user opened the menu: show fresh details once; background runs reuse them while the network is the same.
    const refreshDetails = environment.launchType === LaunchType.UserInitiated && !detailsRead.current;
    detailsRead.current ||= refreshDetails;
    try {
      const list = await loadExceptions();
      setExceptions(list);
      setSnapshot(await readStatusSnapshot({ exceptions: list, now, refreshDetails }));
    } catch (error) {
      setSnapshot((previous) => unreadableSnapshot(previous, error, now));
    } finally {
      setIsLoading(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return { snapshot, exceptions, isLoading, refresh };
}
