import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { TEXT_FILE_LIMITS, readTextFile } from "../files/text-file";
import { join } from "node:path";
import type { SystemCommands, SystemTool } from "../system/commands";
import { isInterfaceName, isPhysicalInterfaceName } from "./interface-kind";
import { parseNetworkSnapshot } from "./parsed-snapshot";
import type { InternetSocket } from "./netstat-sockets";
import { findPhysicalGateway } from "./routing";

/** At most this many owners are named: one `ps`, a short argument list, whatever the sockets hold. */
const MAX_PIDS_TO_NAME = 200;

/**
 * The owners netstat names by pid only, of any socket: a VPN client's proves a VPN server (a connection to a
 * remote address) or that the VPN runs (any socket). The root script's `vpn_program_running` names the same.
 */
function pidsToName(sockets: readonly InternetSocket[]): number[] {
  const pids = sockets.flatMap((socket) => (socket.owner && socket.owner.name === null ? [socket.owner.pid] : []));
  return [...new Set(pids)].sort((a, b) => a - b).slice(0, MAX_PIDS_TO_NAME);
}

/**
 * The unmodified stdout of the commands that describe the Mac's network, any of which may be missing.
 * Snapshots let the same derivation run live, from a saved directory, or from the built-in sample.
 */
export interface NetworkSnapshot {
  /** `ifconfig -a` */
  ifconfig?: string;
  /** `netstat -rn` */
  netstatRoutes?: string;
  /** `route -n get default` */
  routeGetDefault?: string;
  /** `route -n get 1.1.1.1` */
  routeGetInternet?: string;
  /** `scutil --nwi` */
  scutilNwi?: string;
  /** `scutil --dns` */
  scutilDns?: string;
  /** `scutil --nc list` */
  scutilNcList?: string;
  /** `arp -an` */
  arp?: string;
  /** `netstat -anv`: the sockets and their owners, the proof of a VPN server and of its protocol and port. */
  netstatSockets?: string;
  /**
   * `ps -p PID,... -o pid=,comm=` of the sockets' owners, where netstat prints only their pids (before macOS 26).
   */
  processNames?: string;
  /** `ipconfig getsummary <if>`, by interface name. */
  ipconfigSummaries?: Record<string, string>;
  /** `ipconfig getpacket <if>` of each physical interface with IPv4: the lease's DHCP server. */
  ipconfigPackets?: Record<string, string>;
}

/** The outputs kept per interface, each in a file of its own. */
export type SnapshotInterfaceField = "ipconfigSummaries" | "ipconfigPackets";
export type SnapshotTextField = Exclude<keyof NetworkSnapshot, SnapshotInterfaceField>;
/** Outputs whose command depends on another output (the pids netstat printed), read after it. */
type SnapshotFollowUpField = "processNames";

/** The address `route -n get` is asked about; the routing table answers without sending anything. */
export const INTERNET_PROBE_ADDRESS = "1.1.1.1";

/** The file each field is stored in inside a snapshot directory. */
export const SNAPSHOT_FILES: Readonly<Record<SnapshotTextField, string>> = {
  ifconfig: "ifconfig.txt",
  netstatRoutes: "netstat-rn.txt",
  routeGetDefault: "route-get-default.txt",
  routeGetInternet: `route-get-${INTERNET_PROBE_ADDRESS}.txt`,
  scutilNwi: "scutil-nwi.txt",
  scutilDns: "scutil-dns.txt",
  scutilNcList: "scutil-nc-list.txt",
  arp: "arp-an.txt",
  netstatSockets: "netstat-anv.txt",
  processNames: "ps-pid-comm.txt",
};

const SNAPSHOT_COMMANDS: Readonly<
  Record<Exclude<SnapshotTextField, SnapshotFollowUpField>, readonly [SystemTool, readonly string[]]>
> = {
  ifconfig: ["ifconfig", ["-a"]],
  netstatRoutes: ["netstat", ["-rn"]],
  routeGetDefault: ["route", ["-n", "get", "default"]],
  routeGetInternet: ["route", ["-n", "get", INTERNET_PROBE_ADDRESS]],
  scutilNwi: ["scutil", ["--nwi"]],
  scutilDns: ["scutil", ["--dns"]],
  scutilNcList: ["scutil", ["--nc", "list"]],
  arp: ["arp", ["-an"]],
  netstatSockets: ["netstat", ["-anv"]],
};

const SNAPSHOT_FIELDS = Object.keys(SNAPSHOT_FILES) as SnapshotTextField[];
const COMMAND_FIELDS = Object.keys(SNAPSHOT_COMMANDS) as Exclude<SnapshotTextField, SnapshotFollowUpField>[];

/** The `ipconfig` verb of each per-interface field: its file is `ipconfig-<verb>-<interface>.txt`. */
const INTERFACE_FIELDS: Readonly<Record<SnapshotInterfaceField, string>> = {
  ipconfigSummaries: "getsummary",
  ipconfigPackets: "getpacket",
};

export function ipconfigSummaryFileName(interfaceName: string): string {
  return interfaceFileName("ipconfigSummaries", interfaceName);
}

function interfaceFileName(field: SnapshotInterfaceField, interfaceName: string): string {
  return `ipconfig-${INTERFACE_FIELDS[field]}-${interfaceName}.txt`;
}

const readSnapshotFile = (path: string) => readTextFile(path, "snapshot file", TEXT_FILE_LIMITS.snapshot);

/** Reads every known file present in `dir`; unknown files are ignored, missing ones left out. */
export async function readSnapshotDirectory(dir: string): Promise<NetworkSnapshot> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new Error(`Snapshot directory not found: ${dir}`);
  if (!info.isDirectory()) throw new Error(`Snapshot path is not a directory: ${dir}`);
  const present = new Set(await readdir(dir));
  const snapshot: NetworkSnapshot = {};
  for (const field of SNAPSHOT_FIELDS) {
    if (present.has(SNAPSHOT_FILES[field])) snapshot[field] = await readSnapshotFile(join(dir, SNAPSHOT_FILES[field]));
  }
  for (const name of [...present].sort()) {
    const match = name.match(/^ipconfig-(getsummary|getpacket)-(.+)\.txt$/);
    if (!match || !isInterfaceName(match[2])) continue;
    const field = match[1] === "getsummary" ? "ipconfigSummaries" : "ipconfigPackets";
    snapshot[field] = { ...snapshot[field], [match[2]]: await readSnapshotFile(join(dir, name)) };
  }
  return snapshot;
}

/** Writes each present field to its file in `dir` (created if needed); existing other files are left alone. */
export async function writeSnapshotDirectory(dir: string, snapshot: NetworkSnapshot): Promise<void> {
  const perInterface = (Object.keys(INTERFACE_FIELDS) as SnapshotInterfaceField[]).flatMap((field) =>
    Object.entries(snapshot[field] ?? {}).map(([name, text]) => ({ field, name, text })),
  );
  // The interface name becomes part of a file name: refuse anything that could leave the directory.
  const invalid = perInterface.find(({ name }) => !isInterfaceName(name));
  if (invalid) throw new Error(`${invalid.field}: "${invalid.name}" is not an interface name`);
  await mkdir(dir, { recursive: true });
  for (const field of SNAPSHOT_FIELDS) {
    const text = snapshot[field];
    if (text !== undefined) await writeFile(join(dir, SNAPSHOT_FILES[field]), text);
  }
  for (const { field, name, text } of perInterface) await writeFile(join(dir, interfaceFileName(field, name)), text);
}

/** Each command gets this long; none of them waits on the network. */
const COMMAND_TIMEOUT_MS = 10_000;

async function runForStdout(
  system: SystemCommands,
  tool: SystemTool,
  args: readonly string[],
): Promise<string | undefined> {
  try {
    const result = await system.run(tool, args, { timeoutMs: COMMAND_TIMEOUT_MS });
    return result.exitCode === 0 ? result.stdout : undefined;
  } catch {
    return undefined;
  }
}

/** What the menu bar reads every minute: tunnels, routes (split routes included), gateway and its MAC, subnet. */
export const QUICK_SNAPSHOT_FIELDS: readonly SnapshotTextField[] = ["ifconfig", "netstatRoutes"];

/**
 * Only the rules need them (the VPN servers' protocol and port, the DHCP servers): the menu bar never reads
 * the sockets or the DHCP packets.
 */
export const RULES_ONLY_SNAPSHOT_FIELDS: readonly (keyof NetworkSnapshot)[] = [
  "netstatSockets",
  "processNames",
  "ipconfigPackets",
];

/** The rest the menu bar shows: the kernel's route answers, DNS, VPN services, ARP and the Wi-Fi summary. */
export const DETAIL_SNAPSHOT_FIELDS: readonly (keyof NetworkSnapshot)[] = [
  ...SNAPSHOT_FIELDS.filter(
    (field) => !QUICK_SNAPSHOT_FIELDS.includes(field) && !RULES_ONLY_SNAPSHOT_FIELDS.includes(field),
  ),
  "ipconfigSummaries",
];

export interface CollectOptions {
  /** Read only these outputs (`ipconfigSummaries`: the Wi-Fi summary); default: all of them. */
  only?: readonly (keyof NetworkSnapshot)[];
  /** Outputs already read in this run: kept as they are, their commands not run again. */
  known?: NetworkSnapshot;
}

/**
 * Runs the snapshot commands at once; a command that fails (e.g. `route -n get 1.1.1.1` with no route, exit 1)
 * just leaves its field out. Then asks `ipconfig getsummary` about the interface of the physical gateway, for the
 * Wi-Fi name, when it is an `en` interface: Wi-Fi is always one, and without `ifconfig -v` nothing cheaper tells
 * Wi-Fi from Ethernet (on Ethernet the summary simply has no SSID).
 */
export async function collectLiveSnapshot(
  system: SystemCommands,
  options: CollectOptions = {},
): Promise<NetworkSnapshot> {
  const wanted = (field: keyof NetworkSnapshot) =>
    (options.only === undefined || options.only.includes(field)) && options.known?.[field] === undefined;
  const outputs = await Promise.all(
    COMMAND_FIELDS.filter(wanted).map(async (field) => {
      const [tool, args] = SNAPSHOT_COMMANDS[field];
      return [field, await runForStdout(system, tool, args)] as const;
    }),
  );
  const snapshot: NetworkSnapshot = { ...options.known };
  for (const [field, text] of outputs) if (text !== undefined) snapshot[field] = text;
  const parsed = parseNetworkSnapshot(snapshot);

  if (wanted("ipconfigPackets")) {
    // The lease of each physical interface with IPv4 names its DHCP server, to which renewals go unicast.
    const leased = (parsed.interfaces ?? [])
      .filter((entry) => isPhysicalInterfaceName(entry.name) && entry.ipv4.length > 0)
      .map((entry) => entry.name);
    const packets = await Promise.all(
      leased.map(async (name) => [name, await runForStdout(system, "ipconfig", ["getpacket", name])] as const),
    );
    for (const [name, text] of packets)
      if (text !== undefined) snapshot.ipconfigPackets = { ...snapshot.ipconfigPackets, [name]: text };
  }
  if (wanted("processNames")) {
    const pids = pidsToName(parsed.sockets ?? []);
    if (pids.length > 0) {
      const names = await runForStdout(system, "ps", ["-p", pids.join(","), "-o", "pid=,comm="]);
      if (names !== undefined) snapshot.processNames = names;
    }
  }
  if (!wanted("ipconfigSummaries")) return snapshot;

  const gateway = findPhysicalGateway(parsed);
  if (gateway && /^en\d+$/.test(gateway.interface)) {
    const summary = await runForStdout(system, "ipconfig", ["getsummary", gateway.interface]);
    if (summary !== undefined) snapshot.ipconfigSummaries = { [gateway.interface]: summary };
  }
  return snapshot;
}
