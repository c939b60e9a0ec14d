import { TEXT_FILE_LIMITS, readTextFile } from "../files/text-file";
import { resolve } from "node:path";
import { deriveNetworkState } from "../network/derive";
import { SAMPLE_SNAPSHOT } from "../network/sample-snapshot";
import { collectLiveSnapshot, readSnapshotDirectory } from "../network/snapshot";
import type { NetworkState } from "../network/state";
import { readRecordedState, rememberedNetwork } from "../lifecycle/record";
import { resolveWithRecord } from "../lifecycle/resolution";
import { type NameToConfirm, withoutUnconfirmed } from "../policy/name-trust";
import { type Endpoint, type KillSwitchPolicy, systemHostLookup } from "../policy/policy";
import { type Settings, parseSettings } from "../policy/settings";
import { CliError, type CliIo } from "./io";

/** Reads and validates a settings JSON file; every problem is reported with the field and value. */
export async function loadSettingsFile(path: string | undefined, io: CliIo): Promise<Settings> {
  let input: unknown = {};
  if (path !== undefined) {
    const full = resolve(io.cwd, path);
    let text: string;
    try {
      text = await readTextFile(full, "config file", TEXT_FILE_LIMITS.config);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    try {
      // A byte-order mark (some Windows editors write one) is not part of the JSON.
      input = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (error) {
      throw new CliError(`config file ${full} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = parseSettings(input);
  if (!parsed.ok) {
    const first = parsed.problems?.[0];
    throw new CliError(
      `invalid settings${path ? ` in ${path}` : ""}:\n  ${parsed.errors.join("\n  ")}`,
      2,
      first?.field ?? null,
      first?.value ?? null,
    );
  }
  return parsed.settings;
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
  policy: KillSwitchPolicy;
  /** Names the network's DNS resolved to public addresses nobody confirmed: left out of the policy, as Enable would. */
  unconfirmedNames: NameToConfirm[];
}

/**
 * Settings, resolved policy and network state: what preview, verify and explain all start from. Names are judged
 * as Enable judges them, so the rules shown are the rules Enable would load.
 */
export async function loadCliContext(options: { config?: string; snapshot?: string }, io: CliIo): Promise<CliContext> {
  const settings = await loadSettingsFile(options.config, io);
  const reading = await readNetwork(options.snapshot, io);
  const { result, toConfirm } = await resolveWithRecord(
    settings,
    io.lookup ?? systemHostLookup,
    { hosts: {}, confirmed: false },
    { network: reading.network, confirmations: settings.confirmedAddresses },
  );
  if (!result.ok) throw new CliError(`cannot resolve host names:\n  ${result.errors.join("\n  ")}`);
  return { ...reading, settings, policy: withoutUnconfirmed(result.policy, toConfirm), unconfirmedNames: toConfirm };
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
