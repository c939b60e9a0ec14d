import { readFile } from "node:fs/promises";
import { type CommandResult, type SystemCommands, systemPath } from "../system/commands";

/**
 * Runs one shell script as root, behind one authorisation: the administrator password dialog
 * (`osascript ... with administrator privileges`), or Touch ID through `sudo` when the user chose it
 * and macOS allows it.
 *
 * How the script travels: as an argument, never as a file root opens. `/bin/sh -c SCRIPT NAME ARGS...`
 * runs as root with the text itself as one argument, so nothing can swap it between its hash check and
 * its run. That text comes from the extension's folder, which the user's account can write, as does the
 * hash: the check catches a damaged copy, not malware running as the user (README, "What it defends
 * against"). Every value the script needs is one more argument.
 *
 * How arguments reach the shell: the AppleScript below is fixed text. It receives the command line as
 * `argv` and builds the `do shell script` string from `quoted form of` each item, so no value is ever
 * pasted into AppleScript or shell source. `with timeout` lifts AppleScript's two-minute limit and
 * `system.run` is called without one: the password dialog waits for the user as long as it takes.
 */
export const ADMINISTRATOR_APPLESCRIPT: readonly string[] = [
  "on run argv",
  'set shellCommand to ""',
  "repeat with shellArgument in argv",
  'set shellCommand to shellCommand & quoted form of (shellArgument as text) & " "',
  "end repeat",
  "with timeout of 86400 seconds",
  "set shellOutput to do shell script shellCommand with administrator privileges without altering line endings",
  "end timeout",
  "return shellOutput",
  "end run",
];

/** A script for `/bin/sh -c`: `$0` is `name`, `$1...` are `args`. */
export interface RootCommand {
  script: string;
  name: string;
  args: readonly string[];
}

export type AuthenticationMethod = "password" | "touchid";

export interface RootRun {
  stdout: string;
  /** How the change was authorised in the end. */
  method: AuthenticationMethod;
  /** For people: why Touch ID was not used, when it was asked for. */
  notes: string[];
}

export type PrivilegedFailure =
  /** The user cancelled the dialog (AppleScript error -128): nothing ran. */
  | "cancelled"
  /** No dialog can be shown here (-1713), e.g. from a background process: nothing ran. */
  | "no-user-interaction"
  /** The script ran as root and exited with a non-zero status (`exitStatus`, message in `output`). */
  | "script-failed"
  /** osascript or sudo failed before the script could run (wrong password three times, AppleScript broken). */
  | "authorization-failed";

export class PrivilegedError extends Error {
  constructor(
    readonly failure: PrivilegedFailure,
    message: string,
    /** The script's exit status for `script-failed`, the AppleScript error number otherwise (if any). */
    readonly exitStatus: number | null,
    /** What the script or osascript said, line endings normalised. */
    readonly output: string,
  ) {
    super(message);
    this.name = "PrivilegedError";
  }
}

/** AppleScript error numbers that mean nothing ran; matched by number because the text is localised. */
const USER_CANCELED = -128;
const NO_USER_INTERACTION = -1713;

/** osascript's error line: `12:345: execution error: <message> (<number>)`, message lines joined by CR. */
export function parseOsascriptError(stderr: string): { message: string; code: number | null } {
  const text = stderr.replace(/\r\n?/g, "\n").trim();
  const match = text.match(/^\d+:\d+: (?:execution|syntax) error: ([\s\S]*?) ?\((-?\d+)\)\.?$/);
  if (!match) return { message: text, code: null };
  return { message: match[1].trim(), code: Number(match[2]) };
}

/**
 * The root shell, started with nothing of the caller's environment: macOS's /bin/sh is bash 3.2, which
 * imports SHELLOPTS and PS4 even as root (xtrace with `PS4='$(...)'` runs code), and `do shell script`
 * may pass the caller's environment on.
 */
function cleanRootShell(system: SystemCommands): string[] {
  return [system.binaries.env, "-i", `PATH=${ROOT_PATH}`, system.binaries.sh];
}

const ROOT_PATH = "/bin:/usr/bin:/sbin:/usr/sbin";

export function administratorArguments(system: SystemCommands, command: RootCommand): string[] {
  return [
    ...ADMINISTRATOR_APPLESCRIPT.flatMap((line) => ["-e", line]),
    ...cleanRootShell(system),
    "-c",
    command.script,
    command.name,
    ...command.args,
  ];
}

function classifyOsascriptFailure(result: CommandResult): PrivilegedError {
  const { message, code } = parseOsascriptError(result.stderr);
  if (code === USER_CANCELED) {
    return new PrivilegedError("cancelled", "Cancelled: nothing was changed.", code, message);
  }
  if (code === NO_USER_INTERACTION) {
    return new PrivilegedError(
      "no-user-interaction",
      "macOS cannot show the administrator password dialog here (no user interaction allowed): nothing was changed.",
      code,
      message,
    );
  }
  if (code !== null && code > 0) {
    return new PrivilegedError(
      "script-failed",
      message || `The root script exited with status ${code}.`,
      code,
      message,
    );
  }
  const detail = message || `osascript exited with status ${result.exitCode}`;
  return new PrivilegedError(
    "authorization-failed",
    `The administrator authorisation failed: ${detail}`,
    code ?? result.exitCode,
    detail,
  );
}

const PAM_TID_LINE = /^\s*auth\s+\S+\s+pam_tid\.so\b/m;

/**
 * Whether `sudo` offers Touch ID: `pam_tid.so` enabled in /etc/pam.d/sudo_local (the place that survives
 * macOS updates) or in /etc/pam.d/sudo. Both files are world-readable; reading them needs no root.
 */
export async function touchIdForSudo(system: SystemCommands): Promise<{ enabled: boolean; reason: string }> {
  for (const file of ["/etc/pam.d/sudo_local", "/etc/pam.d/sudo"]) {
    const text = await readFile(systemPath(system, file), "utf8").catch(() => "");
    if (PAM_TID_LINE.test(text)) return { enabled: true, reason: `pam_tid.so is enabled in ${file}` };
  }
  return {
    enabled: false,
    reason:
      "Touch ID for sudo is not turned on (pam_tid.so in /etc/pam.d/sudo_local), so the administrator password was asked for instead.",
  };
}

/** sudo's own refusals (as opposed to our script's exit statuses, which are never 1). */
function isSudoRefusal(result: CommandResult): boolean {
  return result.exitCode === 1 && /^sudo: /m.test(result.stderr);
}

async function runWithTouchId(system: SystemCommands, command: RootCommand): Promise<CommandResult> {
  // No -n: it forbids every prompt, Touch ID included. Standard input is empty and Raycast has no
  // terminal, so when Touch ID is declined or unavailable sudo stops ("a terminal is required")
  // instead of waiting for a password nobody can type; the password dialog takes over then.
  // -k: with no terminal, sudo would keep its timestamp for the parent process, and for minutes a later
  // `sudo -n` from Raycast would be root without asking; -k neither uses nor leaves one.
  return system.run(
    "sudo",
    ["-k", "--", ...cleanRootShell(system), "-c", command.script, command.name, ...command.args],
    {
      input: "",
    },
  );
}

/** Runs `command` as root once; throws PrivilegedError when it did not run or failed. */
export async function runAsRoot(
  system: SystemCommands,
  command: RootCommand,
  options: { authentication?: AuthenticationMethod } = {},
): Promise<RootRun> {
  const notes: string[] = [];
  if (options.authentication === "touchid") {
    const touchId = await touchIdForSudo(system);
    if (touchId.enabled) {
      const result = await runWithTouchId(system, command);
      if (result.exitCode === 0) return { stdout: result.stdout, method: "touchid", notes };
      if (!isSudoRefusal(result)) {
        const output = result.stderr.trim();
        throw new PrivilegedError(
          "script-failed",
          output || `The root script exited with status ${result.exitCode}.`,
          result.exitCode,
          output,
        );
      }
      const said = result.stderr
        .trim()
        .split("\n")[0]
        .replace(/^sudo: /, "");
      notes.push(`Touch ID did not authorise the change (sudo: ${said}); the administrator password was asked for.`);
    } else {
      notes.push(touchId.reason);
    }
  }
  const result = await system.run("osascript", administratorArguments(system, command));
  if (result.exitCode !== 0) throw classifyOsascriptFailure(result);
  // do shell script drops the output's last newline and osascript prints the result with one.
  return { stdout: result.stdout, method: "password", notes };
}
