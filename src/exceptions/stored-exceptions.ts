/**
 * The exceptions as every front-end shows and changes them: each with an id, in the user's settings file. The
 * changes are functions of the list the file holds when the change is written, so two front-ends changing
 * different exceptions at once both keep theirs.
 */
import { exceptionKey } from "../policy/policy";
import { type ExceptionSetting, type Settings, exceptionSchema, parseSettings } from "../policy/settings";

export type StoredException = ExceptionSetting & { id: string };

/** An entry that failed validation: kept as it was (never silently dropped) and reported. */
export interface RejectedException {
  raw: unknown;
  reason: string;
  /** The entry's position in the stored list; null when the stored value as a whole is unreadable. */
  index: number | null;
}

export interface ExceptionList {
  exceptions: StoredException[];
  rejected: RejectedException[];
}

function describeEntry(raw: unknown): string {
  if (raw && typeof raw === "object" && "address" in raw) return JSON.stringify((raw as { address: unknown }).address);
  return JSON.stringify(raw)?.slice(0, 60) ?? String(raw);
}

/** The settings parser's own wording (field and value named), without the `exceptions[0]` prefix. */
function entryErrors(raw: unknown): string {
  const result = parseSettings({ exceptions: [raw] });
  if (result.ok) return "not a valid exception";
  return result.errors.map((error) => error.replace(/^exceptions\[0\](\.|: )/, "")).join("; ");
}

/**
 * Parses a list of exceptions kept as JSON text (by older versions, or a copy); a corrupt entry (or a corrupt list)
 * becomes a `rejected` item with the reason.
 */
export function parseStoredExceptions(text: string | undefined): ExceptionList {
  if (text === undefined || text === "") return { exceptions: [], rejected: [] };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return {
      exceptions: [],
      rejected: [{ raw: text, reason: `stored exceptions are not valid JSON (${error})`, index: null }],
    };
  }
  if (!Array.isArray(data)) {
    return { exceptions: [], rejected: [{ raw: data, reason: "stored exceptions are not a list", index: null }] };
  }
  const list: ExceptionList = { exceptions: [], rejected: [] };
  for (const [index, raw] of data.entries()) {
    const parsed = exceptionSchema.safeParse(raw);
    if (parsed.success) {
      list.exceptions.push({ ...parsed.data, id: parsed.data.id ?? exceptionKey(parsed.data) });
    } else {
      list.rejected.push({ raw, reason: `exception ${index + 1} (${describeEntry(raw)}): ${entryErrors(raw)}`, index });
    }
  }
  return list;
}

/** The list as text: rejected entries written back untouched; an unreadable list as a whole is replaced. */
export function serializeExceptions(list: ExceptionList): string {
  const kept = list.rejected.filter((entry) => entry.index !== null).map((entry) => entry.raw);
  return JSON.stringify([...list.exceptions, ...kept]);
}

/** The exceptions with their ids; one written without (by hand) goes by its key, as older versions gave it. */
export function exceptionsWithIds(settings: Pick<Settings, "exceptions">): StoredException[] {
  return settings.exceptions.map((e) => ({ ...e, id: e.id ?? exceptionKey(e) }));
}

/** Adds, or replaces the exception with the same id. */
export function withException(list: readonly StoredException[], exception: StoredException): StoredException[] {
  return list.some((e) => e.id === exception.id)
    ? list.map((e) => (e.id === exception.id ? exception : e))
    : [...list, exception];
}

export function withoutException(list: readonly StoredException[], id: string): StoredException[] {
  return list.filter((e) => e.id !== id);
}

export function withExceptionEnabled(
  list: readonly StoredException[],
  id: string,
  enabled: boolean,
): StoredException[] {
  return list.map((e) => (e.id === id ? { ...e, enabled } : e));
}

/** Equal but for the id: the same exception saved twice (by two versions, or two front-ends). */
function sameException(a: StoredException, b: StoredException): boolean {
  return JSON.stringify({ ...a, id: null }) === JSON.stringify({ ...b, id: null });
}

/** `list` with those of `more` it does not hold yet (by id, or equal in all but the id), in their order. */
export function mergeExceptions(list: readonly StoredException[], more: readonly StoredException[]): StoredException[] {
  const merged = [...list];
  for (const e of more) {
    if (!merged.some((kept) => kept.id === e.id || sameException(kept, e))) merged.push(e);
  }
  return merged;
}

/** Each name's addresses from both, once each. */
export function mergeConfirmedAddresses(
  kept: Readonly<Record<string, readonly string[]>>,
  more: Readonly<Record<string, readonly string[]>>,
): Record<string, string[]> {
  const merged: Record<string, string[]> = Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, [...v]]));
  for (const [host, addresses] of Object.entries(more))
    merged[host] = [...new Set([...(merged[host] ?? []), ...addresses])];
  return merged;
}

/** The id as a list shows it: a generated one by its first 8 characters, one given by hand (or a key) whole. */
export function shortExceptionId(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id.slice(0, 8) : id;
}

/** The exception an id (or the start of one, as a list shows it) names; the message when none or several do. */
export function findException(
  list: readonly StoredException[],
  ref: string,
): { exception: StoredException } | { error: string } {
  const exact = list.find((e) => e.id === ref);
  if (exact) return { exception: exact };
  const matches = ref === "" ? [] : list.filter((e) => e.id.startsWith(ref));
  if (matches.length === 1) return { exception: matches[0] };
  if (matches.length === 0) return { error: `${JSON.stringify(ref)} is the id of no exception` };
  return {
    error: `${JSON.stringify(ref)} starts the ids of ${matches.length} exceptions (${matches.map((e) => e.id).join(", ")}): give more of it`,
  };
}
