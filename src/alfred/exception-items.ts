/**
 * Exceptions as Alfred items: each one toggled with ↵, edited with ⌘↵ (Alfred opens with its words after
 * `edit ID`), copied with ⌥↵; and what `add …` and `edit ID …` would save, checked as Add Exception checks it.
 */
import { describeException } from "../cli/exceptions-command";
import {
  type ExceptionFormValues,
  exceptionFromForm,
  initialFormValues,
  publicSpaceCapError,
  unrecognisableNetworkWarning,
  validateExceptionForm,
  wideExceptionQuestion,
} from "../exceptions/exception-fields";
import { type StoredException, findException, shortExceptionId } from "../exceptions/stored-exceptions";
import type { NetworkState } from "../network/state";
import {
  appliesNow,
  describeExpiry,
  describeTraffic,
  exceptionTitle,
  isExpired,
} from "../raycast/models/exception-text";
import { ACTION_TITLES } from "../words/actions";
import { EXCEPTION_STATE_NAMES } from "../words/states";
import { type ExceptionAction, actionArg } from "./actions";
import { ALFRED_KEYWORD, type AlfredItem, copyModifier, problemItem } from "./items";
import { type ExceptionWords, parseExceptionWords } from "./query";

/** How to type an exception after `add` (or after `edit ID`). */
export const EXCEPTION_WORDS_HELP = "ADDRESS [any|tcp|udp] [PORTS] [here|all] [1h|1d] [LABEL]";

/** The words that type this exception again: `192.168.1.20 tcp 631 Printer`. */
export function exceptionWords(e: Pick<StoredException, "address" | "protocol" | "port" | "label">): string {
  const port = e.port === undefined || String(e.port).trim() === "" ? [] : [String(e.port).replace(/\s+/g, "")];
  return [e.address, e.protocol, ...port, e.label.trim()].filter(Boolean).join(" ");
}

const identityOf = (network: NetworkState | null) =>
  network?.identity ? { id: network.identity.id, security: network.identity.security } : null;

/** What it is doing now, in the words Manage Exceptions tags it with. */
function stateOf(e: StoredException, network: NetworkState | null, now: Date): string {
  if (!e.enabled) return EXCEPTION_STATE_NAMES.off;
  if (isExpired(e, now)) return EXCEPTION_STATE_NAMES.expired;
  return appliesNow(e, identityOf(network), now) ? EXCEPTION_STATE_NAMES.appliesNow : EXCEPTION_STATE_NAMES.on;
}

/** One exception: ↵ turns it on or off (applied at once while the kill switch is on). */
export function exceptionItem(e: StoredException, network: NetworkState | null, now: Date, where?: string): AlfredItem {
  const words = exceptionWords(e);
  const toggle = e.enabled ? ACTION_TITLES.disableException : ACTION_TITLES.enableException;
  return {
    uid: `exception-${e.id}`,
    title: exceptionTitle(e),
    subtitle: [stateOf(e, network, now), describeTraffic(e), e.label ? e.address : null, where, describeExpiry(e, now)]
      .filter(Boolean)
      .concat(`↵ ${toggle}`)
      .join(" · "),
    arg: actionArg({ action: e.enabled ? "exception-disable" : "exception-enable", id: e.id }),
    valid: true,
    mods: {
      cmd: {
        valid: true,
        arg: `edit ${shortExceptionId(e.id)} ${words}`,
        subtitle: `${ACTION_TITLES.editException}: ${words}`,
      },
      alt: copyModifier(words),
    },
    text: { copy: words, largetype: describeException(e, network?.identity?.id ?? null) },
  };
}

type Checked =
  { ok: true; exception: StoredException; wide: boolean; notes: string[] } | { ok: false; message: string };

/** The exception these values make, checked as the form checks it: each field, the cap on public space, width. */
function checkValues(
  values: ExceptionFormValues,
  context: { list: readonly StoredException[]; existing?: StoredException; network: NetworkState | null; now: Date },
): Checked {
  const errors = validateExceptionForm(values);
  const field = (Object.keys(errors) as (keyof ExceptionFormValues)[])[0];
  if (field !== undefined) return { ok: false, message: errors[field] ?? "" };
  const overCap = publicSpaceCapError(values.address, context.existing?.id, context.list);
  if (overCap) return { ok: false, message: overCap };
  const question = wideExceptionQuestion(values.address);
  const exception = exceptionFromForm(values, {
    id: context.existing?.id ?? "new",
    now: context.now,
    existing: context.existing,
    wide: question !== null,
    network: identityOf(context.network),
  });
  const warning = values.scope === "all" ? null : unrecognisableNetworkWarning({ id: values.scope });
  return {
    ok: true,
    exception,
    wide: question !== null,
    notes: [question?.message, warning].filter((note): note is string => !!note),
  };
}

/** The network `here` or `all` names, else the form's default (this network when it can be recognised). */
function scopeFor(
  typed: ExceptionWords,
  network: NetworkState | null,
  otherwise: string,
): { scope: string } | { problem: string } {
  if (typed.scope === "all") return { scope: "all" };
  if (typed.scope === "here") {
    const id = network?.identity?.id;
    return id
      ? { scope: id }
      : {
          problem:
            "this Mac is on no network it can recognise (no router found), so an exception can only be for all networks",
        };
  }
  return { scope: otherwise };
}

interface ExceptionContext {
  list: readonly StoredException[];
  network: NetworkState | null;
  now: Date;
}

/** The item that saves what was typed: valid when it passes every check, else saying what is wrong. */
function saveItem(
  title: string,
  values: ExceptionFormValues,
  context: ExceptionContext & { existing?: StoredException },
  action: (wide: boolean) => ExceptionAction,
): AlfredItem {
  const checked = checkValues(values, context);
  if (!checked.ok) return problemItem(title, checked.message, "exception-save");
  const here = context.network?.identity?.id ?? null;
  const line = describeException(checked.exception, here);
  return {
    uid: "exception-save",
    title,
    subtitle: [line, ...checked.notes, "↵ saves it"].join(" · "),
    arg: actionArg(action(checked.wide)),
    valid: true,
    mods: {
      alt: copyModifier(exceptionWords(checked.exception)),
      cmd: { valid: false, subtitle: "Type to change it" },
    },
    text: { copy: line, largetype: [line, ...checked.notes].join("\n\n") },
  };
}

/** `add ADDRESS …`: what Add Exception would add, or the form's message for the field that is wrong. */
export function addExceptionItems(words: readonly string[], context: ExceptionContext): AlfredItem[] {
  const typed = parseExceptionWords(words);
  const title = ACTION_TITLES.addException;
  if (typed.target === "") {
    const hint = `${ALFRED_KEYWORD} add ${EXCEPTION_WORDS_HELP}, e.g. ${ALFRED_KEYWORD} add 192.168.1.20 tcp 631 Printer`;
    return [
      problemItem(title, `${validateExceptionForm({ ...initialFormValues(null), address: "" }).address} · ${hint}`),
    ];
  }
  const scope = scopeFor(typed, context.network, initialFormValues(identityOf(context.network)).scope);
  if ("problem" in scope) return [problemItem(title, `here: ${scope.problem}`)];
  const values = formValuesOf(typed, scope.scope, "never");
  return [
    saveItem(title, values, context, (wide) => ({
      action: "exception-add",
      target: values.address,
      protocol: values.protocol as ExceptionAction["protocol"],
      port: values.port,
      scope: values.scope === "all" ? "all" : "here",
      label: values.label,
      expires: values.expiry as ExceptionAction["expires"],
      wide,
    })),
  ];
}

/** The form's values for typed words: what Add Exception would be given. */
function formValuesOf(
  typed: ExceptionWords,
  scope: ExceptionFormValues["scope"],
  expiry: ExceptionFormValues["expiry"],
): ExceptionFormValues {
  return {
    address: typed.target,
    protocol: typed.protocol ?? "any",
    port: typed.port ?? "",
    scope,
    label: typed.label,
    expiry: typed.expires ?? expiry,
  };
}

/** `edit ID [words]`: the exception, how to change it, toggle and delete; with words, what Save would save. */
export function editExceptionItems(ref: string, words: readonly string[], context: ExceptionContext): AlfredItem[] {
  const found = findException(context.list, ref);
  if ("error" in found)
    return [problemItem(ACTION_TITLES.editException, `${found.error} · ${ALFRED_KEYWORD} exceptions lists them`)];
  const existing = found.exception;
  const current = exceptionWords(existing);
  const deleteItem: AlfredItem = {
    uid: `exception-delete-${existing.id}`,
    title: ACTION_TITLES.deleteException,
    subtitle: `${describeTraffic(existing)} to ${existing.address} is blocked again while the kill switch is on · ↵ deletes it`,
    arg: actionArg({ action: "exception-remove", id: existing.id }),
    valid: true,
    mods: { alt: copyModifier(current), cmd: { valid: false, subtitle: "Nothing to edit" } },
  };
  if (words.length === 0) {
    return [
      {
        uid: `exception-edit-${existing.id}`,
        title: ACTION_TITLES.editException,
        subtitle: `${describeException(existing, context.network?.identity?.id ?? null)} · type the new words: ${EXCEPTION_WORDS_HELP}`,
        valid: false,
        autocomplete: `edit ${ref} ${current}`,
        mods: { alt: copyModifier(current), cmd: { valid: false, subtitle: "Type to change it" } },
      },
      exceptionItem(existing, context.network, context.now),
      deleteItem,
    ];
  }
  const typed = parseExceptionWords(words);
  const base = initialFormValues(null, existing);
  const scope = scopeFor(typed, context.network, base.scope);
  if ("problem" in scope) return [problemItem(ACTION_TITLES.saveException, `here: ${scope.problem}`), deleteItem];
  const values = formValuesOf(typed, scope.scope, base.expiry);
  const save = saveItem(ACTION_TITLES.saveException, values, { ...context, existing }, (wide) => ({
    action: "exception-edit",
    id: existing.id,
    target: values.address,
    protocol: values.protocol as ExceptionAction["protocol"],
    port: values.port,
    scope: typed.scope ?? "keep",
    label: values.label,
    expires: (typed.expires ?? "keep") as ExceptionAction["expires"],
    wide,
  }));
  return [save, deleteItem];
}
