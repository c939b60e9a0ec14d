import { CLI_COMMANDS } from "./commands";
import { CliError, type CliIo } from "./io";

function usage(): string {
  const width = Math.max(...CLI_COMMANDS.map((c) => c.name.length));
  const lines = CLI_COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: killswitch <command> [options]",
    "",
    "Keeps every packet inside the VPN with a pf anchor (macOS). Commands:",
    ...lines,
    "",
    "Run `killswitch <command> --help` for a command's options.",
    "",
  ].join("\n");
}

/** Runs one CLI invocation; returns the exit status (0 ok, 1 a failed check, 2 bad input or environment). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = CLI_COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`killswitch: unknown command "${name}"\n\n${usage()}`);
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
      io.stderr(`killswitch ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
