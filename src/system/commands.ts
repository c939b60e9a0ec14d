import { execa } from "execa";

/** Every macOS program the product runs, by absolute path: Raycast and launchd give a minimal PATH. */
export const MACOS_BINARIES = {
  ifconfig: "/sbin/ifconfig",
  netstat: "/usr/sbin/netstat",
  route: "/sbin/route",
  scutil: "/usr/sbin/scutil",
  arp: "/usr/sbin/arp",
  ipconfig: "/usr/sbin/ipconfig",
  pfctl: "/sbin/pfctl",
  osascript: "/usr/bin/osascript",
  sudo: "/usr/bin/sudo",
  sh: "/bin/sh",
  env: "/usr/bin/env",
  launchctl: "/bin/launchctl",
  sysctl: "/usr/sbin/sysctl",
  /** Run by the root script alone: it records what pf blocks from its own pflog interface. */
  tcpdump: "/usr/sbin/tcpdump",
  /** Root script: who owns the console (root at the login window), for the phase of what was blocked. */
  stat: "/usr/bin/stat",
  /** The live leak test's probes, bound to an interface (`nc -b`). */
  nc: "/usr/bin/nc",
  /** Names the owner of a VPN server's connection where netstat prints only its pid (before macOS 26). */
  ps: "/bin/ps",
} as const;

export type SystemTool = keyof typeof MACOS_BINARIES;
export type Binaries = Record<SystemTool, string>;

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  /** Milliseconds; omitted means no limit (the admin password dialog must never time out). */
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** The one port through which the product talks to the operating system. */
export interface SystemCommands {
  readonly binaries: Binaries;
  run(tool: SystemTool, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/**
 * Runs tools by absolute path; `root` prefixes every path so tests can point at fake executables
 * laid out like macOS (`<root>/sbin/pfctl`).
 */
export function createSystemCommands(options: { root?: string } = {}): SystemCommands {
  const root = options.root ?? "";
  const binaries = Object.fromEntries(
    Object.entries(MACOS_BINARIES).map(([tool, path]) => [tool, `${root}${path}`]),
  ) as Binaries;
  return {
    binaries,
    async run(tool, args, runOptions = {}) {
      const subprocess = execa(binaries[tool], [...args], {
        reject: false,
        input: runOptions.input,
        timeout: runOptions.timeoutMs,
        env: runOptions.env,
        stripFinalNewline: false,
      });
      // A program stopped by a signal (its timeout) may leave children holding its output open: do not wait for them.
      subprocess.once("exit", (code) => {
        if (code !== null) return;
        subprocess.stdout?.destroy();
        subprocess.stderr?.destroy();
      });
      const result = await subprocess;
      const exitCode = typeof result.exitCode === "number" ? result.exitCode : 127;
      const stderr =
        result.failed && result.exitCode === undefined ? `${result.stderr}${result.message}` : result.stderr;
      return { exitCode, stdout: String(result.stdout ?? ""), stderr: String(stderr ?? "") };
    },
  };
}

/**
 * The prefix `createSystemCommands` put in front of every macOS path ("" on a Mac), read back from the
 * binaries so the `SystemCommands` shape stays as it is. Files the product reads (the kill switch's state,
 * `/etc/pam.d/sudo_local`) live under the same prefix as the programs.
 */
export function systemRootOf(system: SystemCommands): string {
  const sh = system.binaries.sh;
  return sh.endsWith(MACOS_BINARIES.sh) ? sh.slice(0, sh.length - MACOS_BINARIES.sh.length) : "";
}

/** An absolute macOS path (`/Library/...`) as seen through `system` (prefixed in tests). */
export function systemPath(system: SystemCommands, absolutePath: string): string {
  return `${systemRootOf(system)}${absolutePath}`;
}

/** For the CLI: `KILLSWITCH_SYSTEM_ROOT` points the tools at a fake macOS tree (tests, demos). */
export function systemCommandsFromEnvironment(env: NodeJS.ProcessEnv = process.env): SystemCommands {
  return createSystemCommands({ root: env.KILLSWITCH_SYSTEM_ROOT || "" });
}
