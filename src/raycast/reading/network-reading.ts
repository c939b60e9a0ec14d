import { createHash } from "node:crypto";
import { networkInterfaces } from "node:os";
import * as z from "zod/mini";
import { deriveNetworkState } from "../../network/derive";
import {
  DETAIL_SNAPSHOT_FIELDS,
  type NetworkSnapshot,
  QUICK_SNAPSHOT_FIELDS,
  collectLiveSnapshot,
} from "../../network/snapshot";
import type { NetworkState } from "../../network/state";
import type { SystemCommands } from "../../system/commands";
import type { NetworkSummary } from "../stores/snapshot-cache";
import { systemCommands } from "../system";

/** The Mac's network right now, from unprivileged commands only (never a password prompt). */
export async function readNetworkState(): Promise<NetworkState> {
  return deriveNetworkState(await collectLiveSnapshot(systemCommands()));
}

/** A synchronous store that outlives the command run (Raycast's `Cache`). */
export interface TextStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export const NETWORK_DETAILS_KEY = "network-details";

const optionalText = z.optional(z.string());
/** The slower outputs of the last full reading, and the network they were read on. */
const networkDetailsSchema = z.object({
  version: z.literal(1),
  network: z.string(),
  /** interfacesKey of Node's interface list when `quick` was read. */
  interfaces: z.optional(z.string()),
  /** That reading's quick outputs, for a run that finds every interface as it was and starts no process. */
  quick: z.optional(z.object({ ifconfig: z.string(), netstatRoutes: z.string() })),
  outputs: z.object({
    routeGetDefault: optionalText,
    routeGetInternet: optionalText,
    scutilNwi: optionalText,
    scutilDns: optionalText,
    scutilNcList: optionalText,
    arp: optionalText,
    ipconfigSummaries: z.optional(z.record(z.string(), z.string())),
  }),
});
type NetworkDetails = z.infer<typeof networkDetailsSchema>;

function readNetworkDetails(store: TextStore): NetworkDetails | null {
  try {
    const parsed = networkDetailsSchema.safeParse(JSON.parse(store.get(NETWORK_DETAILS_KEY) ?? "null"));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * What the quick outputs say about the network, as a short key. Derived rather than raw: netstat's Expire column
 * counts down and LAN hosts come and go in its ARP rows, so the raw text changes every minute on an idle network.
 */
export function quickNetworkKey(network: NetworkState): string {
  return createHash("sha256").update(JSON.stringify(network)).digest("hex");
}

/** Node's own list of the Mac's interfaces and their addresses (`os.networkInterfaces()`): no process. */
export type InterfaceList = () => ReturnType<typeof networkInterfaces>;

/** The interface list as a short key: a tunnel coming up or going away, or a new address, changes it. */
export function interfacesKey(list: ReturnType<typeof networkInterfaces>): string {
  const rows = Object.entries(list).flatMap(([name, infos]) =>
    (infos ?? []).map((info) => `${name} ${info.family} ${info.address}/${info.netmask}`),
  );
  return createHash("sha256").update(rows.sort().join("\n")).digest("hex");
}

export interface StatusNetworkRequest {
  /** Where the last full reading's slower outputs are kept between runs. */
  details: TextStore;
  /** Read the slower outputs again even on an unchanged network (the user opened the menu). */
  refreshDetails: boolean;
  /** Default: the Mac's programs. */
  system?: SystemCommands;
  /** Default: Node's `os.networkInterfaces`. */
  interfaces?: InterfaceList;
}

export interface StatusNetworkReading {
  network: NetworkState;
  /** Whether this run read DNS, the Wi-Fi name and the VPN services itself, rather than reusing an earlier run's. */
  detailsReadNow: boolean;
}

/**
 * The network for the menu bar's status. A background run on a Mac whose interfaces and addresses are as at the
 * last reading (Node's own list, no process) takes that reading as it is: it starts no process. Otherwise it
 * reads `ifconfig -a` and `netstat -rn` (tunnels, routes, gateway, subnet: all the status needs); the slower
 * details shown beside it (DNS, Wi-Fi name, VPN services) cost six more processes and are read again only when
 * those two outputs describe another network, or when asked to (the user opened the menu). Whether pf still runs
 * the rules is the watchdog's to check, as root; the status reads its report.
 */
export async function readStatusNetwork(request: StatusNetworkRequest): Promise<StatusNetworkReading> {
  const system = request.system ?? systemCommands();
  const interfaces = interfacesKey((request.interfaces ?? networkInterfaces)());
  const stored = request.refreshDetails ? null : readNetworkDetails(request.details);
  if (stored?.quick && stored.interfaces === interfaces) {
    return { network: deriveNetworkState({ ...stored.outputs, ...stored.quick }), detailsReadNow: false };
  }
  const quick = await collectLiveSnapshot(system, { only: QUICK_SNAPSHOT_FIELDS });
  const key = quickNetworkKey(deriveNetworkState(quick));
  const { ifconfig, netstatRoutes } = quick;
  // Without both quick outputs the key says little, and the old details would stand in for what is missing.
  const seen =
    ifconfig !== undefined && netstatRoutes !== undefined ? { interfaces, quick: { ifconfig, netstatRoutes } } : null;
  const keep = (details: NetworkDetails) => {
    try {
      request.details.set(NETWORK_DETAILS_KEY, JSON.stringify(details));
    } catch {
      // Only a saving for the next run: this reading stands without it.
    }
  };
  if (seen && stored?.network === key) {
    keep({ version: 1, network: key, outputs: stored.outputs, ...seen });
    return { network: deriveNetworkState({ ...stored.outputs, ...quick }), detailsReadNow: false };
  }
  const full = await collectLiveSnapshot(system, { only: DETAIL_SNAPSHOT_FIELDS, known: quick });
  const outputs: NetworkSnapshot = { ...full };
  for (const field of QUICK_SNAPSHOT_FIELDS) delete outputs[field];
  keep({ version: 1, network: key, outputs, ...seen });
  return { network: deriveNetworkState(full), detailsReadNow: true };
}

export function summarizeNetwork(network: NetworkState): NetworkSummary | null {
  const identity = network.identity;
  const gateway = network.gateway;
  if (!identity && !gateway?.ipv4) return null;
  return {
    id: identity?.id ?? null,
    label: identity?.label ?? null,
    gateway: identity?.gatewayIpv4 ?? gateway?.ipv4 ?? null,
    gatewayMac: identity?.gatewayMac ?? gateway?.mac ?? null,
    subnet: identity?.subnet ?? null,
    interface: gateway?.interface ?? null,
    security: identity?.security ?? null,
  };
}

/**
 * True when enabling now would lock the VPN out: no tunnel is up and no VPN server is known, from the settings,
 * the routing table or an earlier Enable (`remembered`), so the VPN app could never reach its server to connect.
 */
export function wouldBlockVpnForever(
  network: NetworkState,
  configuredServers: readonly string[],
  remembered: readonly unknown[] = [],
): boolean {
  const tunnelUp = network.tunnels.length > 0 || network.vpnInterface !== null;
  return !tunnelUp && configuredServers.length === 0 && network.endpoints.length === 0 && remembered.length === 0;
}
