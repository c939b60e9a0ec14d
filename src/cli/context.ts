import { TEXT_FILE_LIMITS, readTextFile } from "../files/text-file";
import { isAbsolute, resolve } from "node:path";
import { deriveNetworkState } from "../network/derive";
import { SAMPLE_SNAPSHOT } from "../network/sample-snapshot";
import { collectLiveSnapshot, readSnapshotDirectory } from "../network/snapshot";
import type { NetworkState } from "../network/state";
import { readRecordedState, rememberedNetwork } from "../lifecycle/record";
import { resolveWithRecord } from "../lifecycle/resolution";
import { type NameToConfirm, withoutUnconfirmed } from "../policy/name-trust";
import { type Endpoint, type KillSwitchPolicy, systemHostLookup } from "../policy/policy";
import { type Settings, parseSettings } from "../policy/settings";
import { SettingsFileError, readSettingsFile, userSettingsPath } from "../settings/settings-file";
import { CliError, type CliIo } from "./io";

/** The user's settings file, shared with the Raycast extension and any other front-end: under HOME. */
export function userSettingsFileOf(io: CliIo): string {
  const home = io.env.HOME;
  if (!home || !isAbsolute(home)) {
    throw new CliError(
      `HOME is ${home ? `not an absolute path (${JSON.stringify(home)})` : "not set"}, so the user's settings file cannot be found: give --config FILE`,
    );
  }
  return userSettingsPath(home);
}

/** The settings file a command reads and changes: `--config FILE`, else the user's. */
export function settingsFileFor(config: string | undefined, io: CliIo): string {
  return config === undefined ? userSettingsFileOf(io) : resolve(io.cwd, config);
}

/** A settings file's problem as the CLI's error: the message names the file, `--json` the field and value. */
export function settingsFileProblem(error: unknown): unknown {
  return error instanceof SettingsFileError ? new CliError(error.message, 2, error.field, error.value) : error;
}

/**
 * Reads and validates the settings: `--config FILE` when given, else the user's settings file (the defaults while
 * there is none). Every problem is reported with the file, the field and the value.
 */
export async function loadSettingsFile(path: string | undefined, io: CliIo): Promise<Settings> {
  return (await loadSettingsAndSource(path, io)).settings;
}

/** The settings, and for people where they came from ("the settings in FILE", "the default settings"). */
export async function loadSettingsAndSource(
  path: string | undefined,
  io: CliIo,
): Promise<{ settings: Settings; source: string }> {
  if (path === undefined) {
    try {
      const file = await readSettingsFile(userSettingsFileOf(io));
      const source = file.exists ? `the settings in ${file.path}` : `the default settings (no ${file.path} yet)`;
      return { settings: file.settings, source };
    } catch (error) {
      throw settingsFileProblem(error);
    }
  }
  const full = resolve(io.cwd, path);
  let text: string;
  try {
    text = await readTextFile(full, "config file", TEXT_FILE_LIMITS.config);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  let input: unknown;
  try {
    // A byte-order mark (some Windows editors write one) is not part of the JSON.
    input = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new CliError(`config file ${full} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = parseSettings(input);
  if (!parsed.ok) {
    const first = parsed.problems?.[0];
    throw new CliError(
      `invalid settings in ${path}:\n  ${parsed.errors.join("\n  ")}`,
      2,
      first?.field ?? null,
      first?.value ?? null,
    );
  }
  return { settings: parsed.settings, source: `the settings in ${path}` };
}

export interface NetworkReading {
  network: NetworkState;
  /** Where the state came from, for people: "this Mac", "snapshot <dir>", "embedded sample". */
  source: string;
  /** On this Mac: the VPN servers the last Enable found in the routes (passed while the routes show none). */
  rememberedServers: Endpoint[];
  /** On this Mac: the networks the last Enable saw routed into the tunnel (kept off the LAN while it is down). */
  rememberedTunnelRoutes: string[];
  /** What people should know about the reading: a snapshot with nothing usable in it. */
  warnings: string[];
}

/** A snapshot that lists no interface the rules could name holds nothing usable: say so rather than pass it. */
function snapshotWarnings(network: NetworkState, dir: string): string[] {
  if (network.physical.length > 0 || network.tunnels.length > 0) return [];
  return [
    `snapshot ${dir} holds nothing usable: no Ethernet, Wi-Fi or tunnel interface in its ifconfig.txt, so the rules are those of a Mac without a network`,
  ];
}

/** The live state on macOS; a snapshot directory when given; the embedded sample anywhere else. */
export async function readNetwork(snapshotDir: string | undefined, io: CliIo): Promise<NetworkReading> {
  if (snapshotDir !== undefined) {
    const dir = resolve(io.cwd, snapshotDir);
    try {
      const network = deriveNetworkState(await readSnapshotDirectory(dir));
      return {
        network,
        source: `snapshot ${dir}`,
        rememberedServers: [],
        rememberedTunnelRoutes: [],
        warnings: snapshotWarnings(network, dir),
      };
    } catch (error) {
      throw new CliError(error instanceof Error ? error.message : String(error));
    }
  }
  if (io.platform === "darwin") {
    const network = deriveNetworkState(await collectLiveSnapshot(io.system));
    return { network, source: "this Mac", ...rememberedNetwork(await readRecordedState(io.system)), warnings: [] };
  }
  const sample = deriveNetworkState(SAMPLE_SNAPSHOT);
  return {
    network: sample,
    source: "embedded sample (not a Mac)",
    rememberedServers: [],
    rememberedTunnelRoutes: [],
    warnings: [],
  };
}

export interface CliContext extends NetworkReading {
  settings: Settings;
  /** Where the settings came from, for people. */
  settingsSource: string;
  policy: KillSwitchPolicy;
  /** Names the network's DNS resolved to public addresses nobody confirmed: left out of the policy, as Enable would. */
  unconfirmedNames: NameToConfirm[];
}

/**
 * Settings, resolved policy and network state: what preview, verify and explain all start from. Names are judged
 * as Enable judges them, so the rules shown are the rules Enable would load.
 */
export async function loadCliContext(options: { config?: string; snapshot?: string }, io: CliIo): Promise<CliContext> {
  const { settings, source: settingsSource } = await loadSettingsAndSource(options.config, io);
  const reading = await readNetwork(options.snapshot, io);
  const { result, toConfirm } = await resolveWithRecord(
    settings,
    io.lookup ?? systemHostLookup,
    { hosts: {}, confirmed: false },
    { network: reading.network, confirmations: settings.confirmedAddresses },
  );
  if (!result.ok) throw new CliError(`cannot resolve host names:\n  ${result.errors.join("\n  ")}`);
  return {
    ...reading,
    settings,
    settingsSource,
    policy: withoutUnconfirmed(result.policy, toConfirm),
    unconfirmedNames: toConfirm,
  };
}

/** What the builder and the verifier take, from the CLI's context at `now`. */
export function anchorInputOf(context: CliContext, now: Date) {
  return {
    policy: context.policy,
    network: context.network,
    now,
    rememberedServers: context.rememberedServers,
    rememberedTunnelRoutes: context.rememberedTunnelRoutes,
  };
}
