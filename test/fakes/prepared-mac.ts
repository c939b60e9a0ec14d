/**
 * Fake Macs in a prepared state (on at home after an Enable, say), for the many tests that start from the same
 * one. The first call for a key runs `prepare` on a new tree for real and keeps a copy of what it left: every
 * file, folder and link, with its mode and owner, and what `prepare` returned. Each later call for that key gets
 * a new tree with those contents, its own path written where the first tree's stood (in the launchd job, the
 * plist, the event log), as if `prepare` had run again there. A root-script run costs about a second of CPU on
 * a 2-core machine: an Enable per test was most of the integration tests' time.
 *
 * Only a tree left idle is kept: nothing running or sleeping (a captive-portal timer) that a copy could not carry;
 * otherwise each call prepares its own. A capturing tcpdump (the record of blocked traffic) is carried: the copy
 * starts its own with the same arguments, detached as the root script starts it, and records its pid in its place.
 * `prepare` must depend on its key alone.
 */
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { type FakeMac, type FakeMacOptions, createFakeMac, fakeMacAt } from "./fake-mac";
import { fakePaths } from "./machine";
import { askServer, serverDoor, shimBinary } from "./server-process";

type Entry = { path: string; mode: number; uid: number; gid: number; atime: Date; mtime: Date } & (
  | { kind: "folder" }
  | { kind: "file"; data: Buffer; namesRoot: boolean }
  | { kind: "program" }
  | { kind: "link"; target: string }
);

interface Prepared {
  root: string;
  entries: Entry[];
  value: unknown;
  /** The arguments of the tree's capturing tcpdump, and the file its pid is recorded in; null when none runs. */
  capture: { args: string[]; pidFile: string } | null;
}

const prepared = new Map<string, Prepared | "not copyable">();

/**
 * Every entry under `root`, folders before what they hold, the calls in flight and the server's door left out;
 * null when it holds what a copy would not be (a hard link of its own, a FIFO).
 */
function entriesOf(root: string): Entry[] | null {
  const paths = fakePaths(root);
  const shim = statSync(shimBinary()).ino;
  const rootBytes = Buffer.from(root);
  const entries: Entry[] = [];
  const visit = (relative: string): boolean => {
    const path = join(root, relative);
    if (path === paths.door) return true;
    const stat = lstatSync(path);
    const owner = {
      path: relative,
      mode: stat.mode & 0o7777,
      uid: stat.uid,
      gid: stat.gid,
      atime: stat.atime,
      mtime: stat.mtime,
    };
    if (stat.isSymbolicLink()) entries.push({ ...owner, kind: "link", target: readlinkSync(path) });
    else if (stat.isDirectory()) {
      entries.push({ ...owner, kind: "folder" });
      if (path === paths.calls) return true;
      return readdirSync(path)
        .sort()
        .every((name) => visit(join(relative, name)));
    } else if (stat.isFile() && stat.ino === shim) entries.push({ ...owner, kind: "program" });
    else if (stat.isFile() && stat.nlink === 1) {
      const data = readFileSync(path);
      entries.push({ ...owner, kind: "file", data, namesRoot: data.includes(rootBytes) });
    } else return false;
    return true;
  };
  return visit("") ? entries : null;
}

/** A copy of `value` with every string naming `from` naming `to` instead; plain data only, so nothing is lost. */
function moved<T>(value: T, from: string, to: string): T {
  if (typeof value === "string") return value.split(from).join(to) as T;
  if (Array.isArray(value)) return value.map((item) => moved(item, from, to)) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value !== null && typeof value === "object") {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new Error(`preparedFakeMac: what prepare returned holds a ${prototype?.constructor?.name}, not plain data`);
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, moved(item, from, to)])) as T;
  }
  if (typeof value === "function" || typeof value === "symbol") {
    throw new Error("preparedFakeMac: what prepare returned holds a function or symbol, not plain data");
  }
  return value;
}

/**
 * Gives `path` the owner, mode and times it had in the first tree: the watchdog's steady check tells a change by
 * which file is newer, so a copy keeps the order its files were written in.
 */
function restoreOwnerAndMode(path: string, entry: Entry): void {
  const now = lstatSync(path);
  if (now.uid !== entry.uid || now.gid !== entry.gid) chownSync(path, entry.uid, entry.gid);
  if ((now.mode & 0o7777) !== entry.mode) chmodSync(path, entry.mode);
  utimesSync(path, entry.atime, entry.mtime);
}

async function copyOf(template: Prepared): Promise<FakeMac> {
  const root = mkdtempSync(join(tmpdir(), "fake-mac-"));
  const shim = shimBinary();
  const [from, to] = [template.root, root].map((path) => Buffer.from(path).toString("latin1"));
  const write = (entry: Entry & { kind: "file" }) => {
    const path = join(root, entry.path);
    // Byte for byte (latin1 maps each byte to one character): only the path changes.
    const data = entry.namesRoot
      ? Buffer.from(entry.data.toString("latin1").split(from).join(to), "latin1")
      : entry.data;
    writeFileSync(path, data);
    restoreOwnerAndMode(path, entry);
  };
  for (const entry of template.entries) {
    const path = join(root, entry.path);
    if (entry.kind === "folder" && entry.path !== "") mkdirSync(path);
    else if (entry.kind === "program") linkSync(shim, path);
    else if (entry.kind === "link") symlinkSync(entry.target, path);
    else if (entry.kind === "file") write(entry);
  }
  symlinkSync(serverDoor(), fakePaths(root).door);
  const mac = fakeMacAt(root);
  if (template.capture) {
    const pid = await startCapture(
      mac,
      template.capture.args.map((arg) => arg.split(template.root).join(root)),
    );
    // The capture as the first tree left it (tcpdump began a new one), the events without this start (the first
    // tree's is there), and the new tcpdump's pid in the record.
    const events = relative(root, fakePaths(root).events);
    for (const entry of template.entries) {
      const again = entry.path === events || entry.path.startsWith(`${dirname(template.capture.pidFile)}/`);
      if (entry.kind === "file" && again) write(entry);
    }
    const pidFile = join(root, template.capture.pidFile);
    const recorded = lstatSync(pidFile);
    writeFileSync(pidFile, `${pid}\n`);
    utimesSync(pidFile, recorded.atime, recorded.mtime);
  }
  // Folders last, deepest first: a folder's mode may not let its contents be written.
  for (const entry of [...template.entries].reverse()) {
    if (entry.kind === "folder") restoreOwnerAndMode(join(root, entry.path), entry);
  }
  return mac;
}

/**
 * Starts the tree's tcpdump with ARGS as the root script does, detached by a shell that ends at once (so no test
 * process is its parent), and waits until it captures; its pid.
 */
async function startCapture(mac: FakeMac, args: string[]): Promise<number> {
  const tcpdump = join(mac.root, "usr/sbin/tcpdump");
  const started = execFileSync("/bin/sh", ["-c", '"$0" "$@" </dev/null >/dev/null 2>&1 & echo $!', tcpdump, ...args], {
    encoding: "utf8",
  });
  const pid = Number(started.trim());
  await askServer("capturing", `${pid} ${mac.root}`);
  return pid;
}

/** The arguments of MAC's one capturing tcpdump (its last start) and the file recording its pid; null when none. */
function captureOf(mac: FakeMac, entries: Entry[]): Prepared["capture"] {
  const capturing = mac.capturing();
  if (capturing.length === 0) return null;
  const args = mac
    .events()
    .filter((event) => event.program === "tcpdump")
    .at(-1)?.args;
  const pidFile = entries.find(
    (entry) =>
      entry.kind === "file" && entry.path.endsWith("tcpdump.pid") && entry.data.toString() === `${capturing[0].pid}\n`,
  );
  if (capturing.length > 1 || !args || !pidFile) throw new Error("preparedFakeMac: a capture it cannot carry");
  return { args, pidFile: pidFile.path };
}

/**
 * A fake Mac made with `options` and then `prepare`d, and what `prepare` returned: run for real the first time
 * for `key` (which must name everything `prepare` depends on), copied from that one after.
 */
export async function preparedFakeMac<T>(
  key: unknown,
  options: FakeMacOptions,
  prepare: (mac: FakeMac) => Promise<T>,
): Promise<{ mac: FakeMac; value: T }> {
  const name = JSON.stringify([key, options]);
  const template = prepared.get(name);
  if (template && template !== "not copyable") {
    const mac = await copyOf(template);
    return { mac, value: moved(template.value as T, template.root, mac.root) };
  }
  const mac = createFakeMac(options);
  try {
    const value = await prepare(mac);
    if (template === undefined) {
      await mac.settle();
      const idle = mac.sleepers().length === 0 && mac.capturing().length <= 1;
      const entries = idle ? entriesOf(mac.root) : null;
      // Kept as it was now: the test may change what it got.
      const kept = entries && {
        root: mac.root,
        entries,
        value: moved(value, mac.root, mac.root),
        capture: captureOf(mac, entries),
      };
      prepared.set(name, kept ?? "not copyable");
    }
    return { mac, value };
  } catch (error) {
    mac.cleanup();
    throw error;
  }
}
