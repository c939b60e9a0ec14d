import { execFile } from "node:child_process";
import { runAlfred } from "./alfred/main";
import { systemCommandsFromEnvironment, systemRootOf } from "./system/commands";

/** Alfred's AppleScript: open Alfred with a query, given as an argument, never as script text. */
const SEARCH_IN_ALFRED = [
  "on run argv",
  'tell application id "com.runningwithcrayons.Alfred" to search (item 1 of argv)',
  "end run",
];

const system = systemCommandsFromEnvironment();

/** The Alfred workflow's program (alfred/main.ts): the same core as the CLI and the Raycast commands. */
runAlfred(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  // A stand-in macOS tree (KILLSWITCH_SYSTEM_ROOT: tests, demos) is read as the Mac it stands in for.
  platform: systemRootOf(system) === "" ? process.platform : "darwin",
  system,
  readStdin: async () => "",
  now: () => new Date(),
  stdoutIsTerminal: false,
  showInAlfred: (query) =>
    new Promise((resolve, reject) =>
      execFile("/usr/bin/osascript", [...SEARCH_IN_ALFRED.flatMap((line) => ["-e", line]), query], (error) =>
        error ? reject(error) : resolve(),
      ),
    ),
}).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    // Never a stack: a last item saying what happened.
    const message = error instanceof Error ? error.message : String(error);
    process.stdout.write(
      `${JSON.stringify({ items: [{ title: "VPN Kill Switch Failed", subtitle: message, valid: false }] })}\n`,
    );
    process.exitCode = 70;
  },
);
