import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { LockBusyError, acquireLock, withFileLock } from "../../src/settings/file-lock";
import { temporaryDirectory } from "../temporary-directory";

/** A process id the tests treat as ended (their isAlive says so). */
const ENDED = 999_999;
const TOKEN = "0f3c2a1e-6b7d-4e8f-9a0b-1c2d3e4f5a6b";
const holder = (pid: number) => `${pid} ${TOKEN}\n`;

function lockPath(): string {
  return join(temporaryDirectory("file-lock-"), "settings.json.lock");
}

describe("the settings file's lock", () => {
  it("is taken, held with this process's id, and let go, leaving nothing behind", async () => {
    const lock = lockPath();
    await withFileLock(lock, async () => {
      expect(readFileSync(lock, "utf8")).toMatch(new RegExp(`^${process.pid} [0-9a-f-]{36}\\n$`));
    });
    expect(readdirSync(dirname(lock))).toEqual([]);
  });

  it("waits while a live process holds it, and takes it once let go", async () => {
    const lock = lockPath();
    writeFileSync(lock, holder(4242));
    let waits = 0;
    const release = await acquireLock(lock, {
      isAlive: () => true,
      wait: async () => {
        waits += 1;
        if (waits === 3) rmSync(lock); // the holder lets go
      },
    });
    expect(waits).toBe(3);
    expect(readFileSync(lock, "utf8")).toMatch(new RegExp(`^${process.pid} `));
    await release();
    expect(existsSync(lock)).toBe(false);
  });

  it("gives up, naming the holder, when one live process keeps it past the patience", async () => {
    const lock = lockPath();
    writeFileSync(lock, holder(4242));
    let waits = 0;
    const taking = acquireLock(lock, { isAlive: () => true, patience: 5, wait: async () => void (waits += 1) });
    await expect(taking).rejects.toThrow(new LockBusyError(lock, 4242));
    expect(waits).toBe(5);
    expect(readFileSync(lock, "utf8")).toBe(holder(4242));
  });

  it("refuses a lock holding what no writer wrote, rather than guess", async () => {
    const lock = lockPath();
    writeFileSync(lock, "garbage");
    await expect(acquireLock(lock, { wait: async () => undefined })).rejects.toThrow(
      `${lock} holds something no kill switch command wrote`,
    );
  });

  it("takes over the lock of a holder that ended, without waiting", async () => {
    const lock = lockPath();
    writeFileSync(lock, holder(ENDED));
    let waits = 0;
    const release = await acquireLock(lock, { isAlive: () => false, wait: async () => void (waits += 1) });
    expect(waits).toBe(0);
    expect(readFileSync(lock, "utf8")).toMatch(new RegExp(`^${process.pid} `));
    await release();
  });

  it("lets only one of two contenders that read the same ended holder remove its lock", async () => {
    const lock = lockPath();
    writeFileSync(lock, holder(ENDED));
    let contenderB: Promise<() => Promise<void>> | null = null;
    const seenWhileWaiting: string[] = [];
    // A stops right after reading the ended holder, in its liveness check: B takes the lock over meanwhile (its
    // file operations do not wait, so it runs to the end here), then A goes on with what it read.
    const releaseA = await acquireLock(lock, {
      pid: 111,
      isAlive: (pid) => {
        contenderB ??= acquireLock(lock, { pid: 222, isAlive: (other) => other !== ENDED });
        return pid !== ENDED;
      },
      wait: async () => {
        seenWhileWaiting.push(readFileSync(lock, "utf8"));
        await (
          await contenderB!
        )();
      },
    });
    // A found B's claim on the ended holder, so it left B's lock alone and waited for B.
    expect(seenWhileWaiting).toHaveLength(1);
    expect(seenWhileWaiting[0]).toMatch(/^222 /);
    expect(readFileSync(lock, "utf8")).toMatch(/^111 /);
    await releaseA();
  });
});
