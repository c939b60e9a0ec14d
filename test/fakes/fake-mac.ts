/**
 * A fake macOS tree for tests: `<root>/sbin/pfctl`, `<root>/usr/bin/osascript`, ... are executables
 * that the product's real code runs through `createSystemCommands({ root })`, and the root script
 * writes under `<root>/Library/Application Support/...`. pf is modelled statefully (pf-model.ts).
 */
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { NetworkSnapshot, SnapshotTextField } from "../../src/network/snapshot";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import { STATE_DIRECTORY } from "../../src/privileged/paths";
import {
  type CommandResult,
  MACOS_BINARIES,
  type SystemCommands,
  createSystemCommands,
} from "../../src/system/commands";
import {
  type FakeEvent,
  type MachineState,
  type PasswordDialogAnswer,
  type TouchIdAnswer,
  FAKE_ROOT_MARKER,
  fakePaths,
  readEvents,
  readJson,
  writeJson,
} from "./machine";
import { type PfState, appleDefaultPf } from "./pf-model";
import { type LaunchdJob, readLaunchd, readLaunchdJob, writeLaunchd } from "./programs/launchctl";
import type { RecordedOutput } from "./programs/recorded-output";
import { askServer, launchInTree, serverDoor, shimBinary, tellServer } from "./server-process";

const FIXTURES = resolve(__dirname, "../fixtures/fake-mac");

/** The command lines `collectLiveSnapshot` runs, for each snapshot field (`ps` answers from the process table). */
const SNAPSHOT_COMMAND_LINES: Record<Exclude<SnapshotTextField, "processNames">, string> = {
  ifconfig: "ifconfig -a",
  netstatRoutes: "netstat -rn",
  routeGetDefault: "route -n get default",
  routeGetInternet: "route -n get 1.1.1.1",
  scutilNwi: "scutil --nwi",
  scutilDns: "scutil --dns",
  scutilNcList: "scutil --nc list",
  arp: "arp -an",
  netstatSockets: "netstat -anv",
};

function snapshotOutputs(snapshot: NetworkSnapshot): Record<string, RecordedOutput> {
  const outputs: Record<string, RecordedOutput> = {};
  for (const [field, line] of Object.entries(SNAPSHOT_COMMAND_LINES)) {
    const text = snapshot[field as keyof typeof SNAPSHOT_COMMAND_LINES];
    if (text !== undefined) outputs[line] = { stdout: text };
  }
  for (const [name, text] of Object.entries(snapshot.ipconfigSummaries ?? {})) {
    outputs[`ipconfig getsummary ${name}`] = { stdout: text };
  }
  for (const [name, text] of Object.entries(snapshot.ipconfigPackets ?? {})) {
    outputs[`ipconfig getpacket ${name}`] = { stdout: text };
  }
  return outputs;
}

export interface FakeMacOptions {
  /** Initial pf state; default: Apple's rules loaded, pf disabled. */
  pf?: PfState;
  /** What the network commands print; default: the embedded sample Mac (Wi-Fi + OpenVPN on utun4). */
  network?: NetworkSnapshot;
  /** More command outputs, keyed by command line (`sysctl -n hw.model`). */
  outputs?: Record<string, RecordedOutput>;
  bootTime?: number;
  /** The fake clock's start, seconds since 1970; default: this second. Only advanceClock moves it. */
  now?: number;
  /** The processes `ps` names, by pid (full paths, as macOS prints them); default: none. */
  processes?: Record<number, string>;
  /** Enable pam_tid.so in /etc/pam.d/sudo_local. */
  touchIdForSudo?: boolean;
  /** The shell at `<root>/bin/sh` that runs the root script: /bin/sh (dash here), or /bin/bash (sh mode, as on a Mac). */
  shell?: string;
}

export interface FakeMac {
  root: string;
  system: SystemCommands;
  /** `<root>/Library/Application Support/<id>`. */
  stateDirectory: string;
  readPf(): PfState;
  writePf(state: PfState): void;
  setPasswordDialog(answer: PasswordDialogAnswer): void;
  setTouchId(answer: TouchIdAnswer): void;
  /** Makes `pfctl <args> ...` (these arguments first) fail with `stderr` and `exitCode` from now on. */
  failPfctl(args: string[], stderr: string, exitCode?: number): void;
  events(): FakeEvent[];
  /** Authorisation prompts shown so far. */
  prompts(): FakeEvent[];
  /** Every pfctl argument list, in order. */
  pfctlCalls(): string[][];
  /** Runs the fake pfctl as root, as another program on the Mac would. */
  pfctlAsRoot(args: string[]): Promise<CommandResult>;
  /** Makes the network beyond the Mac drop TCP (a probe pf lets out times out), or answer it again. */
  setNetworkDropsTcp(drops: boolean): void;
  /** Replaces what the network commands print (the Mac joined another network, a VPN came up). */
  setNetwork(snapshot: NetworkSnapshot): void;
  /** What the network's DNS answers from now on, by name, to a query pf lets out (a hostile network forges). */
  setDnsAnswers(answers: Record<string, string[]>): void;
  /**
   * A VPN app looks NAME up as getaddrinfo does (/etc/hosts, then a DNS query through pf) and sends to it on PORT
   * from IF through pf (`connect-by-name`; see programs/connect-by-name.ts): exit 0 connected, 1 blocked, 2 unresolved.
   */
  connectByName(args: string[]): Promise<CommandResult>;
  /** Jobs launchd has loaded now (bootstrap, or at boot from /Library/LaunchDaemons). */
  launchDaemons(): LaunchdJob[];
  /** Runs a loaded job once as launchd would (as root, launchd's PATH), and waits for it. */
  runLaunchDaemon(label: string): Promise<CommandResult>;
  /** Runs a program as launchd runs a job's (as root, launchd's PATH), and waits for it. */
  runAsLaunchd(programArguments: string[]): Promise<CommandResult>;
  /** While on, each program's event says whether pf held the kill switch's blocking ruleset as it started. */
  traceBlocking(on: boolean): void;
  /**
   * A restart: pf back to Apple's boot state (rules from /etc/pf.conf, no references, no states), and
   * launchd loads every plist in /Library/LaunchDaemons (run the RunAtLoad ones with runLaunchDaemon).
   * /var/run is emptied, as macOS does at boot. The new boot began at `bootTime` (`kern.boottime` seconds; default:
   * a day after the last).
   */
  reboot(bootTime?: number): void;
  /** A user logs in at the login window (the console becomes theirs; after a restart it is root's). */
  login(user?: string): void;
  /** A process starts (now by the fake clock, unless `started` says when): `ps` lists it from then on. */
  startProcess(pid: number, path: string, started?: number): void;
  /** A process ends: `ps` no longer lists it. */
  endProcess(pid: number): void;
  /** The fake clock (what `date` prints in the tree). */
  now(): Date;
  /**
   * Moves the fake clock on, wakes every `sleep` now due, and resolves once each process it woke has ended
   * or sleeps again (the captive-portal timer after closing its window, say).
   */
  advanceClock(seconds: number): Promise<void>;
  /**
   * Resolves once every root shell the fake osascript and sudo started here has ended, and what it left behind
   * has ended or waits for the clock (a `sleep`) or for a kill (a capturing tcpdump).
   */
  settle(): Promise<void>;
  /** The fake tcpdumps capturing now, which only a kill ends. */
  capturing(): { pid: number; ppid: number }[];
  /**
   * The wall clock is set (an NTP correction, the user): `date` moves by `seconds`, back when negative. As on
   * macOS, kern.boottime moves with it (boot time + uptime = now), and `sleep` counts elapsed time, so no sleep
   * wakes sooner or later for it.
   */
  stepClock(seconds: number): Promise<void>;
  /**
   * The Mac sleeps for `seconds`, then wakes: the clock moves on, and no `sleep` counts that time (macOS's sleep
   * counts uptime, which stops while the Mac sleeps); kern.boottime stays.
   */
  sleepFor(seconds: number): Promise<void>;
  /**
   * The disk nearly full (true) or not any more (false): no folder can be made in /tmp (mktemp -d fails), the
   * running tcpdump ends on its failed write, and a new one cannot write its capture.
   */
  fillDisk(full: boolean): void;
  /** The processes the tree runs now and who started them: its capturing tcpdumps, and the sleeps waiting for the clock. */
  running(): { tcpdumps: number[]; sleepers: { pid: number; ppid: number; until: number }[] };
  /** Resolves once `count` calls of `sleep` wait for the clock (started by the test itself, say). */
  whenAsleep(count: number): Promise<void>;
  /** The calls of `sleep` now waiting for the clock, with when they are due (seconds since 1970). */
  sleepers(): { pid: number; ppid: number; until: number }[];
  /**
   * Puts `script` in place of a program. The tree's programs are hard links of one binary: this unlinks the
   * program first, so the others stay as they are.
   */
  replaceProgram(tool: keyof typeof MACOS_BINARIES, script: string): void;
  /** Ends what still sleeps in the tree (a timer) and removes the tree. */
  cleanup(): void;
}

interface Sleeping {
  pid: number;
  ppid: number;
  until: number;
}

/** The macOS programs the root script runs besides the product's own list: its clock. */
const CLOCK_BINARIES = { date: "/bin/date", sleep: "/bin/sleep" } as const;

/** Other programs of the Mac the tests run: a VPN app that finds its server by name (programs/connect-by-name.ts). */
const APP_BINARIES = { connectByName: "/usr/bin/connect-by-name" } as const;

/** A running process's parent pid (Linux's /proc), null when it is gone. */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/** Running, not a zombie: nothing reaps what the tree's shells leave (pid 1 is no init here). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Kills `pid` as another program (or a crash) would, and returns once it no longer runs: SIGKILL is delivered when
 * the kernel next runs the process, which on a busy machine may be after the next check has looked.
 */
export function killNow(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return; // gone already
  }
  // Bounded by tries, not by the clock: each look is a read of /proc, during which the other core runs it.
  for (let tries = 0; tries < 1_000_000; tries++) if (!alive(pid)) return;
  throw new Error(`process ${pid} still runs after SIGKILL`);
}

/**
 * Whether `pid` is a live program of the tree at `root`: its executable is one of the tree's (a pid recorded for a
 * tcpdump or a sleep that was killed may be another process's by now, another tree's included).
 */
function runsInTree(pid: number, root: string): boolean {
  if (!alive(pid)) return false;
  try {
    return readlinkSync(`/proc/${pid}/exe`).startsWith(`${root}/`);
  } catch {
    return false;
  }
}

export function createFakeMac(options: FakeMacOptions = {}): FakeMac {
  const root = mkdtempSync(join(tmpdir(), "fake-mac-"));
  const paths = fakePaths(root);
  mkdirSync(paths.dir, { recursive: true });
  // Empty: each call's shim makes its slot's reply FIFO the first time (a program started from here costs more).
  mkdirSync(paths.calls);
  symlinkSync(serverDoor(), paths.door);
  const shim = shimBinary();
  const programs: Record<string, string> = { ...MACOS_BINARIES, ...CLOCK_BINARIES, ...APP_BINARIES };
  delete programs.sh;
  delete programs.env;
  for (const macPath of Object.values(programs)) {
    mkdirSync(dirname(`${root}${macPath}`), { recursive: true });
    linkSync(shim, `${root}${macPath}`); // the shim knows its program by this name
  }
  // The root script runs under the real /bin/sh, as `do shell script` does.
  mkdirSync(`${root}/bin`, { recursive: true });
  symlinkSync(options.shell ?? "/bin/sh", `${root}${MACOS_BINARIES.sh}`);
  // The real env, keeping the fake's uid marker through `env -i`, as a real `env -i` keeps the real uid.
  writeFileSync(
    `${root}${MACOS_BINARIES.env}`,
    `#!/bin/sh\nif [ "$1" = -i ]; then shift; exec /usr/bin/env -i ${FAKE_ROOT_MARKER}="\${${FAKE_ROOT_MARKER}:-}" "$@"; fi\nexec /usr/bin/env "$@"\n`,
    { mode: 0o755 },
  );
  mkdirSync(`${root}/Library/Application Support`, { recursive: true });
  mkdirSync(`${root}/Library/LaunchDaemons`, { recursive: true });
  mkdirSync(`${root}/var/run`, { recursive: true });
  // The root script's work directories ($SYSROOT/tmp, /tmp on a Mac) stay inside the tree.
  mkdirSync(`${root}/tmp`, { recursive: true });
  mkdirSync(`${root}/etc/pam.d`, { recursive: true });
  mkdirSync(`${root}/etc/pf.anchors`, { recursive: true });
  copyFileSync(join(FIXTURES, "etc-pf.conf"), `${root}/etc/pf.conf`);
  // macOS's own /etc/hosts, as a new Mac has it.
  copyFileSync(join(FIXTURES, "etc-hosts"), `${root}/etc/hosts`);
  copyFileSync(join(FIXTURES, "etc-pf.anchors-com.apple"), `${root}/etc/pf.anchors/com.apple`);
  copyFileSync(
    join(FIXTURES, options.touchIdForSudo ? "sudo_local-touch-id" : "sudo_local.template"),
    `${root}/etc/pam.d/sudo_local`,
  );

  const machine: MachineState = {
    bootTime: options.bootTime ?? 1_700_000_000,
    now: options.now ?? Math.floor(Date.now() / 1000),
    passwordDialog: "approve",
    touchId: "approve",
    pfctlFaults: {},
    ...(options.processes ? { processes: options.processes } : {}),
  };
  writeJson(paths.machine, machine);
  writeJson(paths.pf, options.pf ?? appleDefaultPf());
  writeJson(paths.outputs, { ...snapshotOutputs(options.network ?? SAMPLE_SNAPSHOT), ...options.outputs });
  writeFileSync(paths.events, "");
  return fakeMacAt(root);
}

/** The FakeMac of a tree laid out already (by createFakeMac, or copied from one: prepared-mac.ts). */
export function fakeMacAt(root: string): FakeMac {
  const paths = fakePaths(root);
  const system = createSystemCommands({ root });
  /**
   * Resolves once every root shell the fake osascript and sudo started here has ended, and what it left behind
   * (the captive-portal timer) has ended or waits in `sleep` for the clock: the server says so (groups.ts).
   */
  const settle = () => askServer("settle", root);
  const sleeping = (): Sleeping[] => {
    try {
      return readJson<Sleeping[]>(paths.sleeping);
    } catch {
      return [];
    }
  };
  const capturing = (): { pid: number; ppid: number }[] => {
    try {
      return readJson<{ pid: number; ppid: number }[]>(paths.capturing);
    } catch {
      return [];
    }
  };
  const killSleepers = () => {
    for (const entry of [...sleeping(), ...capturing()]) {
      if (!runsInTree(entry.pid, root)) continue;
      // The parent only while it still is one: a recorded ppid that has exited may be a new process's pid by now.
      const targets = parentOf(entry.pid) === entry.ppid ? [entry.ppid, entry.pid] : [entry.pid];
      for (const pid of targets) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
    }
  };
  /** The clock moved by `seconds` that no `sleep` counts: the server makes each sleep due as much later. */
  const moveClock = async (seconds: number, bootTimeToo: boolean) => {
    await settle();
    const machine = readJson<MachineState>(paths.machine);
    writeJson(paths.machine, {
      ...machine,
      now: machine.now + seconds,
      bootTime: bootTimeToo ? machine.bootTime + seconds : machine.bootTime,
    });
    tellServer(`shift ${seconds} ${root}`);
    await settle();
  };
  const updateMachine = (change: Partial<MachineState>) =>
    writeJson(paths.machine, { ...readJson<MachineState>(paths.machine), ...change });
  // Through the server, which follows what the job leaves running (a timer) as it does the root shells' own.
  const runAsLaunchd = ([program, ...args]: string[]): Promise<CommandResult> =>
    launchInTree(root, program, args, { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", [FAKE_ROOT_MARKER]: "0" });

  return {
    root,
    system,
    stateDirectory: `${root}${STATE_DIRECTORY}`,
    readPf: () => readJson<PfState>(paths.pf),
    writePf: (state) => writeJson(paths.pf, state),
    setPasswordDialog: (answer) => updateMachine({ passwordDialog: answer }),
    login: (user = "alice") => updateMachine({ consoleUser: user }),
    startProcess(pid, path, started) {
      const machine = readJson<MachineState>(paths.machine);
      updateMachine({
        processes: { ...machine.processes, [pid]: path },
        processStarts: { ...machine.processStarts, [pid]: started ?? machine.now },
      });
    },
    endProcess(pid) {
      const machine = readJson<MachineState>(paths.machine);
      const processes = { ...machine.processes };
      const processStarts = { ...machine.processStarts };
      delete processes[pid];
      delete processStarts[pid];
      updateMachine({ processes, processStarts });
    },
    setTouchId: (answer) => updateMachine({ touchId: answer }),
    failPfctl(args, stderr, exitCode = 1) {
      const current = readJson<MachineState>(paths.machine);
      updateMachine({ pfctlFaults: { ...current.pfctlFaults, [args.join(" ")]: { stderr, exitCode } } });
    },
    events: () => readEvents(root),
    prompts: () => readEvents(root).filter((event) => event.prompt !== undefined),
    pfctlCalls: () =>
      readEvents(root)
        .filter((event) => event.program === "pfctl")
        .map((event) => event.args),
    pfctlAsRoot: (args) => system.run("pfctl", args, { env: { [FAKE_ROOT_MARKER]: "0" } }),
    setNetworkDropsTcp: (drops) => updateMachine({ networkDropsTcp: drops }),
    setNetwork(snapshot) {
      const outputs = readJson<Record<string, RecordedOutput>>(paths.outputs);
      for (const line of Object.keys(outputs)) {
        if (Object.values(SNAPSHOT_COMMAND_LINES).includes(line) || /^ipconfig get(summary|packet) /.test(line)) {
          delete outputs[line];
        }
      }
      writeJson(paths.outputs, { ...outputs, ...snapshotOutputs(snapshot) });
    },
    setDnsAnswers: (answers) => updateMachine({ dnsAnswers: answers }),
    connectByName: (args) =>
      new Promise((done) =>
        execFile(`${root}${APP_BINARIES.connectByName}`, args, { encoding: "utf8" }, (error, stdout, stderr) =>
          done({ exitCode: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        ),
      ),
    launchDaemons: () => Object.values(readLaunchd(root).jobs),
    runLaunchDaemon(label) {
      const job = readLaunchd(root).jobs[label];
      if (!job) throw new Error(`launchd has no job ${label}`);
      return runAsLaunchd(job.programArguments);
    },
    runAsLaunchd: (programArguments) => runAsLaunchd(programArguments),
    traceBlocking: (on) => updateMachine({ traceBlocking: on }),
    reboot(bootTime) {
      // A restart ends every process: the timers sleeping in the tree too.
      killSleepers();
      for (const name of readdirSync(`${root}/var/run`))
        rmSync(`${root}/var/run/${name}`, { recursive: true, force: true });
      const before = readJson<PfState>(paths.pf);
      writeJson(paths.pf, { ...appleDefaultPf(), nextToken: before.nextToken });
      const current = readJson<MachineState>(paths.machine);
      // Cloned interfaces (pflogN) do not survive a restart either.
      updateMachine({ bootTime: bootTime ?? current.bootTime + 86_400, pflogInterfaces: [], consoleUser: "root" });
      const daemons = `${root}/Library/LaunchDaemons`;
      const jobs: Record<string, LaunchdJob> = {};
      for (const name of existsSync(daemons) ? readdirSync(daemons) : []) {
        if (!name.endsWith(".plist")) continue;
        const job = readLaunchdJob(`${daemons}/${name}`);
        jobs[job.label] = job;
      }
      writeLaunchd(root, { jobs });
    },
    now: () => new Date(readJson<MachineState>(paths.machine).now * 1000),
    async advanceClock(seconds) {
      await settle();
      const machine = readJson<MachineState>(paths.machine);
      writeJson(paths.machine, { ...machine, now: machine.now + seconds });
      // The server wakes the sleeps now due before it reads the next line, the settle.
      tellServer(`tick ${root}`);
      await settle();
    },
    settle,
    capturing,
    stepClock: (seconds) => moveClock(seconds, true),
    sleepFor: (seconds) => moveClock(seconds, false),
    fillDisk(full) {
      if (full) {
        rmSync(`${root}/tmp`, { recursive: true, force: true });
        writeFileSync(`${root}/tmp`, "");
        updateMachine({ diskFull: true });
        for (const { pid } of capturing()) if (runsInTree(pid, root)) killNow(pid);
      } else {
        rmSync(`${root}/tmp`, { force: true });
        mkdirSync(`${root}/tmp`);
        updateMachine({ diskFull: false });
      }
    },
    running: () => ({
      tcpdumps: capturing()
        .map(({ pid }) => pid)
        .filter((pid) => runsInTree(pid, root)),
      sleepers: sleeping().filter(({ pid }) => runsInTree(pid, root)),
    }),
    whenAsleep: (count) => askServer("asleep", `${count} ${root}`),
    sleepers: () => sleeping(),
    replaceProgram(tool, script) {
      const path = system.binaries[tool];
      rmSync(path, { force: true });
      writeFileSync(path, script, { mode: 0o755 });
    },
    cleanup() {
      killSleepers();
      tellServer(`forget ${root}`);
      rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
