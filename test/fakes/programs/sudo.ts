/**
 * A fake /usr/bin/sudo with Touch ID (pam_tid.so): approves or declines as <root>/.fake/machine.json
 * says. Declined, it fails as sudo does without a terminal to ask for the password on.
 */
import { type MachineState, fakePaths, FAKE_ROOT_MARKER, logEvent, readJson } from "../machine";
import type { ProgramIo } from "./pfctl";
import { runProgram } from "./spawn";

export async function runSudo(root: string, args: string[], io: ProgramIo): Promise<number> {
  // -k: ask (Touch ID) whatever was cached, and cache nothing for later calls; the only option it knows.
  const options = args.slice(0, args.indexOf("--") === -1 ? 0 : args.indexOf("--"));
  const command = args.indexOf("--") === -1 ? args : args.slice(args.indexOf("--") + 1);
  if (command.length === 0 || command[0].startsWith("-") || options.some((option) => option !== "-k")) {
    io.stderr.push("usage: sudo [-k] -- command [arg ...] (the fake sudo knows no other option)");
    return 1;
  }
  const machine = readJson<MachineState>(fakePaths(root).machine);
  logEvent(root, { program: "sudo", args: options, asRoot: false, prompt: "touchid", answer: machine.touchId });
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
