/**
 * Reading a text file someone handed us (settings, rules, a snapshot's command output): bounded in size, text
 * only, and every failure said in words with the file's name, so nothing huge, binary or unreadable goes on.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";

/** Generous for real use: a settings file of thousands of exceptions, rules or command output of a busy Mac. */
export const TEXT_FILE_LIMITS = { config: 1024 * 1024, rules: 4 * 1024 * 1024, snapshot: 4 * 1024 * 1024 } as const;

/** A pf log capture (pcap) handed to `killswitch log --capture`: binary, so read by readBoundedFile alone. */
export const CAPTURE_FILE_LIMIT = 64 * 1024 * 1024;

export class TextFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TextFileError";
  }
}

const size = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;

const REASONS: Record<string, string> = {
  ENOENT: "does not exist",
  EISDIR: "is a folder, not a file",
  EACCES: "cannot be read (permission denied)",
  EPERM: "cannot be read (permission denied)",
  ELOOP: "is a loop of symbolic links",
  ENOTDIR: "is not inside a folder",
};

/** The same failure in words naming `what` and `path`. */
function describeReadError(error: unknown, path: string, what: string): TextFileError {
  if (error instanceof TextFileError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? "";
  return new TextFileError(`${what} ${path} ${REASONS[code] ?? `cannot be read (${code || String(error)})`}`);
}

function checkSize(info: { isDirectory(): boolean; size: number }, path: string, what: string, limit: number): void {
  if (info.isDirectory()) throw Object.assign(new Error(), { code: "EISDIR" });
  if (info.size > limit) throw new TextFileError(`${what} ${path} is ${size(info.size)}; the limit is ${size(limit)}`);
}

function checkRead(bytesRead: number, path: string, what: string, limit: number): void {
  if (bytesRead > limit) throw new TextFileError(`${what} ${path} is over the limit of ${size(limit)}`);
}

/** The file's bytes; throws TextFileError naming `what` and `path` when it is missing, a folder or too big. */
export async function readBoundedFile(path: string, what: string, limit: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, "r");
    const info = await handle.stat();
    checkSize(info, path, what, limit);
    const buffer = Buffer.alloc(Math.min(info.size, limit) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    checkRead(bytesRead, path, what, limit);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    throw describeReadError(error, path, what);
  } finally {
    await handle?.close();
  }
}

/** readBoundedFile without waiting: for small files read on every use (the user's settings). */
export function readBoundedFileSync(path: string, what: string, limit: number): Buffer {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, "r");
    const info = fstatSync(descriptor);
    checkSize(info, path, what, limit);
    const buffer = Buffer.alloc(Math.min(info.size, limit) + 1);
    const bytesRead = readSync(descriptor, buffer, 0, buffer.length, 0);
    checkRead(bytesRead, path, what, limit);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    throw describeReadError(error, path, what);
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

/** Bytes as text; throws TextFileError when they are not (NUL bytes, not UTF-8). */
function asText(bytes: Buffer, path: string, what: string): string {
  if (bytes.includes(0)) throw new TextFileError(`${what} ${path} is not a text file (it holds NUL bytes)`);
  const text = bytes.toString("utf8");
  if (text.includes("\uFFFD") && !bytes.includes(Buffer.from("\uFFFD"))) {
    throw new TextFileError(`${what} ${path} is not a text file (it is not UTF-8)`);
  }
  return text;
}

/** The file's text; throws TextFileError naming `what` and `path` when it is missing, too big, or not text. */
export async function readTextFile(path: string, what: string, limit: number): Promise<string> {
  return asText(await readBoundedFile(path, what, limit), path, what);
}

/** readTextFile without waiting. */
export function readTextFileSync(path: string, what: string, limit: number): string {
  return asText(readBoundedFileSync(path, what, limit), path, what);
}
