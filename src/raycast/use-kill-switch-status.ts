import { useCallback, useEffect, useState } from "react";
import { type ExceptionList, loadExceptions, readCachedExceptions } from "./exception-store";
import { captivePortalUntil, readKillSwitch, readNetworkOrNull, snapshotFromStatus } from "./kill-switch";
import { readPreferences, settingsFromPreferences } from "./preferences";
import { type KillSwitchSnapshot, readCachedSnapshot, writeCachedSnapshot } from "./status";

/** A reading that failed: the state becomes unknown, what was known about the network stays. */
export function unreadableSnapshot(
  previous: KillSwitchSnapshot | undefined,
  error: unknown,
  now: Date,
): KillSwitchSnapshot {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    state: "unknown",
    headline: "Unknown: the kill switch's status could not be read.",
    checkedAt: now.toISOString(),
    tunnels: previous?.tunnels ?? [],
    vpnServers: previous?.vpnServers ?? [],
    network: previous?.network ?? null,
    captivePortalUntil: null,
    notes: [reason],
  };
}

/**
 * The menu bar's data: drawn at once from the cache, then read again without root (never a prompt).
 * `isLoading` always ends false, so Raycast can unload the command.
 */
export function useKillSwitchStatus() {
  const [snapshot, setSnapshot] = useState<KillSwitchSnapshot | undefined>(readCachedSnapshot);
  const [exceptions, setExceptions] = useState<ExceptionList>(readCachedExceptions);
  const [isLoading, setIsLoading] = useState(true);

  const refresh = useCallback(async () => {
    setIsLoading(true);
    const now = new Date();
    try {
      const list = await loadExceptions();
      setExceptions(list);
      const settings = settingsFromPreferences(readPreferences(), list.exceptions);
      const network = await readNetworkOrNull();
      const status = await readKillSwitch(network);
      const next = snapshotFromStatus(status, network, settings.ok ? settings.settings : null, {
        now,
        captivePortalUntil: captivePortalUntil(status, now),
      });
      if (!settings.ok) next.notes = [...next.notes, ...settings.errors];
      writeCachedSnapshot(next);
      setSnapshot(next);
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
