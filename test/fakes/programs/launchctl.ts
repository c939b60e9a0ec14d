/**
 * A fake /bin/launchctl for the system domain: bootstrap, bootout, enable, print, and the older load/unload.
 * Loaded jobs live in <root>/.fake/launchd.json. A job runs only when a test says so (FakeMac.runLaunchDaemon),
 * as launchd would run it at load, at its interval or when a watched path changes. Messages are modelled on
 * launchctl's (`Bootstrap failed: 5: Input/output error`), not copied from a capture.
 */
import { readFileSync, statSync } from "node:fs";
import { fakePaths, readJson, writeJson } from "../machine";
import type { ProgramIo } from "./pfctl";

export interface LaunchdJob {
  label: string;
  /** The plist's path as launchctl was given it. */
  plist: string;
  programArguments: string[];
  runAtLoad: boolean;
  startInterval: number | null;
  watchPaths: string[];
}

export interface LaunchdState {
  jobs: Record<string, LaunchdJob>;
}

type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

const unescapeXml = (text: string) =>
  text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

/** The XML property list subset launchd plists use: dict, array, string, integer, true, false. */
export function parsePlist(xml: string): PlistValue {
  const tokens = xml
    .replace(/<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--[\s\S]*?-->/g, "")
    .match(/<[^>]+>|[^<]+/g)
    ?.filter((token) => token.trim() !== "");
  if (!tokens) throw new Error("empty plist");
  let at = 0;
  const next = () => {
    const token = tokens[at++];
    if (token === undefined) throw new Error("plist ends too early");
    return token;
  };
  const text = (close: string) => {
    const token = next();
    if (token === close) return "";
    if (next() !== close) throw new Error(`expected ${close}`);
    return unescapeXml(token);
  };
  const value = (): PlistValue => {
    const open = next();
    if (open === "<true/>") return true;
    if (open === "<false/>") return false;
    if (open === "<string/>") return "";
    if (open === "<string>") return text("</string>");
    if (open === "<integer>") return Number(text("</integer>"));
    if (open === "<array>") {
      const items: PlistValue[] = [];
      while (tokens[at] !== "</array>") items.push(value());
      at++;
      return items;
    }
    if (open === "<dict>") {
      const dict: Record<string, PlistValue> = {};
      while (tokens[at] !== "</dict>") {
        if (next() !== "<key>") throw new Error("expected <key>");
        const key = text("</key>");
        dict[key] = value();
      }
      at++;
      return dict;
    }
    throw new Error(`unexpected ${open}`);
  };
  if (next() !== '<plist version="1.0">') throw new Error("not a plist");
  const root = value();
  if (next() !== "</plist>") throw new Error("expected </plist>");
  return root;
}

/** Reads a LaunchDaemon plist as launchd does, refusing what it refuses. */
export function readLaunchdJob(path: string): LaunchdJob {
  const mode = statSync(path).mode;
  // launchd: "Path had bad ownership/permissions" for group- or world-writable plists.
  if (mode & 0o022) throw new Error(`${path}: Path had bad ownership/permissions`);
  const plist = parsePlist(readFileSync(path, "utf8"));
  if (typeof plist !== "object" || Array.isArray(plist)) throw new Error(`${path}: not a dictionary`);
  const label = plist.Label;
  const args = plist.ProgramArguments;
  if (typeof label !== "string" || label === "") throw new Error(`${path}: no Label`);
  if (!Array.isArray(args) || args.length === 0 || !args.every((a) => typeof a === "string")) {
    throw new Error(`${path}: no ProgramArguments`);
  }
  const watchPaths = Array.isArray(plist.WatchPaths) ? plist.WatchPaths.filter((p) => typeof p === "string") : [];
  return {
    label,
    plist: path,
    programArguments: args as string[],
    runAtLoad: plist.RunAtLoad === true,
    startInterval: typeof plist.StartInterval === "number" ? plist.StartInterval : null,
    watchPaths: watchPaths as string[],
  };
}

function launchdPath(root: string): string {
  return `${fakePaths(root).dir}/launchd.json`;
}

export function readLaunchd(root: string): LaunchdState {
  try {
    return readJson<LaunchdState>(launchdPath(root));
  } catch {
    return { jobs: {} };
  }
}

export function writeLaunchd(root: string, state: LaunchdState): void {
  writeJson(launchdPath(root), state);
}

const systemLabel = (target: string | undefined) => target?.match(/^system\/(.+)$/)?.[1] ?? null;

export function runLaunchctl(root: string, args: string[], io: ProgramIo, asRoot: boolean): number {
  const state = readLaunchd(root);
  const [command, ...rest] = args;
  const needsRoot = command !== "print";
  if (needsRoot && !asRoot) {
    io.stderr.push(`${command === "bootstrap" ? "Bootstrap" : "Operation"} failed: 1: Operation not permitted`);
    return 1;
  }
  const load = (path: string | undefined, failure: string): number => {
    if (!path) {
      io.stderr.push("Usage: launchctl bootstrap <domain-target> <service-path>");
      return 64;
    }
    let job: LaunchdJob;
    try {
      job = readLaunchdJob(path);
    } catch (error) {
      io.stderr.push(`${failure}: 5: Input/output error`, (error as Error).message);
      return 5;
    }
    if (state.jobs[job.label]) {
      io.stderr.push(`${failure}: 5: Input/output error`);
      return 5;
    }
    state.jobs[job.label] = job;
    writeLaunchd(root, state);
    return 0;
  };
  const unload = (label: string | null): number => {
    if (!label || !state.jobs[label]) {
      io.stderr.push("Boot-out failed: 3: No such process");
      return 3;
    }
    delete state.jobs[label];
    writeLaunchd(root, state);
    return 0;
  };
  switch (command) {
    case "bootstrap":
      if (rest[0] !== "system") {
        io.stderr.push("the fake launchctl knows the system domain only");
        return 64;
      }
      return load(rest[1], "Bootstrap failed");
    case "bootout": {
      if (rest[0] === "system" && rest[1]) {
        const byPath = Object.values(state.jobs).find((job) => job.plist === rest[1]);
        return unload(byPath?.label ?? null);
      }
      return unload(systemLabel(rest[0]));
    }
    case "enable":
    case "disable":
      return systemLabel(rest[0]) ? 0 : 64;
    case "print": {
      const label = systemLabel(rest[0]);
      const job = label ? state.jobs[label] : undefined;
      if (!job) {
        io.stderr.push(`Could not find service "${label ?? rest[0]}" in domain for system`);
        return 113;
      }
      io.stdout.push(`system/${job.label} = {`, `\tpath = ${job.plist}`, `\tstate = waiting`, "}");
      return 0;
    }
    case "load":
      return load(rest.filter((a) => a !== "-w")[0], "Load failed");
    case "unload": {
      const path = rest.filter((a) => a !== "-w")[0];
      const job = Object.values(state.jobs).find((j) => j.plist === path);
      return unload(job?.label ?? null);
    }
    default:
      io.stderr.push(`Unrecognized subcommand: ${command}`);
      return 64;
  }
}
