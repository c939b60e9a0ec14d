/**
 * A fake /usr/bin/sudo with Touch ID (pam_tid.so): approves or declines as <root>/.fake/machine.json
 * says. Declined, it fails as sudo does without a terminal to ask for the password on.
 */
import { type MachineState, fakePaths, FAKE_ROOT_MARKER, logEvent, readJson } from "../machine";
import type { ProgramIo } from "./pfctl";
import { runProgram } from "./spawn";

export async function runSudo(root: string, args: string[], io: ProgramIo): Promise<number> {
  const command = args[0] === "--" ? args.slice(1) : args;
  if (command.length === 0 || command[0].startsWith("-")) {
    io.stderr.push("usage: sudo -- command [arg ...] (the fake sudo knows no options)");
    return 1;
  }
  const machine = readJson<MachineState>(fakePaths(root).machine);
  logEvent(root, { program: "sudo", args: [], asRoot: false, prompt: "touchid", answer: machine.touchId });
  if (machine.touchId !== "approve") {
    io.stderr.push(
      "sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper",
      "sudo: a password is required",
    );
    return 1;
  }
  const result = await runProgram(
    command[0],
    command.slice(1),
    {
      PATH: "/usr/bin:/bin:/usr/sbin:/sbin",
      [FAKE_ROOT_MARKER]: "0",
    },
    root,
  );
  if (result.stdout) io.stdout.push(result.stdout.replace(/\n$/, ""));
  if (result.stderr) io.stderr.push(result.stderr.replace(/\n$/, ""));
  return result.status ?? 1;
}
