/**
 * One writer at a time for a file several programs change (the Raycast commands, the CLI): a lock file beside
 * it, created whole and atomically with link(2), which fails when the lock exists. A lock whose holder has
 * ended (crashed mid-write) is taken over by one contender only, decided by who first claims that holder's
 * token; no clock is read, so a slow machine never steals a live writer's lock. The file operations do not wait
 * (the files are tiny): only a contended lock does, between two tries.
 */
import { randomUUID } from "node:crypto";
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";

export interface LockOptions {
  /** Waits between two tries while another writer holds the lock; tests answer at once. Default: a timer. */
  wait?: (milliseconds: number) => Promise<void>;
  /** Whether a process id is running; tests stand in for it. Default: signal 0. */
  isAlive?: (pid: number) => boolean;
  /** This process's id, written into the lock. */
  pid?: number;
  /** Tries while one and the same live holder keeps the lock, before giving up. */
  patience?: number;
}

/** The lock is held by a live process for longer than the patience allows, or holds what no writer wrote. */
export class LockBusyError extends Error {
  constructor(
    readonly lockPath: string,
    /** Null when the lock holds no process id. */
    readonly holderPid: number | null,
  ) {
    super(
      holderPid === null
        ? `${lockPath} holds something no kill switch command wrote`
        : `${lockPath} is held by process ${holderPid}`,
    );
    this.name = "LockBusyError";
  }
}

const DEFAULT_PATIENCE = 400;

const timerWait = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** `PID TOKEN`; null when the lock holds anything else (link writes it whole, so it is not a writer's half-written). */
function parseHolder(text: string): { pid: number; token: string } | null {
  const match = /^(\d{1,10}) ([0-9a-f-]{36})\n?$/.exec(text);
  return match ? { pid: Number(match[1]), token: match[2] } : null;
}

function readHolder(lockPath: string): { text: string } | null {
  try {
    return { text: readFileSync(lockPath, "utf8") };
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw error;
  }
}

/**
 * Removes the lock of a holder that ended, unless another contender claimed it first: a claim is a file named
 * for the holder's token, made with O_EXCL, and never removed, so a contender that read the same holder late
 * cannot remove a new holder's lock. Returns whether this one removed it.
 */
function breakStaleLock(lockPath: string, token: string): boolean {
  try {
    writeFileSync(`${lockPath}.broken-${token}`, "", { flag: "wx", mode: 0o600 });
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    throw error;
  }
  rmSync(lockPath, { force: true });
  return true;
}

/** Takes the lock, waiting while a live process holds it; returns what to call to let it go. */
export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const wait = options.wait ?? timerWait;
  const isAlive = options.isAlive ?? processIsAlive;
  const patience = options.patience ?? DEFAULT_PATIENCE;
  const mine = `${options.pid ?? process.pid} ${randomUUID()}\n`;
  const draft = `${lockPath}.${randomUUID()}.tmp`;
  writeFileSync(draft, mine, { flag: "wx", mode: 0o600 });
  try {
    let lastHolder: string | null = null;
    let tries = 0;
    for (;;) {
      try {
        linkSync(draft, lockPath);
        break;
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error;
      }
      const holder = readHolder(lockPath);
      if (holder === null) continue; // let go meanwhile
      const parsed = parseHolder(holder.text);
      if (parsed === null) throw new LockBusyError(lockPath, null);
      if (!isAlive(parsed.pid) && breakStaleLock(lockPath, parsed.token)) continue;
      tries = holder.text === lastHolder ? tries + 1 : 0;
      lastHolder = holder.text;
      if (tries >= patience) throw new LockBusyError(lockPath, parsed.pid);
      await wait(Math.min(2 ** Math.min(tries, 6), 50));
    }
  } finally {
    rmSync(draft, { force: true });
  }
  return async () => {
    // Only our own lock, should it ever have been taken over.
    if (readHolder(lockPath)?.text === mine) rmSync(lockPath, { force: true });
  };
}

/** Runs `action` holding the lock at `lockPath`, and lets it go whatever happens. */
export async function withFileLock<T>(
  lockPath: string,
  action: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const release = await acquireLock(lockPath, options);
  try {
    return await action();
  } finally {
    await release();
  }
}
