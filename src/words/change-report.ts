/**
 * What the front-ends show after an action: a short line (a HUD) when all went as asked, or a report that stays
 * on screen with every note, those that change what is protected first. The lifecycle returns the notes as
 * sentences; which of them weigh on protection is judged here, by what they say.
 */
import type { KillSwitchChange } from "../lifecycle/actions";
import { STATE_NAMES } from "../words/states";
import { SETTING_TITLES } from "./settings";

/** What a report reads of a change: all a front-end gets back from `enable --json` too. */
export type ReportedChange = Pick<KillSwitchChange, "action" | "notes"> & {
  status: Pick<KillSwitchChange["status"], "state" | "headline" | "notes">;
  summary: { endpoints: readonly unknown[] } | null;
};

/** A result as people see it: the HUD when `lines` is empty, else a titled report. */
export interface ChangeReport {
  title: string;
  /** Each note as a paragraph, what weighs on protection first; empty when there is nothing to add. */
  lines: string[];
}

/** States after which the action is simply done: every other one says something is wrong or unproven. */
const PLAIN_STATES: readonly string[] = ["protected", "blocking", "off"];

/**
 * Notes that change what is protected: traffic passing outside the rules, a part of the protection missing
 * (startup, the watchdog's rules, the interfaces or routes unread), a server the network chose, a tunnel blocked.
 */
const WEIGHS_ON_PROTECTION =
  /outside|past pf|pass packets|not filtered|could not be installed|until the next restart|not trusted|could not be read|could not be saved|resolved through this network's DNS|no tunnel/i;

export function weighsOnProtection(note: string): boolean {
  return WEIGHS_ON_PROTECTION.test(note);
}

/** What Enable did, said instead of "Kill Switch On" when the result is not protected. */
export const RULES_LOADED = "Rules Loaded";

/** Said when the rules pass no VPN server: the VPN can connect now only if it is up, and never again once down. */
export const NO_SERVER_ALLOWED = `No VPN server is allowed: once the VPN disconnects, it cannot connect again until you turn the kill switch off or add its server under ${SETTING_TITLES.vpnServers}.`;

const count = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * The report of `change`: `done` is what was done in a HUD's words ("Kill Switch On · utun4 · ..."), `extra` the
 * front-end's own notes (which preference was used). A state that is not plainly good, a rule set that passes no
 * VPN server, or any note turns the HUD into a report that lists them.
 */
export function changeReport(change: ReportedChange, done: string, extra: readonly string[] = []): ChangeReport {
  const { status } = change;
  const stateLines = PLAIN_STATES.includes(status.state) ? [] : [status.headline, ...status.notes];
  const loadsRules = change.action === "enable" || change.action === "apply";
  const noServer = loadsRules && change.summary !== null && change.summary.endpoints.length === 0;
  const notes = change.notes;
  const lines = [
    ...stateLines,
    ...(noServer ? [NO_SERVER_ALLOWED] : []),
    ...notes.filter(weighsOnProtection),
    ...notes.filter((note) => !weighsOnProtection(note)),
    ...extra,
  ];
  if (lines.length === 0) return { title: done, lines: [] };
  // Not protected is never said as "On": the rules were loaded, and something lets traffic past them.
  const notProtected = status.state === "not-protected";
  const said = notProtected ? done.replace(/^Kill Switch On\b/, RULES_LOADED) : done;
  const action = notProtected ? null : said.split(" · ")[0];
  const problem = stateLines.length > 0 ? STATE_NAMES[status.state] : null;
  const warnings = lines.length - stateLines.length;
  const title = [action, problem, warnings > 0 ? count(warnings, "Note") : null].filter(Boolean).join(" · ");
  return { title, lines: [...lines, said] };
}
