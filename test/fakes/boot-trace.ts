/**
 * Which programs the installed watchdog starts when launchd runs it, in order, and which of them before pf held
 * the kill switch's blocking ruleset. The fake macOS logs its own programs (pfctl, ifconfig, tcpdump, ...; not its
 * clock, date and sleep), each with whether pf held that ruleset as it started; the system's utilities the root
 * script finds on its PATH (mktemp, mkdir, awk, ...) are logged by wrappers put first on the PATH of a copy of the
 * installed watchdog, otherwise the same text, and its shell and its clock (date) by loggers in their place. The
 * shell's builtins start nothing, so nothing logs them; a subshell, `$(...)`, forks without starting a program.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { PRODUCT_ID } from "../../src/privileged/paths";
import type { CommandResult } from "../../src/system/commands";
import type { FakeMac } from "./fake-mac";
import { fakePaths } from "./machine";

/** The root script's own PATH line (00-about.sh): the system's directories, where its utilities are found. */
const SCRIPT_PATH_LINE = "PATH=/bin:/usr/bin:/sbin:/usr/sbin";
const SYSTEM_DIRECTORIES = ["/bin", "/usr/bin", "/sbin", "/usr/sbin"];

/**
 * The system root's check (`uname`, then `id` on a Darwin): the script's first step, and only with a system root,
 * which is for tests alone. On a Mac the root is "" and the check starts nothing, so it is left out.
 */
const SYSTEM_ROOT_CHECK = ["uname", "id"];

export interface WatchdogTrace {
  run: CommandResult;
  /** Every program the run started, in order, the system root's check aside. */
  started: string[];
  /** The first of those, started before pf held the kill switch's blocking ruleset. */
  beforeBlocking: string[];
}

/** A wrapper for each utility on the system's PATH that logs its name to the tree's events, then runs it. */
function pathWrappers(mac: FakeMac, dir: string): string {
  const wrappers = join(dir, "path");
  mkdirSync(wrappers, { recursive: true });
  const logger = join(dir, "logged-utility");
  writeFileSync(
    logger,
    [
      "#!/bin/sh",
      `printf '{"program":"%s","args":[],"asRoot":true,"realProgram":true}\\n' "\${0##*/}" >>'${fakePaths(mac.root).events}'`,
      `PATH=/bin:/usr/bin:/sbin:/usr/sbin exec "\${0##*/}" "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const names = new Set(
    SYSTEM_DIRECTORIES.flatMap((directory) => (existsSync(directory) ? readdirSync(directory) : [])),
  );
  for (const name of names) {
    if (/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)) symlinkSync(logger, join(wrappers, name));
  }
  return wrappers;
}

/**
 * The tree's shell, which the script starts by its path ($SYSROOT/bin/sh: the lock's holder), logged like the
 * utilities: a logger takes its place until `restore`. Both it and the run itself start the tree's shell through a
 * link still named sh, since bash is in sh mode only when called so.
 */
function loggedShell(mac: FakeMac, dir: string, path: string): { shell: string; restore: () => void } {
  const target = readlinkSync(path);
  const shell = join(dir, "shell", "sh");
  if (!existsSync(shell)) {
    mkdirSync(join(dir, "shell"));
    symlinkSync(target, shell);
  }
  rmSync(path);
  writeFileSync(
    path,
    [
      "#!/bin/sh",
      `printf '{"program":"sh","args":[],"asRoot":true,"realProgram":true}\\n' >>'${fakePaths(mac.root).events}'`,
      `exec '${shell}' "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return {
    shell,
    restore: () => {
      rmSync(path);
      symlinkSync(target, path);
    },
  };
}

/** The script's clock line (90-main.sh): the traced copy runs a logger there that then runs the tree's date. */
const SCRIPT_DATE_LINE = 'DATE="$SYSROOT/bin/date"';

/** A logger for the tree's clock (its `date`), which the fake macOS does not log itself. */
function loggedClock(mac: FakeMac, dir: string): string {
  const logger = join(dir, "logged-date");
  writeFileSync(
    logger,
    [
      "#!/bin/sh",
      `printf '{"program":"date","args":[],"asRoot":true,"realProgram":true}\\n' >>'${fakePaths(mac.root).events}'`,
      `exec '${mac.root}/bin/date' "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return logger;
}

/** Runs the installed watchdog once as launchd does (RunAtLoad at boot, say), tracing what it starts. */
export async function traceWatchdog(mac: FakeMac): Promise<WatchdogTrace> {
  const job = mac.launchDaemons().find((daemon) => daemon.label === PRODUCT_ID);
  if (!job) throw new Error("launchd has no kill switch watchdog to trace");
  const [shell, script, ...args] = job.programArguments;
  const dir = join(fakePaths(mac.root).dir, "traced");
  if (!existsSync(dir)) mkdirSync(dir);
  const wrappers = existsSync(join(dir, "path")) ? join(dir, "path") : pathWrappers(mac, dir);
  const text = readFileSync(script, "utf8");
  if (text.split(`\n${SCRIPT_PATH_LINE}\n`).length !== 2) throw new Error(`the watchdog sets no ${SCRIPT_PATH_LINE}`);
  if (text.split(`\n${SCRIPT_DATE_LINE}\n`).length !== 2) throw new Error(`the watchdog sets no ${SCRIPT_DATE_LINE}`);
  const traced = join(dir, "watchdog.sh");
  writeFileSync(
    traced,
    text
      .replace(`\n${SCRIPT_PATH_LINE}\n`, `\nPATH=${wrappers}:${SCRIPT_PATH_LINE.slice(5)}\n`)
      .replace(`\n${SCRIPT_DATE_LINE}\n`, `\nDATE='${loggedClock(mac, dir)}'\n`),
  );

  const before = mac.events().length;
  const logged = loggedShell(mac, dir, shell);
  mac.traceBlocking(true);
  const run = await mac.runAsLaunchd([logged.shell, traced, ...args]).finally(() => {
    mac.traceBlocking(false);
    logged.restore();
  });
  const all = mac.events().slice(before);
  let first = 0;
  while (first < all.length && all[first].realProgram && SYSTEM_ROOT_CHECK.includes(all[first].program)) first++;
  const events = all.slice(first);
  // pf changes only through pfctl, one of the fake's programs, which each say whether pf blocked as they started.
  // A utility that started between the last to find pf not blocking and the first to find it blocking started
  // after that last one had ended (the script runs them one after another), so once pf blocked.
  const blockingAt = events.findIndex((event) => event.pfBlocking === true);
  const lastBefore =
    blockingAt === -1 ? events.length - 1 : events.slice(0, blockingAt).findLastIndex((event) => !event.realProgram);
  const started = events.map((event) => event.program);
  return { run, started, beforeBlocking: started.slice(0, lastBefore + 1) };
}
