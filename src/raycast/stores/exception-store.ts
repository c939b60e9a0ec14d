import { randomUUID } from "node:crypto";
import { Cache, LocalStorage } from "@raycast/api";
import { exceptionKey } from "../../policy/policy";
import { type ExceptionSetting, exceptionSchema, parseSettings } from "../../policy/settings";

/** LocalStorage is shared by all the extension's commands: the menu bar, the form and the list see one list. */
export const EXCEPTIONS_STORAGE_KEY = "exceptions";

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

/** Parses what LocalStorage holds; a corrupt entry (or a corrupt list) becomes a `rejected` item with the reason. */
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

export function serializeExceptions(list: ExceptionList): string {
  // Rejected entries are written back untouched; an unreadable list as a whole is replaced.
  const kept = list.rejected.filter((entry) => entry.index !== null).map((entry) => entry.raw);
  return JSON.stringify([...list.exceptions, ...kept]);
}

/** A synchronous copy of the list, so the menu bar can draw at once; LocalStorage stays the source of truth. */
const mirror = new Cache({ namespace: "kill-switch" });
const MIRROR_KEY = "exceptions";

export function readCachedExceptions(): ExceptionList {
  return parseStoredExceptions(mirror.get(MIRROR_KEY));
}

export async function loadExceptions(): Promise<ExceptionList> {
  const text = await LocalStorage.getItem<string>(EXCEPTIONS_STORAGE_KEY);
  const list = parseStoredExceptions(typeof text === "string" ? text : undefined);
  mirror.set(MIRROR_KEY, serializeExceptions(list));
  return list;
}

async function saveExceptions(list: ExceptionList): Promise<void> {
  const text = serializeExceptions(list);
  await LocalStorage.setItem(EXCEPTIONS_STORAGE_KEY, text);
  mirror.set(MIRROR_KEY, text);
}

/** Reads, changes and writes back the list in one step; returns the new list. */
async function changeExceptions(change: (exceptions: StoredException[]) => StoredException[]): Promise<ExceptionList> {
  const current = await loadExceptions();
  const next = { ...current, exceptions: change(current.exceptions) };
  await saveExceptions(next);
  return next;
}

export function newExceptionId(): string {
  return randomUUID();
}

/** Adds, or replaces the exception with the same id. */
export function saveException(exception: StoredException): Promise<ExceptionList> {
  return changeExceptions((list) =>
    list.some((e) => e.id === exception.id)
      ? list.map((e) => (e.id === exception.id ? exception : e))
      : [...list, exception],
  );
}

export function removeException(id: string): Promise<ExceptionList> {
  return changeExceptions((list) => list.filter((e) => e.id !== id));
}

export function setExceptionEnabled(id: string, enabled: boolean): Promise<ExceptionList> {
  return changeExceptions((list) => list.map((e) => (e.id === id ? { ...e, enabled } : e)));
}

/** Drops the entries that failed validation (the user chose to after reading the reasons). */
export async function removeRejectedExceptions(): Promise<ExceptionList> {
  const current = await loadExceptions();
  const next = { exceptions: current.exceptions, rejected: [] };
  await saveExceptions(next);
  return next;
}
