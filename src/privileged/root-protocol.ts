import { canonicalAddress, isIpAddress, parseCidr } from "../address/ip";
import { parseRecordedServer } from "../policy/policy";
import { isHostName } from "../policy/settings";
import { type SystemCommands, systemRootOf } from "../system/commands";
import type { RuleTemplates } from "../watchdog/templates";
import { loadRootScript } from "./root-script-loader";
import type { RootCommand } from "./runner";

/** The root script's exit statuses, from root-contract.json as the script has them. */
export { ROOT_EXIT } from "./root-contract";

export type RootAction = "enable" | "apply" | "disable" | "uninstall" | "clear-log";

/** Kill the pf states from `source` to `destination` (addresses or CIDR networks). */
export interface StateKill {
  source: string;
  destination: string;
}

export interface RootRequest {
  action: RootAction;
  /** The anchor's rules (enable, apply), ending with a newline. */
  rules?: string;
  /** Tunnels the rules let through, recorded for the status. */
  tunnels?: readonly string[];
  kills?: readonly StateKill[];
  /** The watchdog's rules for each network (enable, apply). */
  templates?: RuleTemplates;
  /** The network identity id the rules were built for, recorded for the status. */
  network?: string | null;
  /** Seconds since 1970 when the captive portal window in `rules` closes; a root timer closes it. */
  captivePortalUntil?: number | null;
  /** Host names in the settings and what they resolved to, kept for when DNS is blocked. */
  resolved?: Readonly<Record<string, readonly string[]>>;
  /** Install the boot-time watchdog (true) or remove it (false); enable and apply. */
  startup?: boolean;
  /** The rules the watchdog loads when the ones it should load are missing, corrupt or refused (enable, apply). */
  failClosedRules?: string;
  /** Every VPN server address the rules pass: the watchdog never cuts their connections. */
  serverAddresses?: readonly string[];
  /**
   * VPN servers' host names (lower case) and their addresses (canonical, each among `serverAddresses`): the Mac answers
   * them from /etc/hosts while the kill switch is on, so a VPN app finds its server again with DNS blocked.
   */
  serverNames?: Readonly<Record<string, readonly string[]>>;
  /**
   * VPN servers proved or answered for, and candidates declined (formatRecordedServer's text, with the evidence),
   * recorded so a later Enable with the VPN down keeps them and asks nothing again.
   */
  servers?: readonly string[];
  /** Megabytes to record what pf blocks in (0: no record, and the old one removed); enable and apply. */
  captureLimit?: number;
  /** Networks routed into the tunnel (`address/prefix`), recorded so a later Enable with the VPN down keeps them off the LAN. */
  tunnelRoutes?: readonly string[];
}

const TUNNEL_NAME = /^(utun|tun|tap|ipsec|ppp)\d{1,4}$/;
/** What the root script accepts as a network identity id (its is_identity), checked here first. */
const IDENTITY_ID = /^gw=[0-9a-z=,.:/]*,mac=[0-9a-z=,.:/]*,net=[0-9a-z=,.:/]*$/;

function checkTunnel(tunnel: string): string {
  if (!TUNNEL_NAME.test(tunnel)) throw new Error(`not a tunnel interface name: ${JSON.stringify(tunnel)}`);
  return tunnel;
}

function checkIdentity(id: string): string {
  if (!IDENTITY_ID.test(id) || id.length > 100) throw new Error(`not a network identity id: ${JSON.stringify(id)}`);
  return id;
}

function checkSecurity(security: string): string {
  if (!/^(wired|protected|[A-Z0-9_]{1,40})$/.test(security))
    throw new Error(`not a link security: ${JSON.stringify(security)}`);
  return security;
}

function checkRules(rules: string): string {
  if (!rules.endsWith("\n")) throw new Error("pf rules must end with a newline");
  return rules;
}

function checkServer(text: string): string {
  // Written with its evidence, always: a server without it reads back as an earlier version's, unconfirmed.
  const kind = parseRecordedServer(text)?.kind;
  if (kind !== "trusted" && kind !== "declined")
    throw new Error(`not a VPN server with its evidence: ${JSON.stringify(text)}`);
  return text;
}

function checkAddress(text: string): string {
  // The root script checks these again; here a mistake is a bug in the caller, reported as such.
  if (!isIpAddress(text) && !parseCidr(text)) throw new Error(`not an address or network: ${JSON.stringify(text)}`);
  return text;
}

/** The argument list for one root action: validated values, each its own argument. */
export function rootCommand(system: SystemCommands, request: RootRequest): RootCommand {
  const args = [request.action, systemRootOf(system)];
  if (request.rules !== undefined) args.push("--rules", checkRules(request.rules));
  for (const tunnel of request.tunnels ?? []) args.push("--tunnel", checkTunnel(tunnel));
  for (const kill of request.kills ?? []) {
    args.push("--kill", checkAddress(kill.source), checkAddress(kill.destination));
  }
  const templates = request.templates;
  if (templates) {
    args.push("--other-rules", checkRules(templates.other));
    for (const network of templates.networks) {
      args.push(
        "--network-rules",
        checkIdentity(network.id),
        checkSecurity(network.security),
        checkRules(network.rules),
      );
    }
    if (templates.fixedTunnel) args.push("--fixed-tunnel", checkTunnel(templates.fixedTunnel));
    for (const tunnel of templates.trustedTunnels) args.push("--trusted-tunnel", checkTunnel(tunnel));
  }
  if (request.failClosedRules !== undefined) args.push("--fail-closed-rules", checkRules(request.failClosedRules));
  if (request.network) args.push("--network", checkIdentity(request.network));
  for (const server of request.servers ?? []) args.push("--server", checkServer(server));
  for (const address of request.serverAddresses ?? []) args.push("--server-address", checkAddress(address));
  for (const [host, addresses] of Object.entries(request.serverNames ?? {})) {
    if (!isHostName(host) || host !== host.toLowerCase() || host.endsWith(".")) {
      throw new Error(`not a lower-case host name: ${JSON.stringify(host)}`);
    }
    const stray = addresses.find((a) => canonicalAddress(a) !== a || !request.serverAddresses?.includes(a));
    if (stray !== undefined) throw new Error(`not a VPN server address in canonical form: ${JSON.stringify(stray)}`);
    if (addresses.length > 0) args.push("--server-name", host, addresses.join(","));
  }
  if (request.captureLimit !== undefined) {
    if (!Number.isInteger(request.captureLimit) || request.captureLimit < 0 || request.captureLimit > 1000) {
      throw new Error(`not a capture size in megabytes: ${request.captureLimit}`);
    }
    args.push("--capture-limit", String(request.captureLimit));
  }
  for (const route of request.tunnelRoutes ?? []) {
    if (!route.includes("/") || !parseCidr(route)) throw new Error(`not a network: ${JSON.stringify(route)}`);
    args.push("--tunnel-route", route);
  }
  if (request.captivePortalUntil != null) {
    if (!Number.isSafeInteger(request.captivePortalUntil) || request.captivePortalUntil < 0) {
      throw new Error(`not a time in seconds: ${request.captivePortalUntil}`);
    }
    args.push("--portal-until", String(request.captivePortalUntil));
  }
  for (const [host, addresses] of Object.entries(request.resolved ?? {})) {
    if (!isHostName(host)) throw new Error(`not a host name: ${JSON.stringify(host)}`);
    if (addresses.length === 0) continue;
    args.push("--resolved", host, addresses.map(checkAddress).join(","));
  }
  // The watchdog is this very script, kept on disk for launchd (see killswitch-root.sh).
  const script = loadRootScript();
  if (request.startup) args.push("--startup", script);
  return { script, name: "killswitch-root", args };
}

/** How our anchor is reached from the main ruleset. */
export type Attachment = "com.apple" | "main" | "none";

/** What the root script read back from pf after its action. */
export interface RootReport {
  action: RootAction;
  attachment: Attachment;
  /** kept, taken (enable/apply); released, gone, none, unidentified, release-failed (disable). */
  reference: string;
  killedStates: number;
  warnings: string[];
  /** `pfctl -a <anchor> -sr`: the rules now in force in our anchor. */
  anchorRules: string[];
  /** `pfctl -s info`. */
  pfInfo: string[];
  /** `pfctl -s References`. */
  references: string[];
  /** The boot-time watchdog: installed, kept, removed, none, failed, remove-failed. */
  watchdog?: string;
  /** Seconds since 1970 when the captive portal window in the loaded rules closes. */
  captivePortalUntil?: number | null;
  /** Paths of ours that uninstall removed. */
  removed?: string[];
  /** Interfaces pf skips after enable or apply (`set skip on` of another program), lo0 and the tunnels let through aside. */
  skippedInterfaces?: string[];
  /** Another program's translation rules with pass that pf would not let be set aside (enable, apply). */
  translationPassing?: number;
}

/** An interface name as pf lists it (en0, bridge100, XHC20); anything else is not one. */
const INTERFACE_NAME = /^[A-Za-z][A-Za-z0-9]{0,15}$/;

/** Parses the `@@ section` report; tolerant of CR line endings and missing sections. */
export function parseRootReport(stdout: string): RootReport {
  const sections = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of stdout.replace(/\r\n?/g, "\n").split("\n")) {
    const header = line.match(/^@@ (\w+)$/);
    if (header) {
      current = [];
      sections.set(header[1], current);
    } else if (current && line !== "") {
      current.push(line);
    }
  }
  const result = new Map(
    (sections.get("result") ?? []).map((line) => {
      const at = line.indexOf("=");
      return [line.slice(0, at), line.slice(at + 1)] as const;
    }),
  );
  const attachment = result.get("attachment");
  const portal = Number(result.get("captivePortalUntil"));
  return {
    action: (result.get("action") ?? "enable") as RootAction,
    attachment: attachment === "com.apple" || attachment === "main" ? attachment : "none",
    reference: result.get("reference") ?? "none",
    killedStates: Number(result.get("killed") ?? 0) || 0,
    warnings: sections.get("warnings") ?? [],
    anchorRules: sections.get("anchor") ?? [],
    pfInfo: sections.get("info") ?? [],
    references: sections.get("references") ?? [],
    watchdog: result.get("watchdog") ?? "none",
    captivePortalUntil: Number.isSafeInteger(portal) && portal > 0 ? portal : null,
    removed: sections.get("removed") ?? [],
    skippedInterfaces: (result.get("skipped") ?? "").split(/,\s*/).filter((name) => INTERFACE_NAME.test(name)),
    translationPassing: Number(result.get("translationPassing") ?? 0) || 0,
  };
}
