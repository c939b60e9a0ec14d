/**
 * What the CLI does after it changed the settings file (an exception, the VPN servers): while the kill switch is
 * on, it reloads the rules at once with one prompt, as Raycast's Enable command does after a change there;
 * while it is off, the change waits for the next Enable. Either way the change is saved, and the output says both.
 */
import {
  KillSwitchError,
  type KillSwitchChange,
  type KillSwitchStatus,
  NameConfirmationError,
  ServerTransportError,
  applyKillSwitch,
  describeChange,
  getKillSwitchStatus,
} from "../lifecycle";
import { isTurnedOn } from "../lifecycle/states";
import type { NetworkState } from "../network/state";
import type { Settings } from "../policy/settings";
import { systemRootOf } from "../system/commands";
import { readNetwork } from "./context";
import type { CliIo } from "./io";
import { printable } from "./printable";

/** The kill switch now, as far as applying a change goes: the network and the status (no prompt). */
export interface KillSwitchNow {
  network: NetworkState | null;
  status: KillSwitchStatus;
}

/** True while rules are in force, whatever the VPN is doing (as Raycast's isOn). */
export const rulesInForce = (status: KillSwitchStatus): boolean => isTurnedOn(status.state);

/** Only a Mac (or a stand-in tree) has a kill switch to reload; anywhere else it is off. */
export const hasKillSwitch = (io: CliIo) => io.platform === "darwin" || systemRootOf(io.system) !== "";

/** This Mac's network; null off a Mac (the embedded sample is no one's network) or when it cannot be read. */
export async function readNetworkIfMac(io: CliIo): Promise<NetworkState | null> {
  if (!hasKillSwitch(io)) return null;
  try {
    return (await readNetwork(undefined, io)).network;
  } catch {
    return null;
  }
}

/** Reads the network and the status, without a password; null off a Mac. */
export async function readKillSwitchNow(io: CliIo): Promise<KillSwitchNow | null> {
  if (!hasKillSwitch(io)) return null;
  // Without the network the status says what it can (the VPN half unknown).
  const network = await readNetworkIfMac(io);
  const status = await getKillSwitchStatus({ system: io.system, network, now: io.now() });
  return { network, status };
}

export type ApplyResult =
  /** Off (or not a Mac): the change is used at the next Enable. */
  | { kind: "saved" }
  | { kind: "applied"; change: KillSwitchChange }
  /** Saved, but the rules were not reloaded (cancelled, refused, the network unreadable). */
  | { kind: "failed"; error: KillSwitchError | null; message: string };

/** Reloads the rules with `settings` when the kill switch is on (one prompt); an open captive portal window stays. */
export async function applyIfOn(settings: Settings, io: CliIo): Promise<ApplyResult> {
  const now = await readKillSwitchNow(io);
  if (!now || !rulesInForce(now.status)) return { kind: "saved" };
  if (!now.network) {
    return {
      kind: "failed",
      error: null,
      message: "this Mac's network could not be read, so the rules were not reloaded.",
    };
  }
  const until = now.status.captivePortalUntil ?? null;
  try {
    const change = await applyKillSwitch({
      system: io.system,
      settings,
      network: now.network,
      now: io.now(),
      captivePortalUntil: until && until.getTime() > io.now().getTime() ? until : null,
      ...(io.lookup ? { lookup: io.lookup } : {}),
    });
    return { kind: "applied", change };
  } catch (error) {
    if (error instanceof KillSwitchError) return { kind: "failed", error, message: error.message };
    throw error;
  }
}

/** The change's JSON, as `enable --json` prints one: with what the rules let through (`summary`) after Enable or Apply. */
export function changeJson(change: KillSwitchChange) {
  const { action, method, notes, report, status, summary } = change;
  return { action, method, notes, report, status, summary };
}

/** The error's JSON, as `enable --json` prints one (with the servers or names to answer for). */
export function killSwitchErrorJson(error: KillSwitchError) {
  const { kind, message, nothingChanged } = error;
  const servers = error instanceof ServerTransportError ? { servers: error.servers, seen: error.seen } : {};
  const names = error instanceof NameConfirmationError ? { names: error.names } : {};
  return { kind, message, nothingChanged, ...servers, ...names };
}

/**
 * Prints what was saved (`done`, one line for people; `saved`, its JSON) and what became of it, and returns the exit
 * status: 0 saved (and applied when on), 1 saved but not applied, 2 not applied for a name to confirm.
 */
export function reportSettingsChange(
  io: CliIo,
  json: boolean,
  saved: { file: string; done: string; details?: Record<string, unknown>; warnings?: string[] },
  result: ApplyResult,
): number {
  const warnings = saved.warnings ?? [];
  // A name to confirm is the user's input to give, as for Enable: exit 2.
  const code = result.kind === "failed" ? (result.error instanceof NameConfirmationError ? 2 : 1) : 0;
  if (json) {
    const base = { ok: result.kind !== "failed", file: saved.file, ...saved.details, warnings };
    const outcome =
      result.kind === "applied"
        ? { applied: changeJson(result.change) }
        : result.kind === "saved"
          ? { applied: null }
          : {
              applied: null,
              error: result.error
                ? killSwitchErrorJson(result.error)
                : { kind: "not-reloaded", message: result.message, nothingChanged: true },
            };
    io.stdout(`${JSON.stringify({ ...base, ...outcome }, null, 2)}\n`);
    return code;
  }
  for (const warning of warnings) io.stderr(`Warning: ${printable(warning)}\n`);
  const lines = [`${saved.done} (${saved.file}).`];
  if (result.kind === "saved") lines.push("The kill switch is off: it applies at the next `killswitch enable`.");
  if (result.kind === "applied") lines.push(...describeChange(result.change));
  io.stdout(`${lines.map((line) => printable(line)).join("\n")}\n`);
  if (result.kind === "failed") {
    io.stderr(
      `Not applied now: ${printable(result.message, { keepNewlines: true })}\nIt applies at the next \`killswitch enable\`.\n`,
    );
  }
  return code;
}
