import type { KillSwitchState } from "../../lifecycle";
import type { StoredException } from "../stores/exception-store";
import {
  appliesNow,
  describeExpiry,
  describeTraffic,
  exceptionTitle,
  formatTimeLeft,
  isExpired,
  isForNetwork,
} from "./exception-text";
import { isOn, menuBarIconFile } from "./kill-switch-state";
import { captivePortalUseful } from "../../policy/captive-portal";
import { STATE_HEADLINES, STATE_NAMES } from "../../words/states";
import type { KillSwitchSnapshot } from "../stores/snapshot-cache";

export interface MenuBarInput {
  /** The latest reading; undefined before the first one ever finished. */
  snapshot: KillSwitchSnapshot | undefined;
  exceptions: readonly StoredException[];
  /** Stored exceptions that failed validation (reported, not applied). */
  rejectedExceptions: number;
  now: Date;
  showStateTitle: boolean;
}

export interface MenuBarLine {
  title: string;
  subtitle?: string;
}

export interface MenuBarExceptionItem {
  id: string;
  title: string;
  subtitle: string;
  enabled: boolean;
  /** Let through right now (enabled, not expired, meant for this network). */
  active: boolean;
}

/** What the menu-bar command renders, decided without React so each state can be tested as data. */
export interface MenuBarModel {
  state: KillSwitchState;
  icon: string;
  /** Text next to the icon (only when the user asked for it). */
  title: string | undefined;
  tooltip: string;
  headline: string;
  notes: string[];
  vpn: MenuBarLine[];
  networkTitle: string;
  network: MenuBarLine[];
  exceptions: MenuBarExceptionItem[];
  /** Whether Enable and Disable are offered (both when the state is unknown). */
  canEnable: boolean;
  canDisable: boolean;
  /** Minutes (rounded up) the captive-portal window stays open; null when closed. */
  captivePortalTimeLeft: string | null;
  /** Opening the window only makes sense while the kill switch is blocking, and none is open. */
  canOpenCaptivePortal: boolean;
  /** An open window can be closed before its time. */
  canCloseCaptivePortal: boolean;
  checked: string | null;
  /** "Blocked 42 packets since 09:12", opening Blocked Traffic; null when the watchdog has not counted. */
  blocked: string | null;
}

function vpnLines(snapshot: KillSwitchSnapshot | undefined): MenuBarLine[] {
  if (!snapshot) return [];
  const lines: MenuBarLine[] = [];
  if (snapshot.tunnels.length === 0) lines.push({ title: "No VPN tunnel" });
  for (const tunnel of snapshot.tunnels) lines.push({ title: "Tunnel", subtitle: tunnel });
  for (const server of snapshot.vpnServers) lines.push({ title: "Server", subtitle: server });
  for (const tunnel of snapshot.untrustedTunnels ?? []) {
    lines.push({ title: "Not Trusted", subtitle: `${tunnel}: blocked; add it to Trusted Tunnels to let it through` });
  }
  return lines;
}

function networkLines(snapshot: KillSwitchSnapshot | undefined): { title: string; lines: MenuBarLine[] } {
  const network = snapshot?.network;
  if (!network) return { title: "No Network", lines: [] };
  const lines: MenuBarLine[] = [];
  if (network.gateway) {
    lines.push({
      title: "Gateway",
      subtitle: network.gatewayMac ? `${network.gateway} (${network.gatewayMac})` : network.gateway,
    });
  }
  if (network.subnet) lines.push({ title: "Subnet", subtitle: network.subnet });
  if (network.interface) lines.push({ title: "Interface", subtitle: network.interface });
  const title = network.label ?? (network.gateway ? `Network via ${network.gateway}` : "Unidentified Network");
  return { title, lines };
}

function minutesAgo(checkedAt: string, now: Date): string {
  const minutes = Math.floor((now.getTime() - Date.parse(checkedAt)) / 60_000);
  if (!(minutes >= 1)) return "Checked just now";
  return minutes < 60 ? `Checked ${minutes} min ago` : `Checked ${Math.floor(minutes / 60)} h ago`;
}

function describeBlocked(snapshot: KillSwitchSnapshot | undefined): string | null {
  const blocked = snapshot?.blocked;
  if (!blocked) return null;
  const since = blocked.since
    ? ` since ${new Date(blocked.since).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`
    : "";
  if (blocked.connections !== undefined) {
    return `Blocked ${blocked.connections} connection${blocked.connections === 1 ? "" : "s"}${since}`;
  }
  return `Blocked ${blocked.packets} packet${blocked.packets === 1 ? "" : "s"}${since}`;
}

export function buildMenuBarModel(input: MenuBarInput): MenuBarModel {
  const { snapshot, now } = input;
  const state: KillSwitchState = snapshot?.state ?? "unknown";
  const networkId = snapshot?.network?.id ?? null;
  const on = isOn(state);
  const portalUntil = snapshot?.captivePortalUntil ? new Date(snapshot.captivePortalUntil) : null;
  const portalOpen = on && portalUntil !== null && portalUntil.getTime() > now.getTime();
  const { title: networkTitle, lines: network } = networkLines(snapshot);

  const notes = [...(snapshot?.notes ?? [])];
  if (input.rejectedExceptions > 0) {
    notes.push(`${input.rejectedExceptions} stored exception(s) could not be read: see Manage Exceptions`);
  }

  return {
    state,
    icon: menuBarIconFile(state),
    title: input.showStateTitle ? STATE_NAMES[state] : undefined,
    tooltip: `VPN Kill Switch: ${snapshot?.headline ?? "Checking the kill switch…"}`,
    headline: STATE_HEADLINES[state],
    notes,
    vpn: vpnLines(snapshot),
    networkTitle,
    network,
    exceptions: input.exceptions
      .filter((e) => isForNetwork(e, networkId) && !isExpired(e, now))
      .map((e) => ({
        id: e.id,
        title: exceptionTitle(e),
        subtitle: [describeTraffic(e), e.label ? e.address : null, describeExpiry(e, now)].filter(Boolean).join(" · "),
        enabled: e.enabled,
        active: appliesNow(e, snapshot?.network ?? null, now),
      })),
    canEnable: state === "off" || state === "unknown" || state === "degraded" || state === "unverified",
    canDisable: state !== "off",
    captivePortalTimeLeft: portalOpen && portalUntil ? formatTimeLeft(portalUntil, now) : null,
    canOpenCaptivePortal: captivePortalUseful(state, (snapshot?.tunnels.length ?? 0) > 0) && !portalOpen,
    canCloseCaptivePortal: portalOpen,
    checked: snapshot ? minutesAgo(snapshot.checkedAt, now) : null,
    blocked: describeBlocked(snapshot),
  };
}
