/**
 * A fake macOS tree for tests: `<root>/sbin/pfctl`, `<root>/usr/bin/osascript`, ... are executables
 * that the product's real code runs through `createSystemCommands({ root })`, and the root script
 * writes under `<root>/Library/Application Support/...`. pf is modelled statefully (pf-model.ts).
 */
import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { buildSync } from "esbuild";
import type { NetworkSnapshot } from "../../src/network/snapshot";
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

const FIXTURES = resolve(__dirname, "../fixtures/fake-mac");

let bundlePath: string | null = null;

/** Bundles the fake programs once per test process (esbuild: a few milliseconds). */
function programsBundle(): string {
  if (bundlePath) return bundlePath;
  const dir = mkdtempSync(join(tmpdir(), "fake-mac-programs-"));
  const outfile = join(dir, "programs.cjs");
  buildSync({
    entryPoints: [resolve(__dirname, "programs/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "warning",
  });
  bundlePath = outfile;
  return outfile;
}

/** The command lines `collectLiveSnapshot` runs, for each snapshot field. */
const SNAPSHOT_COMMAND_LINES: Record<Exclude<keyof NetworkSnapshot, "ipconfigSummaries">, string> = {
  ifconfig: "ifconfig -a",
  netstatRoutes: "netstat -rn",
  routeGetDefault: "route -n get default",
  routeGetInternet: "route -n get 1.1.1.1",
  scutilNwi: "scutil --nwi",
  scutilDns: "scutil --dns",
  scutilNcList: "scutil --nc list",
  arp: "arp -an",
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
  /** Replaces what the network commands print (the Mac joined another network, a VPN came up). */
  setNetwork(snapshot: NetworkSnapshot): void;
  /** Jobs launchd has loaded now (bootstrap, or at boot from /Library/LaunchDaemons). */
  launchDaemons(): LaunchdJob[];
  /** Runs a loaded job once as launchd would (as root, launchd's PATH), and waits for it. */
  runLaunchDaemon(label: string): Promise<CommandResult>;
  /**
   * A restart: pf back to Apple's boot state (rules from /etc/pf.conf, no references, no states), and
   * launchd loads every plist in /Library/LaunchDaemons (run the RunAtLoad ones with runLaunchDaemon).
   */
  reboot(): void;
  cleanup(): void;
}

function writeExecutable(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

export function createFakeMac(options: FakeMacOptions = {}): FakeMac {
  const root = mkdtempSync(join(tmpdir(), "fake-mac-"));
  const paths = fakePaths(root);
  mkdirSync(paths.dir, { recursive: true });
  const bundle = programsBundle();
  const programs = [
    "pfctl",
    "osascript",
    "sudo",
    "sysctl",
    "ifconfig",
    "netstat",
    "route",
    "scutil",
    "arp",
    "ipconfig",
    "launchctl",
  ];
  for (const program of programs) {
    const macPath = MACOS_BINARIES[program as keyof typeof MACOS_BINARIES];
    writeExecutable(
      `${root}${macPath}`,
      `#!${process.execPath}\nrequire(${JSON.stringify(bundle)}).main(${JSON.stringify(root)}, ${JSON.stringify(program)});\n`,
    );
  }
  // The root script runs under the real /bin/sh, as `do shell script` does.
  mkdirSync(`${root}/bin`, { recursive: true });
  symlinkSync(options.shell ?? "/bin/sh", `${root}${MACOS_BINARIES.sh}`);
  mkdirSync(`${root}/Library/Application Support`, { recursive: true });
  mkdirSync(`${root}/Library/LaunchDaemons`, { recursive: true });
  mkdirSync(`${root}/var/run`, { recursive: true });
  mkdirSync(`${root}/etc/pam.d`, { recursive: true });
  mkdirSync(`${root}/etc/pf.anchors`, { recursive: true });
  copyFileSync(join(FIXTURES, "etc-pf.conf"), `${root}/etc/pf.conf`);
  copyFileSync(join(FIXTURES, "etc-pf.anchors-com.apple"), `${root}/etc/pf.anchors/com.apple`);
  copyFileSync(
    join(FIXTURES, options.touchIdForSudo ? "sudo_local-touch-id" : "sudo_local.template"),
    `${root}/etc/pam.d/sudo_local`,
  );

  const machine: MachineState = {
    bootTime: options.bootTime ?? 1_700_000_000,
    passwordDialog: "approve",
    touchId: "approve",
    pfctlFaults: {},
  };
  writeJson(paths.machine, machine);
  writeJson(paths.pf, options.pf ?? appleDefaultPf());
  writeJson(paths.outputs, { ...snapshotOutputs(options.network ?? SAMPLE_SNAPSHOT), ...options.outputs });
  writeFileSync(paths.events, "");

  const system = createSystemCommands({ root });
  const updateMachine = (change: Partial<MachineState>) =>
    writeJson(paths.machine, { ...readJson<MachineState>(paths.machine), ...change });

  return {
    root,
    system,
    stateDirectory: `${root}${STATE_DIRECTORY}`,
    readPf: () => readJson<PfState>(paths.pf),
    writePf: (state) => writeJson(paths.pf, state),
    setPasswordDialog: (answer) => updateMachine({ passwordDialog: answer }),
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
    setNetwork(snapshot) {
      const outputs = readJson<Record<string, RecordedOutput>>(paths.outputs);
      for (const line of Object.keys(outputs)) {
        if (Object.values(SNAPSHOT_COMMAND_LINES).includes(line) || line.startsWith("ipconfig getsummary ")) {
          delete outputs[line];
        }
      }
      writeJson(paths.outputs, { ...outputs, ...snapshotOutputs(snapshot) });
    },
    launchDaemons: () => Object.values(readLaunchd(root).jobs),
    runLaunchDaemon(label) {
      const job = readLaunchd(root).jobs[label];
      if (!job) throw new Error(`launchd has no job ${label}`);
      const [program, ...args] = job.programArguments;
      return new Promise((resolveRun) => {
        execFile(
          program,
          args,
          { env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", [FAKE_ROOT_MARKER]: "0" }, encoding: "utf8" },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
            resolveRun({ exitCode: code, stdout, stderr });
          },
        );
      });
    },
    reboot() {
      const before = readJson<PfState>(paths.pf);
      writeJson(paths.pf, { ...appleDefaultPf(), nextToken: before.nextToken });
      const current = readJson<MachineState>(paths.machine);
      updateMachine({ bootTime: current.bootTime + 86_400 });
      const daemons = `${root}/Library/LaunchDaemons`;
      const jobs: Record<string, LaunchdJob> = {};
      for (const name of existsSync(daemons) ? readdirSync(daemons) : []) {
        if (!name.endsWith(".plist")) continue;
        const job = readLaunchdJob(`${daemons}/${name}`);
        jobs[job.label] = job;
      }
      writeLaunchd(root, { jobs });
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
