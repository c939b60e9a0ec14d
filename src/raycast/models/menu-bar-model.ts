import type { KillSwitchState } from "../../lifecycle/status";
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
import { isOn, offersEnable } from "./kill-switch-state";
import { captivePortalUseful } from "../../policy/captive-portal";
import { STATE_HEADLINES, STATE_MEANINGS, STATE_NAMES, headlineReason } from "../../words/states";
import { timeAgo } from "../../words/time-ago";
import type { KillSwitchSnapshot } from "../stores/snapshot-cache";

export interface MenuBarInput {
  /** The latest reading; undefined before the first one ever finished. */
  snapshot: KillSwitchSnapshot | undefined;
  exceptions: readonly StoredException[];
  /** Stored exceptions that failed validation (reported, not applied). */
  rejectedExceptions: number;
  now: Date;
  /** Name the state next to the icon when protected too (every other state is always named). */
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
  /** Text next to the icon: the state's name, unless protected (then only when the user asked for it). */
  title: string | undefined;
  tooltip: string;
  headline: string;
  /** What the state means, in one sentence: whether traffic can leave outside the VPN now. */
  meaning: string;
  /** Why the kill switch is in this state (the status's words); null when the state says it all. */
  reason: string | null;
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
  /** When the watchdog last checked the rules (or, without one, when they were loaded); null when off. */
  checked: string | null;
  /** While blocking or in safe mode, the VPN servers that still pass: "Allowed: 198.51.100.7 UDP 1194". */
  allowed: string[];
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

/** The watchdog's last check, not this menu's reading; without a watchdog, when the rules were loaded. */
function describeChecked(snapshot: KillSwitchSnapshot | undefined, now: Date): string | null {
  if (!snapshot || snapshot.state === "off") return null;
  if (snapshot.watchdogCheckedAt) return `Watchdog checked ${timeAgo(snapshot.watchdogCheckedAt, now, "seconds")}`;
  if (snapshot.rulesLoadedAt)
    return `Rules loaded ${timeAgo(snapshot.rulesLoadedAt, now, "seconds")}, not checked since`;
  return null;
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
    title: state !== "protected" || input.showStateTitle ? STATE_NAMES[state] : undefined,
    tooltip: `VPN Kill Switch: ${snapshot?.headline ?? "Checking the kill switch…"}`,
    headline: STATE_HEADLINES[state],
    meaning: STATE_MEANINGS[state],
    reason: snapshot && state !== "protected" && state !== "off" ? headlineReason(state, snapshot.headline) : null,
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
    canEnable: offersEnable(state),
    canDisable: state !== "off",
    captivePortalTimeLeft: portalOpen && portalUntil ? formatTimeLeft(portalUntil, now) : null,
    canOpenCaptivePortal: captivePortalUseful(state, (snapshot?.tunnels.length ?? 0) > 0) && !portalOpen,
    canCloseCaptivePortal: portalOpen,
    checked: describeChecked(snapshot, now),
    allowed:
      state === "blocking" || state === "safe-mode"
        ? (snapshot?.allowedServers ?? []).map((server) => `Allowed: ${server}`)
        : [],
    blocked: describeBlocked(snapshot),
  };
}
