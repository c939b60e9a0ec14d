/**
 * The Run Script: runs an item's action as the `killswitch` command that does the same, in this process, and
 * says how it went in the words Raycast's HUD uses, for Alfred's notification. The Script Filter shows the change
 * while it runs (the password prompt may wait) and, after an Enable that stopped on a question, offers its answers.
 */
import { runCli } from "../cli/main";
import type { CliIo } from "../cli/io";
import { exceptionTitle } from "../raycast/models/exception-text";
import { KILL_SWITCH_STATES } from "../raycast/models/kill-switch-state";
import type { LeakTestResult } from "../leaktest/leak-test";
import { leakTestHeadline } from "../leaktest/outcome";
import type { AnchorSummary } from "../pf/anchor";
import {
  FAILURES,
  LEAK_TEST_WHILE_OFF,
  OUTCOMES,
  appliesAtNextEnable,
  describeEnabled,
  exceptionToggled,
  notApplied,
  outcomeHud,
  portalOpened,
  PORTAL_CLOSED,
  rulesDoNotMatch,
  rulesReloaded,
} from "../words/messages";
import { changeReport } from "../words/change-report";
import { type AlfredAction, actionTitle, commandLineOf, inFlightSubtitle, parseAction } from "./actions";
import { NO_QUESTIONS, type Questions, whileInFlight, workflowCacheDirectory, writeQuestions } from "./workflow-cache";

/** What Alfred's notification says. */
export interface Notification {
  title: string;
  text: string;
}

type Json = Record<string, unknown>;

const record = (value: unknown): Json | null =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;
const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

interface CliRun {
  code: number;
  json: Json | null;
  stderr: string;
}

async function runCommand(argv: string[], io: CliIo): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    ...io,
    stdout: (chunk) => (stdout += chunk),
    stderr: (chunk) => (stderr += chunk),
    stdoutIsTerminal: false,
  });
  let json: Json | null = null;
  try {
    json = record(JSON.parse(stdout));
  } catch {
    // No JSON: what the command said on stderr is the message.
  }
  return { code, json, stderr };
}

function failureTitle(action: AlfredAction): string {
  switch (action.action) {
    case "enable":
      return FAILURES.enable;
    case "disable":
      return FAILURES.disable;
    case "uninstall":
      return FAILURES.uninstall;
    case "clear-log":
      return FAILURES.clearLog;
    case "portal":
      return FAILURES.portal;
    case "portal-close":
      return FAILURES.closePortal;
    case "verify":
      return FAILURES.verify;
    case "test":
      return FAILURES.test;
    default:
      return FAILURES.exception;
  }
}

/** Said first when the Script Filter offers the answers to what stopped the action. */
export const ANSWER_IN_ALFRED = "Open ks in Alfred to answer.";

function errorText(error: Json): string {
  const message = text(error.message) ?? "Nothing was changed.";
  const kind = text(error.kind);
  return kind === "server-transport" || kind === "confirm-addresses" ? `${ANSWER_IN_ALFRED} ${message}` : message;
}

/** What the kill switch did, from a change's JSON (`enable --json` and the like), after `done`. */
function changeText(change: Json, done: string): string {
  const status = record(change.status);
  const state = KILL_SWITCH_STATES.find((known) => known === status?.state);
  const headline = text(status?.headline);
  return state && headline ? outcomeHud({ state, headline }, done) : done;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((each): each is string => typeof each === "string") : [];

/** Enable's or Disable's notification: the HUD's line when all went as asked, else the report, what matters first. */
function changeNotification(change: Json, done: string, title: string): Notification {
  const status = record(change.status);
  const state = KILL_SWITCH_STATES.find((known) => known === status?.state);
  const headline = text(status?.headline);
  const action = change.action === "enable" || change.action === "apply" ? change.action : "disable";
  if (!state || !headline) return { title, text: done };
  const summary = record(change.summary);
  const report = changeReport(
    {
      action,
      notes: strings(change.notes),
      status: { state, headline, notes: strings(status?.notes) },
      summary: summary ? { endpoints: Array.isArray(summary.endpoints) ? summary.endpoints : [] } : null,
    },
    done,
  );
  if (report.lines.length === 0) return { title, text: outcomeHud({ state, headline }, done) };
  return { title: report.title, text: report.lines.join("\n") };
}

function exceptionOutcome(action: AlfredAction, json: Json): Notification {
  const exception = record(json.exception);
  const name = exception ? exceptionTitle(exception as Parameters<typeof exceptionTitle>[0]) : "";
  const what =
    action.action === "exception-enable"
      ? exceptionToggled(name, true)
      : action.action === "exception-disable"
        ? exceptionToggled(name, false)
        : action.action === "exception-remove"
          ? OUTCOMES.exceptionDeleted
          : action.action === "exception-add"
            ? OUTCOMES.exceptionAdded
            : OUTCOMES.exceptionUpdated;
  const warnings = Array.isArray(json.warnings) ? json.warnings.filter((w): w is string => typeof w === "string") : [];
  const error = record(json.error);
  if (json.ok === false && error) return { title: notApplied(what), text: errorText(error) };
  const applied = record(json.applied);
  const said = applied ? changeText(applied, rulesReloaded(what)) : appliesAtNextEnable(what);
  return { title: actionTitle(action), text: [said, ...warnings].join(" · ") };
}

/** The notification for what the command printed. */
export function describeOutcome(action: AlfredAction, run: CliRun): Notification {
  const json = run.json;
  const title = actionTitle(action);
  if (!json) {
    const said = run.stderr.trim().split("\n")[0] ?? "";
    return {
      title: failureTitle(action),
      text: said || "The kill switch did not answer. Run it again, or try killswitch in Terminal.",
    };
  }
  const error = record(json.error);
  // A bad input or a system that cannot do it: the command's own message, naming what is wrong.
  if (error && json.ok === undefined && action.action !== "test")
    return { title: failureTitle(action), text: errorText(error) };
  switch (action.action) {
    case "test":
      if (json.tested === false) return { title: LEAK_TEST_WHILE_OFF.title, text: LEAK_TEST_WHILE_OFF.text };
      return { title, text: leakTestHeadline(json as unknown as LeakTestResult) };
    case "verify": {
      if (json.rules === null) return { title, text: OUTCOMES.verifyWhileOff };
      if (json.passed === true) return { title, text: OUTCOMES.verified };
      const failures = Array.isArray(json.failures) ? json.failures.map(String) : [];
      return {
        title: rulesDoNotMatch(failures.length),
        text: [...failures.slice(0, 3), "Enable the kill switch again to reload them."].join("\n"),
      };
    }
    case "exception-enable":
    case "exception-disable":
    case "exception-remove":
    case "exception-add":
    case "exception-edit":
      return exceptionOutcome(action, json);
    default:
      break;
  }
  if (error) return { title: failureTitle(action), text: errorText(error) };
  switch (action.action) {
    case "enable": {
      const summary = record(json.summary);
      return changeNotification(
        json,
        summary ? describeEnabled(summary as unknown as AnchorSummary) : "Kill Switch On",
        title,
      );
    }
    case "disable":
      return changeNotification(json, OUTCOMES.disabled, title);
    case "uninstall":
      return { title, text: OUTCOMES.uninstalled };
    case "clear-log":
      return { title, text: OUTCOMES.logCleared };
    case "portal":
      return {
        title,
        text:
          json.action === null
            ? json.reason === "vpn-up"
              ? OUTCOMES.portalWhileConnected
              : OUTCOMES.portalWhileOff
            : changeText(json, portalOpened(action.minutes)),
      };
    case "portal-close":
      return { title, text: json.action === null ? OUTCOMES.portalNotOpen : changeText(json, PORTAL_CLOSED) };
  }
}

/** The questions to keep after the command: those it stopped on, none after a change that went through. */
function questionsAfter(action: AlfredAction, run: CliRun): Questions | null {
  const json = run.json;
  if (!json || action.action === "test" || action.action === "verify") return null;
  const error = record(json.error);
  if (error?.kind === "server-transport" && Array.isArray(error.servers)) {
    const seen = record(error.seen) ?? {};
    return {
      servers: error.servers.map((address) => ({
        address: String(address),
        seen: text(seen[String(address)]) ?? String(address),
      })),
      names: [],
    };
  }
  if (error?.kind === "confirm-addresses" && Array.isArray(error.names)) {
    return { servers: [], names: error.names as Questions["names"] };
  }
  return json.ok === true && action.action !== "clear-log" ? NO_QUESTIONS : null;
}

/** The longest text a notification is given: macOS shows a few lines of it, the rest is in the terminal's words. */
export const NOTIFICATION_TEXT_LIMIT = 300;

/** A notification's text: its first lines, cut at the limit. */
function brief(said: Notification): Notification {
  const text = said.text.split("\n").slice(0, 4).join("\n");
  return {
    ...said,
    text: text.length > NOTIFICATION_TEXT_LIMIT ? `${text.slice(0, NOTIFICATION_TEXT_LIMIT - 1)}…` : text,
  };
}

/** Runs the action an item's arg holds; always returns what to notify, never throws for what went wrong. */
export async function runAction(arg: string, io: CliIo): Promise<Notification> {
  const parsed = parseAction(arg);
  if (!parsed.ok) return { title: "Nothing Was Done", text: `${parsed.reason}: pick it again from the ks list.` };
  const { action } = parsed;
  const cache = workflowCacheDirectory(io.env);
  const run = await whileInFlight(
    cache,
    { title: actionTitle(action), subtitle: inFlightSubtitle(action) },
    io.now(),
    () => runCommand(commandLineOf(action), io),
  );
  const questions = questionsAfter(action, run);
  if (questions) writeQuestions(cache, questions);
  return brief(describeOutcome(action, run));
}
