import { type ArpEntry, parseArpTable } from "./arp";
import { type IfconfigInterface, parseIfconfig } from "./ifconfig";
import { parseDhcpServerIdentifier } from "./ipconfig-packet";
import { type IpconfigSummary, parseIpconfigSummary } from "./ipconfig-summary";
import { type NetstatRoutes, parseNetstatRoutes } from "./netstat";
import { type InternetSocket, parseNetstatSockets } from "./netstat-sockets";
import { parseRouteGet, type RouteGetResult } from "./route-get";
import type { RoutingInputs } from "./routing";
import { parseScutilDns, type ScutilDns } from "./scutil-dns";
import { type NetworkConnectionService, parseScutilNcList } from "./scutil-nc";
import { parseScutilNwi, type ScutilNwi } from "./scutil-nwi";
import type { NetworkSnapshot } from "./snapshot";

/** A snapshot with every present output parsed; null stands for a missing output. */
export interface ParsedSnapshot extends RoutingInputs {
  interfaces: IfconfigInterface[] | null;
  dns: ScutilDns | null;
  vpnServices: NetworkConnectionService[] | null;
  arp: ArpEntry[] | null;
  sockets: InternetSocket[] | null;
  /** `ps -p ... -o pid=,comm=`, read by network/process-names.ts where the sockets give pids only. */
  processNames: string | null;
  ipconfigSummaries: Record<string, IpconfigSummary>;
  /** The lease's DHCP server of each interface whose `ipconfig getpacket` names one. */
  dhcpServers: Record<string, string>;
}

function parseIfPresent<T>(text: string | undefined, parse: (text: string) => T): T | null {
  return text === undefined ? null : parse(text);
}

export function parseNetworkSnapshot(snapshot: NetworkSnapshot): ParsedSnapshot {
  return {
    interfaces: parseIfPresent(snapshot.ifconfig, parseIfconfig),
    routes: parseIfPresent<NetstatRoutes>(snapshot.netstatRoutes, parseNetstatRoutes),
    routeToInternet: parseIfPresent<RouteGetResult>(snapshot.routeGetInternet, parseRouteGet),
    routeToDefault: parseIfPresent<RouteGetResult>(snapshot.routeGetDefault, parseRouteGet),
    nwi: parseIfPresent<ScutilNwi>(snapshot.scutilNwi, parseScutilNwi),
    dns: parseIfPresent(snapshot.scutilDns, parseScutilDns),
    vpnServices: parseIfPresent(snapshot.scutilNcList, parseScutilNcList),
    arp: parseIfPresent(snapshot.arp, parseArpTable),
    sockets: parseIfPresent(snapshot.netstatSockets, parseNetstatSockets),
    processNames: snapshot.processNames ?? null,
    ipconfigSummaries: Object.fromEntries(
      Object.entries(snapshot.ipconfigSummaries ?? {}).map(([name, text]) => [name, parseIpconfigSummary(text)]),
    ),
    dhcpServers: Object.fromEntries(
      Object.entries(snapshot.ipconfigPackets ?? {}).flatMap(([name, text]) => {
        const server = parseDhcpServerIdentifier(text);
        return server ? [[name, server]] : [];
      }),
    ),
  };
}
