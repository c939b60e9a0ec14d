import type { NetworkState } from "../network/state";
import {
  type AnchorSummary,
  buildFailClosedAnchor,
  buildKillSwitchAnchor,
  endpointsByOrigin,
  summarizeAnchor,
} from "../pf/anchor";
import { canonicalAddress, sameAddress } from "../address/ip";
import {
  type Endpoint,
  type HostLookup,
  type KillSwitchPolicy,
  type RecordedServer,
  type ServerEvidence,
  dnsServerLookup,
  formatEndpoint,
  formatRecordedServer,
  hasTransport,
  systemHostLookup,
} from "../policy/policy";
import type { ServerCandidate } from "../network/state";
import { describeCandidate } from "../network/vpn-servers";
import type { Settings } from "../policy/settings";
import { type RootReport, type RootRequest, parseRootReport, rootCommand } from "../privileged/root-protocol";
import { type AuthenticationMethod, PrivilegedError, runAsRoot } from "../privileged/runner";
import type { SystemCommands } from "../system/commands";
import { buildRuleTemplates, parseNetworkIdentityId } from "../watchdog/templates";
import { KillSwitchError, NameConfirmationError, ServerTransportError, explainPrivilegedError } from "./errors";
import { pinnedNames, readRecordedState, readResolvedRecord, recordedServers, rememberedNetwork } from "./record";
import {
  describeFromRecord,
  describePinnedNames,
  lookupPastPins,
  resolveWithRecord,
  serverNamesToPin,
} from "./resolution";
import { stateKillsFor } from "./state-kills";
import { type KillSwitchStatus, type PfFindings, getKillSwitchStatus } from "./status";
import { trustWarnings } from "../policy/warnings";
import { describeNamesToConfirm, fieldsNaming } from "../policy/name-trust";
import { SETTING_TITLES, namedSetting } from "../words/settings";

export interface KillSwitchRequest {
  system: SystemCommands;
  settings: Settings;
  /** The network now: which tunnels to let through, the gateway, VPN servers seen in routes. */
  network: NetworkState;
  now?: Date;
  /** Resolves host names in the settings (tests and previews inject one). */
  lookup?: HostLookup;
  /**
   * Resolves a name the kill switch answers itself in /etc/hosts now, without reading that file back (else a server
   * that moved would never be learnt). Default: the DNS servers themselves, or `lookup` when a test gives one.
   */
  lookupPastPins?: HostLookup;
  /**
   * While in the future, DNS and web ports stay open for a captive portal sign-in. A root timer (and the
   * watchdog, when installed) closes the window on time, whatever the extension does meanwhile.
   */
  captivePortalUntil?: Date | null;
  /**
   * The user's answers for VPN servers Enable asked about (`IP:port/proto`, `IP/ikev2`): a candidate a route
   * names, a server with no evidence of how the VPN reaches it. Used now and recorded with the servers, so they
   * are asked once.
   */
  serverTransports?: readonly Endpoint[];
  /**
   * The user's confirmations of host names resolved outside the VPN (name -> the public addresses it may be
   * passed to): used now, and recorded with the answers so the same answer is not asked about again.
   */
  confirmedAddresses?: Readonly<Record<string, readonly string[]>>;
  /** Addresses Enable asked about that the user says are no VPN server: never passed, not asked again. */
  declinedServers?: readonly string[];
}

export interface ApplyRequest extends KillSwitchRequest {
  /**
   * Keep open connections (a reload after a VPN reconnect). By default Apply kills them like Enable,
   * so a removed exception stops at once.
   */
  keepConnections?: boolean;
}

export interface DisableRequest {
  system: SystemCommands;
  authentication?: AuthenticationMethod;
  /** For the status reported afterwards. */
  network?: NetworkState | null;
}

export interface UninstallRequest {
  system: SystemCommands;
  authentication?: AuthenticationMethod;
  network?: NetworkState | null;
}

/** What an action did, as pf reported it afterwards. */
export interface KillSwitchChange {
  action: RootRequest["action"];
  /** How it was authorised (Touch ID falls back to the password dialog). */
  method: AuthenticationMethod;
  /** For people: authorisation notes and the root script's warnings. */
  notes: string[];
  report: RootReport;
  /** The rules loaded (enable, apply). */
  rules: string | null;
  summary: AnchorSummary | null;
  status: KillSwitchStatus;
}

async function runRootAction(
  system: SystemCommands,
  request: RootRequest,
  authentication: AuthenticationMethod,
): Promise<{ report: RootReport; method: AuthenticationMethod; notes: string[] }> {
  try {
    const run = await runAsRoot(system, rootCommand(system, request), { authentication });
    const report = parseRootReport(run.stdout);
    return { report, method: run.method, notes: [...run.notes, ...report.warnings] };
  } catch (error) {
    if (error instanceof PrivilegedError) throw explainPrivilegedError(error, request.action);
    throw error;
  }
}

/**
 * Why Enable refused for want of a server to keep reachable: connected with none found, or not connected at all
 * (then connecting is what finds it).
 */
export function noServerToKeep(connected: boolean): string {
  const ways =
    `name it in ${namedSetting("vpnServers")}, or turn ${namedSetting("protectFromStartup")} off ` +
    `(the kill switch then lasts until the next restart)`;
  return connected
    ? `The VPN is connected, but its server was not found, and ${SETTING_TITLES.protectFromStartup} must keep it ` +
        `reachable after a restart; nothing was changed. To go on, ${ways}.`
    : `No VPN is connected and no VPN server is known, and ${SETTING_TITLES.protectFromStartup} must keep one ` +
        `reachable after a restart; nothing was changed. Connect the VPN and enable again (its server is then ` +
        `found and kept), or ${ways}.`;
}

/** One server Enable asks about, with what the Mac saw of it. */
export interface ServerQuestion {
  address: string;
  /** What was seen, for people: `93.184.216.34 (named by a host route; 93.184.216.34:443/tcp, used by Safari (pid 812))`. */
  seen: string;
}

/** The question Enable asks, as a message: which servers, what was seen, and the ways to answer. */
function askForTransport(questions: readonly ServerQuestion[]): string {
  const first = questions[0].address;
  const example = first.includes(":") ? `[${first}]:1194/udp` : `${first}:1194/udp`;
  return (
    `Confirm the VPN server before the kill switch passes it, so nothing was changed: ` +
    `${questions.map((q) => q.seen).join("; ")}. ` +
    `A route or the network can name any address; only the VPN program's own connection proves a server, and ` +
    `the kill switch passes a server on its own protocol and port only. ` +
    `Answer with IP:port/proto (e.g. ${example}) or IP/ikev2 if it is your VPN's server, IP/none if it is not: ` +
    `in Enable's question (CLI: --server-transport), or name it in ${namedSetting("vpnServers")}. ` +
    `The answer is kept for the next Enable.`
  );
}

/** An answer for a server the Mac does not know is a mistake: say so rather than record it. */
function checkAnswersFound(answered: readonly string[], known: readonly string[]): void {
  const stray = answered.filter((address) => !known.some((other) => sameAddress(other, address)));
  if (stray.length === 0) return;
  const found = known.length > 0 ? `the servers found are ${[...new Set(known)].join(", ")}` : "none was found";
  throw new KillSwitchError(
    "server-transport",
    `No VPN server ${stray.join(", ")} was found on this Mac or recorded (${found}), so nothing was changed.`,
    true,
  );
}

/** A confirmation for a name the settings do not use is a mistake: say so rather than record it. */
function checkConfirmationsNamed(
  settings: Settings,
  confirmations: Readonly<Record<string, readonly string[]>>,
): Readonly<Record<string, readonly string[]>> {
  const stray = Object.keys(confirmations).filter((host) => fieldsNaming(settings, host).length === 0);
  if (stray.length > 0) {
    throw new KillSwitchError(
      "confirm-addresses",
      `No VPN server or exception is named ${stray.map((host) => JSON.stringify(host)).join(", ")}, so there is nothing to confirm and nothing was changed.`,
      true,
    );
  }
  return confirmations;
}

/**
 * The servers to ask about: candidates nobody confirmed or declined, servers an earlier version recorded on a
 * route alone and nothing proves now, and proved servers with no evidence of their protocol and port.
 */
function serverQuestions(
  unconfirmed: readonly ServerCandidate[],
  legacy: readonly Endpoint[],
  detected: readonly Endpoint[],
  network: NetworkState,
  settled: (address: string) => boolean,
): ServerQuestion[] {
  const questions: ServerQuestion[] = [];
  const ask = (address: string, seen: string) => {
    if (!settled(address) && !questions.some((q) => sameAddress(q.address, address))) questions.push({ address, seen });
  };
  for (const candidate of unconfirmed) ask(candidate.address, describeCandidate(candidate));
  const seenNow = (address: string) =>
    network.endpoints.some((a) => sameAddress(a, address)) ||
    (network.serverCandidates ?? []).some((c) => sameAddress(c.address, address));
  for (const endpoint of legacy) {
    if (!seenNow(endpoint.address)) {
      ask(endpoint.address, `${formatEndpoint(endpoint)} (recorded by an earlier version from a route alone)`);
    }
  }
  for (const endpoint of detected.filter((e) => !hasTransport(e))) {
    ask(endpoint.address, `${endpoint.address} (no connection says its protocol and port)`);
  }
  return questions;
}

/** What the root script read from pf once the rules were in force, as the status judges it. */
function reportedFindings(report: RootReport): PfFindings {
  const running = report.pfInfo.find((line) => line.startsWith("Status:"))?.match(/^Status: (\w+)/)?.[1];
  return {
    pfEnabled: running === undefined ? null : running === "Enabled",
    skippedInterfaces: report.skippedInterfaces ?? [],
    translationPassing: report.translationPassing ?? 0,
  };
}

/** What Enable makes of the VPN servers: the records and this time's answers weighed against the network now. */
export interface ServerJudgement {
  /** Addresses the user said are no VPN server: never passed. */
  declined: string[];
  /** Servers recorded as trusted (proved, or the user's answer) that this time's answers leave as they were. */
  trusted: Extract<RecordedServer, { kind: "trusted" }>[];
  /** The servers passed while the routes show none: this time's answers and the trusted records. */
  rememberedServers: Endpoint[];
  /** The servers to ask about before anything is passed (empty: Enable asks nothing). */
  questions: ServerQuestion[];
  /** The settings' servers, and those passed besides (proved now, answered, or remembered): endpointsByOrigin's. */
  configured: Endpoint[];
  detected: Endpoint[];
}

/**
 * Weighs the servers Enable would pass: `records` (what the last Enable recorded), this time's `answers` and
 * `declines` standing in for what was recorded for their addresses, and the network now. Reads nothing.
 */
export function judgeServers(
  policy: KillSwitchPolicy,
  network: NetworkState,
  records: readonly RecordedServer[],
  now: { answers?: readonly Endpoint[]; declines?: readonly string[] } = {},
): ServerJudgement {
  const answers = now.answers ?? [];
  const declines = now.declines ?? [];
  // This time's word on an address stands in for whatever was recorded for it.
  const answeredNow = (address: string) =>
    answers.some((a) => sameAddress(a.address, address)) || declines.some((d) => sameAddress(d, address));
  const declined = [
    ...declines,
    ...records.flatMap((r) => (r.kind === "declined" && !answeredNow(r.address) ? [r.address] : [])),
  ];
  const trusted = records.flatMap((r) => (r.kind === "trusted" && !answeredNow(r.endpoint.address) ? [r] : []));
  const legacy = records.flatMap((r) =>
    r.kind === "unconfirmed" && !answeredNow(r.endpoint.address) ? [r.endpoint] : [],
  );
  const rememberedServers = [...answers, ...trusted.map((t) => t.endpoint)];
  const { configured, detected, unconfirmed } = endpointsByOrigin(policy, network, rememberedServers);
  const isDeclined = (address: string) => declined.some((d) => sameAddress(d, address));
  const questions = serverQuestions(unconfirmed, legacy, detected, network, isDeclined);
  return { declined, trusted, rememberedServers, questions, configured, detected };
}

async function loadRules(request: ApplyRequest, action: "enable" | "apply"): Promise<KillSwitchChange> {
  const { system, settings, network } = request;
  const reading = await readRecordedState(system);
  const lookup = lookupPastPins(
    request.lookup ?? systemHostLookup,
    request.lookupPastPins ?? request.lookup ?? dnsServerLookup,
    Object.keys(pinnedNames(reading)),
  );
  // Host names first: once the rules are in force, DNS outside the tunnel is refused.
  const {
    result: resolved,
    resolved: addresses,
    fromRecord,
    toConfirm,
  } = await resolveWithRecord(settings, lookup, await readResolvedRecord(system), {
    network,
    confirmations: checkConfirmationsNamed(settings, request.confirmedAddresses ?? {}),
  });
  if (!resolved.ok) {
    throw new KillSwitchError(
      "resolve",
      `Cannot resolve host names, so nothing was changed:\n  ${resolved.errors.join("\n  ")}`,
      true,
      resolved.errors.join("\n"),
    );
  }
  if (toConfirm.length > 0) throw new NameConfirmationError(toConfirm, describeNamesToConfirm(toConfirm));
  const recorded = rememberedNetwork(reading);
  const records = recordedServers(reading);
  const answers = request.serverTransports ?? [];
  const declines = request.declinedServers ?? [];
  checkAnswersFound(
    [...answers.map((answer) => answer.address), ...declines],
    [
      ...network.endpoints,
      ...(network.serverCandidates ?? []).map((candidate) => candidate.address),
      ...records.map((record) => (record.kind === "declined" ? record.address : record.endpoint.address)),
    ],
  );
  const { declined, trusted, rememberedServers, questions, detected } = judgeServers(
    resolved.policy,
    network,
    records,
    { answers, declines },
  );
  const input = {
    policy: resolved.policy,
    network,
    now: request.now ?? new Date(),
    captivePortalUntil: request.captivePortalUntil ?? null,
    rememberedServers,
    rememberedTunnelRoutes: recorded.rememberedTunnelRoutes,
  };
  if (questions.length > 0) throw new ServerTransportError(questions, askForTransport(questions));
  const rules = buildKillSwitchAnchor(input);
  const summary = summarizeAnchor(input);
  if (settings.protectFromStartup && summary.endpoints.length === 0) {
    throw new KillSwitchError("no-server", noServerToKeep(network.tunnels.length > 0), true);
  }
  // Recorded with why each is trusted: proved by a VPN program's connection, or the user's answer.
  const evidenceOf = (address: string): ServerEvidence =>
    network.endpoints.some((a) => sameAddress(a, address))
      ? "process"
      : (trusted.find((t) => sameAddress(t.endpoint.address, address))?.evidence ?? "user");
  const servers = [
    ...detected.map((endpoint) =>
      formatRecordedServer({ kind: "trusted", endpoint, evidence: evidenceOf(endpoint.address) }),
    ),
    ...[...new Set(declined)].map((address) => formatRecordedServer({ kind: "declined", address })),
  ];
  const kills = action === "apply" && request.keepConnections ? [] : stateKillsFor(network, summary);
  const identity = network.identity?.id ?? null;
  const serverAddresses = [...new Set(summary.endpoints.map((e) => canonicalAddress(e.address) ?? e.address))];
  const serverNames = serverNamesToPin(settings, addresses, serverAddresses);
  const { report, method, notes } = await runRootAction(
    system,
    {
      action,
      rules,
      tunnels: summary.tunnels,
      kills,
      templates: buildRuleTemplates(input),
      failClosedRules: buildFailClosedAnchor(input, { template: true }),
      network: identity && parseNetworkIdentityId(identity) ? identity : null,
      captivePortalUntil:
        summary.captivePortal && input.captivePortalUntil
          ? Math.floor(input.captivePortalUntil.getTime() / 1000)
          : null,
      resolved: addresses,
      startup: settings.protectFromStartup,
      servers,
      tunnelRoutes: summary.routedIntoTunnel,
      captureLimit: settings.blockedTrafficLog,
      serverAddresses,
      serverNames,
    },
    settings.authentication,
  );
  const fromRecordNote = describeFromRecord(fromRecord);
  const pinnedNote = describePinnedNames(serverNames);
  if (pinnedNote) notes.push(pinnedNote);
  notes.push(...trustWarnings(summary));
  if (summary.allowLan && summary.localNetwork.notLocal.length > 0) {
    notes.push(`This network calls public addresses local; not passed: ${summary.localNetwork.notLocal.join(", ")}.`);
  }
  const status = await getKillSwitchStatus({ system, network, now: input.now, reported: reportedFindings(report) });
  return {
    action,
    method,
    notes: fromRecordNote ? [fromRecordNote, ...notes] : notes,
    report,
    rules,
    summary,
    status,
  };
}

/**
 * Turns the kill switch on (or reloads it when on): resolves host names, builds the anchor, and with
 * one authorisation validates it, loads it, makes sure it is evaluated first, takes a pf reference and
 * cuts connections that bypass the VPN. On failure pf runs the previous rules (or none of ours).
 * In the same authorisation it installs the boot-time watchdog when `settings.protectFromStartup` is on,
 * and removes an installed one when it is off (unchecking the setting and enabling means "not at boot").
 */
export function enableKillSwitch(request: KillSwitchRequest): Promise<KillSwitchChange> {
  return loadRules(request, "enable");
}

/** Reloads the rules of a kill switch that is on (settings, exceptions or the network changed). */
export async function applyKillSwitch(request: ApplyRequest): Promise<KillSwitchChange> {
  const recorded = await readRecordedState(request.system);
  if (recorded.kind === "absent") {
    throw new KillSwitchError("not-on", "The kill switch is off: there is nothing to apply.", true);
  }
  return loadRules(request, "apply");
}

/** Disable, Uninstall and Clear Log: one authorisation, no rules built, the status read afterwards. */
async function actionWithoutRules(
  action: "disable" | "uninstall" | "clear-log",
  request: DisableRequest,
): Promise<KillSwitchChange> {
  const { system } = request;
  const { report, method, notes } = await runRootAction(system, { action }, request.authentication ?? "password");
  const status = await getKillSwitchStatus({ system, network: request.network ?? null });
  return { action, method, notes, report, rules: null, summary: null, status };
}

/**
 * Turns the kill switch off: removes the boot-time watchdog (off means off, also at the next boot),
 * flushes our anchor (only ours), takes back our main-ruleset reference if one was added, releases our pf
 * reference, removes our files. Works without the state file or token.
 */
export async function disableKillSwitch(request: DisableRequest): Promise<KillSwitchChange> {
  return actionWithoutRules("disable", request);
}

/** Empties the record of blocked traffic (one authorisation); recording goes on while the kill switch is on. */
export async function clearBlockedTraffic(request: DisableRequest): Promise<KillSwitchChange> {
  return actionWithoutRules("clear-log", request);
}

/**
 * Removes every trace of the kill switch with one authorisation: the watchdog's LaunchDaemon and script,
 * our anchor and main-ruleset reference, our pf reference, and the whole state directory, whatever it holds.
 * `report.removed` lists the paths that were there.
 */
export async function uninstallKillSwitch(request: UninstallRequest): Promise<KillSwitchChange> {
  return actionWithoutRules("uninstall", request);
}
