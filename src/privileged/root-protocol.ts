import { isIpAddress, parseCidr } from "../address/ip";
import { type SystemCommands, systemRootOf } from "../system/commands";
import { ROOT_SCRIPT } from "./root-script";
import type { RootCommand } from "./runner";

/** The root script's exit statuses (see the head of killswitch-root.sh). */
export const ROOT_EXIT = {
  badArguments: 64,
  rulesRejected: 65,
  loadFailed: 66,
  notAttached: 67,
  noReference: 68,
  unsafeStateDirectory: 69,
  notOn: 70,
} as const;

export type RootAction = "enable" | "apply" | "disable";

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
}

const TUNNEL_NAME = /^(utun|tun|tap|ipsec|ppp)\d{1,4}$/;

function checkAddress(text: string): string {
  // The root script checks these again; here a mistake is a bug in the caller, reported as such.
  if (!isIpAddress(text) && !parseCidr(text)) throw new Error(`not an address or network: ${JSON.stringify(text)}`);
  return text;
}

/** The argument list for one root action: validated values, each its own argument. */
export function rootCommand(system: SystemCommands, request: RootRequest): RootCommand {
  const args = [request.action, systemRootOf(system)];
  if (request.rules !== undefined) {
    if (!request.rules.endsWith("\n")) throw new Error("pf rules must end with a newline");
    args.push("--rules", request.rules);
  }
  for (const tunnel of request.tunnels ?? []) {
    if (!TUNNEL_NAME.test(tunnel)) throw new Error(`not a tunnel interface name: ${JSON.stringify(tunnel)}`);
    args.push("--tunnel", tunnel);
  }
  for (const kill of request.kills ?? []) {
    args.push("--kill", checkAddress(kill.source), checkAddress(kill.destination));
  }
  return { script: ROOT_SCRIPT, name: "killswitch-root", args };
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
}

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
  return {
    action: (result.get("action") ?? "enable") as RootAction,
    attachment: attachment === "com.apple" || attachment === "main" ? attachment : "none",
    reference: result.get("reference") ?? "none",
    killedStates: Number(result.get("killed") ?? 0) || 0,
    warnings: sections.get("warnings") ?? [],
    anchorRules: sections.get("anchor") ?? [],
    pfInfo: sections.get("info") ?? [],
    references: sections.get("references") ?? [],
  };
}
