import { randomUUID } from "node:crypto";
import {
  type ExceptionFormValues,
  checkTargetResolves,
  exceptionFromForm,
  initialFormValues,
  publicSpaceCapError,
  unrecognisableNetworkWarning,
  validateExceptionForm,
  wideExceptionQuestion,
} from "../exceptions/exception-fields";
import {
  type StoredException,
  exceptionsWithIds,
  findException,
  shortExceptionId,
  withException,
  withExceptionEnabled,
  withoutException,
} from "../exceptions/stored-exceptions";
import type { NetworkState } from "../network/state";
import { systemHostLookup } from "../policy/policy";
import {
  appliesNow,
  describeExpiry,
  describeNetworkId,
  describeTraffic,
  isExpired,
} from "../raycast/models/exception-text";
import { type SettingsFile, readSettingsFile, updateSettingsFile } from "../settings/settings-file";
import { parseCommandArgs } from "./args";
import { readNetwork, settingsFileFor, settingsFileProblem } from "./context";
import { requireMacOs } from "./enable-command";
import { CliError, type CliCommand, type CliIo, optionError } from "./io";
import { printable } from "./printable";
import { applyIfOn, readNetworkIfMac, reportSettingsChange } from "./settings-change";

const USAGE = `Usage: killswitch exceptions list [--config FILE] [--json]
       killswitch exceptions add TARGET [--protocol any|tcp|udp] [--port PORTS] [--here | --scope SCOPE]
                                 [--label TEXT] [--expires never|1h|1d] [--wide] [--config FILE] [--json]
       killswitch exceptions edit ID [--target TARGET] [--protocol P] [--port PORTS|all] [--here | --scope SCOPE]
                                 [--label TEXT] [--expires keep|never|1h|1d] [--wide] [--config FILE] [--json]
       killswitch exceptions remove|enable|disable ID [--config FILE] [--json]

Shows and changes the exceptions: what may leave outside the VPN (a printer, a NAS). They live in the user's
settings file, which the Raycast extension's Add Exception and Manage Exceptions show and change too. A change
is checked as Add Exception checks it and saved; while the kill switch is on it is applied at once (one
administrator prompt), else at the next Enable.
  TARGET          an IP address, a CIDR network (192.168.1.0/24) or a host name; a host name must resolve now
                  (once the kill switch is on, names resolve only through the VPN)
  --protocol P    any (the default), tcp or udp
  --port PORTS    631, 80,443 or 8000-8080; every port when not given (edit: "all" for every port)
  --here          for this network only (known by its router, subnet and Wi-Fi security): private and
                  link-local addresses on its link. Without it (or --scope), for all networks
  --scope SCOPE   all, or a network's identity as \`exceptions list --json\` or \`preview\` prints it
  --label TEXT    a name for it, under 60 characters
  --expires E     never (the default), 1h or 1d from now; edit: keep (the default) keeps its expiry
  --wide          allows a network wider than a /24 (IPv4) or /64 (IPv6): every address in it leaves
                  outside the tunnel
  ID              an exception's id, or its start, as \`exceptions list\` shows it
  --config FILE   the settings JSON to change instead of the user's settings file (see killswitch help)
  --json          print one JSON object instead of text`;

const ACTIONS = ["list", "add", "edit", "remove", "enable", "disable"] as const;

const FILE_OPTIONS = { config: { type: "string" }, json: { type: "boolean" } } as const;
const FIELD_OPTIONS = {
  protocol: { type: "string" },
  port: { type: "string" },
  here: { type: "boolean" },
  scope: { type: "string" },
  label: { type: "string" },
  expires: { type: "string" },
  wide: { type: "boolean" },
} as const;

const TARGET_OPTION = { target: { type: "string" } } as const;

type FieldOptions = Partial<Record<"protocol" | "port" | "scope" | "label" | "expires" | "target", string>> & {
  here?: boolean;
  wide?: boolean;
};

/** Reads the settings file a command changes; its problems as the CLI's errors. */
async function readFile(path: string): Promise<SettingsFile> {
  try {
    return await readSettingsFile(path);
  } catch (error) {
    throw settingsFileProblem(error);
  }
}

/** Changes the exceptions as the file holds them when the change is written. */
async function writeExceptions(
  path: string,
  change: (list: StoredException[]) => StoredException[],
): Promise<SettingsFile> {
  try {
    return await updateSettingsFile(path, (current) => ({
      ...current.raw,
      exceptions: change(exceptionsWithIds(current.settings)),
    }));
  } catch (error) {
    throw settingsFileProblem(error);
  }
}

/** The one word (TARGET, ID) an action takes, or the error saying what it needs. */
function onlyPositional(positionals: string[], action: string, what: string, describe: string): string {
  if (positionals.length === 1) return positionals[0];
  if (positionals.length === 0) throw new CliError(`exceptions ${action} needs ${what}: ${describe}`);
  throw optionError(
    what,
    positionals[1],
    `exceptions ${action} takes one ${what}, not ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(" ")}`,
  );
}

function findOrFail(list: readonly StoredException[], ref: string): StoredException {
  const found = findException(list, ref);
  if ("error" in found) throw optionError("ID", ref, `${found.error} (killswitch exceptions list shows them)`);
  return found.exception;
}

/** "all networks", "this network", "network 192.168.1.0/24 via 192.168.1.1". */
function describeScope(scope: string, here: string | null): string {
  if (scope === "all") return "all networks";
  return scope === here ? "this network" : `network ${describeNetworkId(scope)}`;
}

/** One line for people: "Printer: 192.168.1.20, TCP 631, this network". */
export function describeException(e: StoredException, here: string | null): string {
  const what = e.label ? `${e.label}: ${e.address}` : e.address;
  return `${what}, ${describeTraffic(e)}, ${describeScope(e.scope, here)}`;
}

/** What a listed exception is doing: off, expired, applies now (on this Mac's network), expiry. */
function describeState(e: StoredException, network: NetworkState | null, now: Date): string[] {
  if (!e.enabled) return ["off"];
  if (isExpired(e, now)) return ["expired"];
  const words: string[] = [];
  const identity = network?.identity ?? null;
  if (network && appliesNow(e, identity ? { id: identity.id, security: identity.security } : null, now)) {
    words.push("applies now");
  }
  const expiry = describeExpiry(e, now);
  if (expiry) words.push(expiry);
  return words;
}

async function listExceptions(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, FILE_OPTIONS);
  const file = await readFile(settingsFileFor(values.config, io));
  const list = exceptionsWithIds(file.settings);
  const network = await readNetworkIfMac(io);
  const here = network?.identity?.id ?? null;
  const now = io.now();
  if (values.json) {
    const exceptions = list.map((e) => ({
      ...e,
      expired: isExpired(e, now),
      appliesNow: network ? describeState(e, network, now).includes("applies now") : null,
    }));
    io.stdout(`${JSON.stringify({ file: file.path, network: here, exceptions }, null, 2)}\n`);
    return 0;
  }
  const lines = [`Exceptions in ${file.path}${file.exists ? "" : " (none yet)"}:`];
  if (list.length === 0) lines.push("  none: everything outside the VPN is blocked while the kill switch is on.");
  const width = Math.max(0, ...list.map((e) => shortExceptionId(e.id).length));
  for (const e of list) {
    const state = describeState(e, network, now);
    lines.push(
      `  ${shortExceptionId(e.id).padEnd(width)}  ${describeException(e, here)}${state.length ? ` (${state.join(", ")})` : ""}`,
    );
  }
  io.stdout(`${lines.map((line) => printable(line)).join("\n")}\n`);
  return 0;
}

/** This network's identity for `--here`, and the warning when it cannot be told from others like it. */
async function thisNetwork(io: CliIo): Promise<{ id: string; security: string | null; warning: string | null }> {
  requireMacOs("exceptions --here", io, "reads");
  const { network } = await readNetwork(undefined, io);
  const identity = network.identity;
  if (!identity) {
    throw optionError(
      "--here",
      null,
      "--here: this Mac is on no network it can recognise (no router found), so an exception can only be for all networks",
    );
  }
  return { id: identity.id, security: identity.security, warning: unrecognisableNetworkWarning({ id: identity.id }) };
}

/** The option a form field is given with, for messages. */
function optionOf(field: keyof ExceptionFormValues, editing: boolean): string {
  const options: Record<keyof ExceptionFormValues, string> = {
    address: editing ? "--target" : "TARGET",
    protocol: "--protocol",
    port: "--port",
    scope: "--scope",
    label: "--label",
    expiry: "--expires",
  };
  return options[field];
}

/**
 * The exception `options` describe (over `existing` when editing), checked as Add Exception checks it: each field,
 * the target's resolution, the cap on public space, and a wide network's confirmation.
 */
async function checkedException(
  options: FieldOptions,
  context: { io: CliIo; list: StoredException[]; existing?: StoredException; target?: string },
): Promise<{ exception: StoredException; warnings: string[] }> {
  const { io, list, existing } = context;
  const editing = existing !== undefined;
  if (options.here && options.scope !== undefined) {
    throw optionError("--scope", options.scope, "give --here or --scope, not both");
  }
  const here = options.here ? await thisNetwork(io) : null;
  const base = initialFormValues(null, existing);
  const values: ExceptionFormValues = {
    address: context.target ?? options.target ?? base.address,
    protocol: options.protocol ?? base.protocol,
    port: options.port === undefined ? base.port : options.port === "all" ? "" : options.port,
    scope: here?.id ?? options.scope ?? base.scope,
    label: options.label ?? base.label,
    expiry: options.expires ?? base.expiry,
  };
  const errors = validateExceptionForm(values);
  const field = (Object.keys(errors) as (keyof ExceptionFormValues)[])[0];
  if (field !== undefined) {
    const option = optionOf(field, editing);
    throw optionError(option, JSON.stringify(values[field]), `${option}: ${errors[field]}`);
  }
  const target = optionOf("address", editing);
  const fail = (message: string) => optionError(target, JSON.stringify(values.address), `${target}: ${message}`);
  const unresolved = await checkTargetResolves(values.address, io.lookup ?? systemHostLookup, values.scope);
  if (unresolved) throw fail(unresolved);
  const overCap = publicSpaceCapError(values.address, existing?.id, list);
  if (overCap) throw fail(overCap);
  const question = wideExceptionQuestion(values.address);
  if (question && !options.wide) throw fail(`${question.message} To allow it, add --wide.`);
  const exception = exceptionFromForm(values, {
    id: existing?.id ?? randomUUID(),
    now: io.now(),
    existing,
    wide: question !== null,
    network: here,
  });
  return { exception, warnings: here?.warning ? [here.warning] : [] };
}

async function addOrEdit(action: "add" | "edit", args: string[], io: CliIo): Promise<number> {
  // Editing may change the target; adding takes it as the word after `add`.
  const options = { ...FIELD_OPTIONS, ...FILE_OPTIONS, ...(action === "edit" ? TARGET_OPTION : {}) };
  const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
  const path = settingsFileFor(values.config, io);
  const list = exceptionsWithIds((await readFile(path)).settings);
  const word =
    action === "add"
      ? onlyPositional(positionals, action, "TARGET", "an IP address, a CIDR network or a host name")
      : onlyPositional(positionals, action, "ID", "an exception's id, as `killswitch exceptions list` shows it");
  const existing = action === "edit" ? findOrFail(list, word) : undefined;
  const { exception, warnings } = await checkedException(values as FieldOptions, {
    io,
    list,
    existing,
    target: action === "add" ? word : undefined,
  });
  const written = await writeExceptions(path, (current) => {
    // Removed by another front-end meanwhile: say so rather than bring it back.
    if (existing && !current.some((e) => e.id === existing.id)) {
      throw optionError("ID", word, `the exception ${JSON.stringify(word)} was removed meanwhile; nothing was changed`);
    }
    return withException(current, exception);
  });
  const here = values.here ? exception.scope : null;
  const done = `Exception ${action === "add" ? "added" : "updated"}: ${describeException(exception, here)} [${shortExceptionId(exception.id)}]`;
  return reportSettingsChange(
    io,
    values.json ?? false,
    { file: written.path, done, details: { exception }, warnings },
    await applyIfOn(written.settings, io),
  );
}

async function changeOne(action: "remove" | "enable" | "disable", args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, FILE_OPTIONS, { positionals: true });
  const path = settingsFileFor(values.config, io);
  const list = exceptionsWithIds((await readFile(path)).settings);
  const ref = onlyPositional(positionals, action, "ID", "an exception's id, as `killswitch exceptions list` shows it");
  const target = findOrFail(list, ref);
  if (action === "enable" && !target.enabled) {
    // Enabled again, it counts toward the cap on public space anew.
    const overCap = publicSpaceCapError(target.address, target.id, list);
    if (overCap) throw optionError("ID", ref, overCap);
  }
  const written = await writeExceptions(path, (current) => {
    if (!current.some((e) => e.id === target.id)) {
      throw optionError("ID", ref, `the exception ${JSON.stringify(ref)} was removed meanwhile; nothing was changed`);
    }
    return action === "remove"
      ? withoutException(current, target.id)
      : withExceptionEnabled(current, target.id, action === "enable");
  });
  const words = { remove: "removed", enable: "enabled", disable: "disabled" } as const;
  const done = `Exception ${words[action]}: ${describeException(target, null)} [${shortExceptionId(target.id)}]`;
  const exception = exceptionsWithIds(written.settings).find((e) => e.id === target.id) ?? null;
  return reportSettingsChange(
    io,
    values.json ?? false,
    { file: written.path, done, details: { exception: exception ?? target, removed: action === "remove" } },
    await applyIfOn(written.settings, io),
  );
}

export const exceptionsCommand: CliCommand = {
  name: "exceptions",
  summary: "show and change the exceptions, shared with Raycast (applied at once while on)",
  usage: USAGE,
  async run(args, io) {
    // Options before the action (`exceptions --json`) name none.
    const action = args[0]?.startsWith("-") ? undefined : args[0];
    const rest = args.slice(1);
    switch (action) {
      case "list":
        return listExceptions(rest, io);
      case "add":
      case "edit":
        return addOrEdit(action, rest, io);
      case "remove":
      case "enable":
      case "disable":
        return changeOne(action, rest, io);
      default:
        throw optionError(
          null,
          action ?? null,
          `${action === undefined ? "needs" : `${JSON.stringify(action)} is not`} one of ${ACTIONS.join(", ")} (killswitch help exceptions)`,
        );
    }
  },
};
