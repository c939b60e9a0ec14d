/**
 * What ↵ on an item does: one action of a closed set, handed from the Script Filter to the Run Script as JSON, and
 * run as the `killswitch` command that does the same (in this process), so Alfred, Raycast and the terminal
 * change the same settings file through the same checks and the same one administrator prompt.
 */
import * as z from "zod/mini";
import { CAPTIVE_PORTAL_MINUTES } from "../policy/captive-portal";
import { ACTION_TITLES, captivePortalTitle } from "../words/actions";

/** An exception's id as the settings file holds it; never one the CLI would read as an option. */
const exceptionId = z.string().check(z.regex(/^[^-\s][^\s]{0,199}$/));

const exceptionFields = {
  target: z.string().check(z.regex(/^[^-\s][^\s]{0,252}$/)),
  protocol: z.enum(["any", "tcp", "udp"]),
  /** Empty: every port. */
  port: z.string().check(z.regex(/^[\d,-]{0,100}$/)),
  /** here: this network; all: every network; keep (edit): the network it was for. */
  scope: z.enum(["here", "all", "keep"]),
  label: z.string().check(z.maxLength(200)),
  expires: z.enum(["never", "1h", "1d", "keep"]),
  /** A network wider than a /24 or /64, the item having said how many addresses it opens. */
  wide: z.boolean(),
};

const actionSchema = z.union([
  z.object({
    action: z.literal("enable"),
    /** Answers for the servers the last Enable asked about: IP:port/proto, IP/ikev2, IP/none. */
    serverTransports: z.optional(z.array(z.string().check(z.regex(/^[0-9A-Fa-f.:[\]]+(:\d+)?\/[a-z0-9]+$/)))),
    /** Host names confirmed at these addresses. */
    confirmAddresses: z.optional(z.record(z.string(), z.array(z.string()))),
  }),
  z.object({ action: z.enum(["disable", "test", "verify", "clear-log", "uninstall", "portal-close"]) }),
  z.object({ action: z.literal("portal"), minutes: z.union(CAPTIVE_PORTAL_MINUTES.map((m) => z.literal(m))) }),
  z.object({ action: z.enum(["exception-enable", "exception-disable", "exception-remove"]), id: exceptionId }),
  z.object({ action: z.literal("exception-add"), ...exceptionFields, scope: z.enum(["here", "all"]) }),
  z.object({ action: z.literal("exception-edit"), id: exceptionId, ...exceptionFields }),
]);

export type AlfredAction = z.infer<typeof actionSchema>;
export type ExceptionAction = Extract<AlfredAction, { action: "exception-add" | "exception-edit" }>;

/** The action an item's arg holds, or the reason it holds none. */
export function parseAction(text: string): { ok: true; action: AlfredAction } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: `${JSON.stringify(text.slice(0, 80))} is not an action of this workflow` };
  }
  const parsed = actionSchema.safeParse(value);
  return parsed.success
    ? { ok: true, action: parsed.data }
    : { ok: false, reason: `${JSON.stringify(text.slice(0, 80))} is not an action of this workflow` };
}

/** The item's arg for an action. */
export const actionArg = (action: AlfredAction): string => JSON.stringify(action);

/** The exception's fields as the CLI takes them; editing, no port is the word "all" (every port). */
function exceptionOptions(action: ExceptionAction): string[] {
  const options = ["--protocol", action.protocol];
  if (action.port !== "") options.push("--port", action.port);
  else if (action.action === "exception-edit") options.push("--port", "all");
  // Joined to its option: a label may start with "-", which would read as an option of its own.
  options.push(`--label=${action.label}`);
  if (action.scope === "here") options.push("--here");
  if (action.scope === "all") options.push("--scope", "all");
  if (action.expires !== "keep") options.push("--expires", action.expires);
  if (action.wide) options.push("--wide");
  return options;
}

/** The `killswitch` command that does it, with --json for the outcome. */
export function commandLineOf(action: AlfredAction): string[] {
  switch (action.action) {
    case "enable":
      return [
        "enable",
        ...(action.serverTransports ?? []).flatMap((answer) => ["--server-transport", answer]),
        ...Object.entries(action.confirmAddresses ?? {}).flatMap(([host, addresses]) => [
          "--confirm-addresses",
          `${host}=${addresses.join(",")}`,
        ]),
        "--json",
      ];
    case "disable":
    case "test":
    case "uninstall":
      return [action.action, "--json"];
    case "verify":
      return ["verify", "--in-force", "--json"];
    case "clear-log":
      return ["log", "--clear", "--json"];
    case "portal":
      return ["portal", `${action.minutes}m`, "--json"];
    case "portal-close":
      return ["portal", "close", "--json"];
    case "exception-enable":
    case "exception-disable":
    case "exception-remove":
      return ["exceptions", action.action.slice("exception-".length), action.id, "--json"];
    case "exception-add":
      return ["exceptions", "add", action.target, ...exceptionOptions(action), "--json"];
    case "exception-edit":
      return ["exceptions", "edit", action.id, "--target", action.target, ...exceptionOptions(action), "--json"];
  }
}

/** The action's title, as every front-end names it. */
export function actionTitle(action: AlfredAction): string {
  switch (action.action) {
    case "enable":
      return ACTION_TITLES.enable;
    case "disable":
      return ACTION_TITLES.disable;
    case "test":
      return ACTION_TITLES.test;
    case "verify":
      return ACTION_TITLES.verify;
    case "clear-log":
      return ACTION_TITLES.clearLog;
    case "uninstall":
      return ACTION_TITLES.uninstall;
    case "portal":
      return captivePortalTitle(action.minutes);
    case "portal-close":
      return ACTION_TITLES.closeCaptivePortal;
    case "exception-enable":
      return ACTION_TITLES.enableException;
    case "exception-disable":
      return ACTION_TITLES.disableException;
    case "exception-remove":
      return ACTION_TITLES.deleteException;
    case "exception-add":
      return ACTION_TITLES.addException;
    case "exception-edit":
      return ACTION_TITLES.saveException;
  }
}

/** What the Script Filter says of the action while it runs. */
export function inFlightSubtitle(action: AlfredAction): string {
  if (action.action === "test") return "In progress: probes are sent outside the VPN and pf's log is read";
  if (action.action === "verify") return "In progress: the rules in force are checked";
  return "In progress: confirm the administrator prompt (it applies at once while the kill switch is on)";
}
