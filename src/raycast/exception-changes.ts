import { applyFromRaycast, isOn, readKillSwitch, readNetworkOrNull, snapshotFromStatus } from "./kill-switch";
import { refreshMenuBar } from "./menu-bar-refresh";
import { loadSettings } from "./settings-source";
import { readCaptivePortalUntil, writeCachedSnapshot } from "./status";

/** applied: in force now; saved: the kill switch is off, used at the next Enable; cancelled: saved, not applied. */
export type ExceptionChangeResult = "applied" | "saved" | "cancelled";

/**
 * After the stored exceptions changed: reloads the rules when the kill switch is on (one prompt), so an added
 * exception works and a removed one stops at once. Throws with the reason when the reload fails.
 */
export async function applyExceptionChange(): Promise<ExceptionChangeResult> {
  const loaded = await loadSettings();
  if (!loaded.ok) throw new Error(`Saved, but the preferences are invalid:\n${loaded.errors.join("\n")}`);
  const network = await readNetworkOrNull();
  const status = await readKillSwitch(network);
  const now = new Date();
  const captivePortalUntil = readCaptivePortalUntil(now);
  if (!isOn(status.state)) {
    writeCachedSnapshot(snapshotFromStatus(status, network, loaded.settings, { now }));
    await refreshMenuBar();
    return "saved";
  }
  if (network === null) throw new Error("Saved, but the network could not be read, so the rules were not reloaded.");
  // An open captive-portal window stays open for the rest of its time.
  const outcome = await applyFromRaycast(loaded.settings, network, { captivePortalUntil });
  if (outcome.kind === "cancelled") return "cancelled";
  writeCachedSnapshot(
    snapshotFromStatus(outcome.value.status, network, loaded.settings, {
      now,
      summary: outcome.value.summary,
      captivePortalUntil,
    }),
  );
  await refreshMenuBar();
  return "applied";
}

/** What to tell people after a change, by result. */
export function describeExceptionChange(
  result: ExceptionChangeResult,
  done: string,
): { title: string; message: string } {
  switch (result) {
    case "applied":
      return { title: done, message: "Applied: the kill switch rules were reloaded." };
    case "saved":
      return { title: done, message: "The kill switch is off: it applies at the next Enable." };
    case "cancelled":
      return {
        title: `${done}, Not Applied`,
        message: "Applies at the next Enable, or when you change exceptions again.",
      };
  }
}
