import { runCli } from "./cli/main";
import { systemCommandsFromEnvironment } from "./system/commands";

/** The `killswitch` command line: the same core as the Raycast commands, usable in a terminal and off macOS. */
runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  platform: process.platform,
  system: systemCommandsFromEnvironment(),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  now: () => new Date(),
  onInterrupt: (listener) => {
    process.once("SIGINT", listener);
    return () => void process.off("SIGINT", listener);
  },
  stdoutIsTerminal: process.stdout.isTTY === true,
}).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`killswitch: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 70;
  },
);
