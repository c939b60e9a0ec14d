/**
 * Entry point of every fake macOS program: the tree's executables are two-line wrappers that call
 * `main(root, program)` from this file's bundle (see ../fake-mac.ts).
 */
import { logEvent, FAKE_ROOT_MARKER } from "../machine";
import { runLaunchctl } from "./launchctl";
import { runOsascript } from "./osascript";
import { type ProgramIo, runPfctl } from "./pfctl";
import { runRecorded } from "./recorded-output";
import { runSudo } from "./sudo";

export function main(root: string, program: string): void {
  const args = process.argv.slice(2);
  const io: ProgramIo = { stdout: [], stderr: [] };
  const asRoot = process.env[FAKE_ROOT_MARKER] === "0";
  if (program !== "osascript" && program !== "sudo") logEvent(root, { program, args, asRoot });
  let status: number;
  if (program === "pfctl") status = runPfctl(root, args, io, Math.floor(Date.now() / 1000));
  else if (program === "osascript") status = runOsascript(root, args, io);
  else if (program === "sudo") status = runSudo(root, args, io);
  else if (program === "launchctl") status = runLaunchctl(root, args, io);
  else status = runRecorded(root, program, args, io);
  if (io.stdout.length > 0) process.stdout.write(`${io.stdout.join("\n")}\n`);
  if (io.stderr.length > 0) process.stderr.write(`${io.stderr.join("\n")}\n`);
  process.exitCode = status;
}
