/**
 * What the workflow keeps between its runs, in Alfred's cache folder for it (`alfred_workflow_cache`): the
 * change in flight, so the Script Filter shows it and runs again until it is done, and the questions the last
 * Enable stopped on, so the Script Filter offers their answers.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import * as z from "zod/mini";

const inFlightSchema = z.object({ pid: z.number(), title: z.string(), subtitle: z.string(), startedAt: z.string() });
export type InFlight = z.infer<typeof inFlightSchema>;

const questionsSchema = z.object({
  servers: z.array(z.object({ address: z.string(), seen: z.string() })),
  names: z.array(z.object({ field: z.string(), host: z.string(), addresses: z.array(z.string()) })),
});
export type Questions = z.infer<typeof questionsSchema>;

export const NO_QUESTIONS: Questions = { servers: [], names: [] };

const IN_FLIGHT_FILE = "in-flight.json";
const QUESTIONS_FILE = "questions.json";

/** Alfred's cache folder for this workflow; null outside Alfred (nothing is kept then). */
export function workflowCacheDirectory(env: NodeJS.ProcessEnv): string | null {
  const dir = env.alfred_workflow_cache;
  return dir && isAbsolute(dir) ? dir : null;
}

function readJson<T>(dir: string | null, file: string, schema: z.ZodMiniType<T>): T | null {
  if (dir === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(join(dir, file), "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function writeJson(dir: string | null, file: string, value: unknown): void {
  if (dir === null) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), `${JSON.stringify(value)}\n`);
}

function removeFile(dir: string | null, file: string): void {
  if (dir !== null) rmSync(join(dir, file), { force: true });
}

/** Whether the process still runs (signal 0 only asks). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // Running, but another user's: not ours to have written, yet alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The change in flight, or null when none is (or the process that started it has ended). */
export function readInFlight(dir: string | null): InFlight | null {
  const inFlight = readJson(dir, IN_FLIGHT_FILE, inFlightSchema);
  return inFlight && running(inFlight.pid) ? inFlight : null;
}

/** Runs `action` with the change marked in flight, the mark removed however it ends. */
export async function whileInFlight<T>(
  dir: string | null,
  mark: Omit<InFlight, "pid" | "startedAt">,
  now: Date,
  action: () => Promise<T>,
): Promise<T> {
  writeJson(dir, IN_FLIGHT_FILE, { ...mark, pid: process.pid, startedAt: now.toISOString() });
  try {
    return await action();
  } finally {
    removeFile(dir, IN_FLIGHT_FILE);
  }
}

export function readQuestions(dir: string | null): Questions {
  return readJson(dir, QUESTIONS_FILE, questionsSchema) ?? NO_QUESTIONS;
}

/** Keeps the questions to offer answers for; none removes the file. */
export function writeQuestions(dir: string | null, questions: Questions): void {
  if (questions.servers.length === 0 && questions.names.length === 0) removeFile(dir, QUESTIONS_FILE);
  else writeJson(dir, QUESTIONS_FILE, questions);
}
