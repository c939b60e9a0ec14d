/** Runs a real program for a fake one (the fake osascript's and sudo's shell), without blocking the server. */
import { spawn } from "node:child_process";
import { trackGroup } from "./groups";

export interface Finished {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * `root`, when given, has the program followed as a root shell of that tree (groups.ts): it runs in a process
 * group of its own with a life line on fd 3, which what it leaves in the background (the captive-portal timer)
 * keeps, so the server can tell when the tree is idle.
 */
export function runProgram(command: string, args: string[], env: NodeJS.ProcessEnv, root?: string): Promise<Finished> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, {
      env,
      stdio: root === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", "pipe", "pipe", "pipe"],
      detached: root !== undefined,
    });
    if (root !== undefined) trackGroup(root, child);
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (error) => resolveRun({ status: 127, stdout, stderr: `${stderr}${error.message}\n` }));
    // Done when it has exited and its output has ended: not at "close", which also waits for the life line.
    let status: number | null = null;
    let open = 2;
    const finish = () => {
      if (status !== null && open === 0) resolveRun({ status, stdout, stderr });
    };
    child.stdout?.on("end", () => (open--, finish()));
    child.stderr?.on("end", () => (open--, finish()));
    child.on("exit", (code) => ((status = code ?? 1), finish()));
  });
}
