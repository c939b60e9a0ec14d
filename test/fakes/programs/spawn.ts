/** Runs a real program for a fake one (the fake osascript's and sudo's shell), without blocking the server. */
import { spawn } from "node:child_process";

export interface Finished {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * `group`, when given, is told the process group the program runs in (its own): what it leaves running in the
 * background (the captive-portal timer) stays in that group, so the test side can tell when it is idle.
 */
export function runProgram(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  group?: (pgid: number) => void,
): Promise<Finished> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: group !== undefined });
    if (group && child.pid !== undefined) group(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (error) => resolveRun({ status: 127, stdout, stderr: `${stderr}${error.message}\n` }));
    child.on("close", (code) => resolveRun({ status: code ?? 1, stdout, stderr }));
  });
}
