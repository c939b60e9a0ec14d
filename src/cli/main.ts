import { CLI_COMMANDS } from "./commands";
import { userSettingsPath } from "../settings/settings-file";
import { ROOT_SCRIPT_CONSTANTS, ROOT_SCRIPT_SHA256 } from "../privileged/root-script";
import { CliError, type CliIo } from "./io";
import { printable } from "./printable";

function usage(): string {
  const width = Math.max(...CLI_COMMANDS.map((c) => c.name.length));
  const lines = CLI_COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: killswitch <command> [options]",
    "",
    "Keeps every packet inside the VPN with a pf anchor (macOS). Commands:",
    ...lines,
    "",
    "Settings: one file per user, shared with the Raycast extension (--config FILE reads and changes another):",
    `  ${userSettingsPath("~")}`,
    "",
    "Run `killswitch help <command>` (or `killswitch <command> --help`) for a command's options, and",
    "`killswitch --version` for the build. Exit status: 0 done, 1 a check failed (verify, explain: blocked",
    "where a pass was expected, or a leak), 2 bad input or a system that cannot do it (not a Mac).",
    "",
  ].join("\n");
}

/** What `--version` prints: the root script's version and the start of its SHA-256, which identify a build. */
export function versionText(): string {
  return `killswitch (VPN Kill Switch): root script version ${ROOT_SCRIPT_CONSTANTS.KS_VERSION}, sha256 ${ROOT_SCRIPT_SHA256.slice(0, 12)}\n`;
}

/** Runs one CLI invocation; returns the exit status (0 ok, 1 a failed check, 2 bad input or environment). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr(usage()); // a usage error: nothing was asked for
    return 2;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.stdout(versionText());
    return 0;
  }
  if (name === "help" || name === "--help" || name === "-h") {
    const asked = args[0] === undefined ? null : CLI_COMMANDS.find((c) => c.name === args[0]);
    if (asked === undefined) {
      io.stderr(`killswitch help: unknown command ${JSON.stringify(printable(args[0]))}\n\n${usage()}`);
      return 2;
    }
    io.stdout(asked ? `${asked.usage}\n` : usage());
    return 0;
  }
  const command = CLI_COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`killswitch: unknown command ${JSON.stringify(printable(name))}\n\n${usage()}`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof CliError) {
      const message = printable(error.message, { keepNewlines: true });
      if (args.includes("--json")) {
        io.stdout(
          `${JSON.stringify({ error: { field: error.field, value: error.value, message: error.message } }, null, 2)}\n`,
        );
      } else {
        io.stderr(`killswitch ${name}: ${message}\n`);
      }
      return error.exitCode;
    }
    throw error;
  }
}
