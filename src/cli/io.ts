import type { RandomInt } from "../leaktest/probes";
import type { HostLookup } from "../policy/policy";
import type { SystemCommands } from "../system/commands";

/** Everything a CLI command touches outside its arguments, so tests can run commands in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  platform: NodeJS.Platform;
  system: SystemCommands;
  /** Reads standard input to the end (for `--rules -`). */
  readStdin(): Promise<string>;
  now(): Date;
  /** Waits (the leak test between two readings of pf's log); tests answer at once. Default: a timer. */
  wait?: (milliseconds: number) => Promise<void>;
  /** Draws the leak test's source ports; tests give a fixed sequence. Default: node:crypto. */
  randomInt?: RandomInt;
  /** Resolves host names for Enable; tests answer from a table. Default: the system's resolver. */
  lookup?: HostLookup;
  /** Calls `listener` on Ctrl-C (SIGINT) until the returned function is called; only `status --watch` asks. */
  onInterrupt?: (listener: () => void) => () => void;
  /** Standard output is a terminal: a live line can be rewritten in place. */
  stdoutIsTerminal?: boolean;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** A problem with the user's input or environment: printed as one clear line, exit status 2. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
    /** The setting, option or file at fault and its value, when one is: for `--json` errors. */
    readonly field: string | null = null,
    readonly value: string | null = null,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A bad command-line option: the message, and the option and its value for `--json` errors. */
export function optionError(option: string | null, value: string | null, message: string): CliError {
  return new CliError(message, 2, option, value);
}
