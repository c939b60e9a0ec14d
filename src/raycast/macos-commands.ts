import { spawn } from "node:child_process";
import { type CommandResult, MACOS_BINARIES, type SystemCommands } from "../system/commands";

/**
 * The `SystemCommands` port on node:child_process alone. Raycast loads a command's whole bundle on every
 * launch, and execa (used by the CLI) adds about 80 KB to each; this does the same job for what the commands need:
 * absolute paths, no shell, stdin text, no timeout unless asked (the password dialog waits for the user).
 */
export function createMacosCommands(root = ""): SystemCommands {
  const binaries = Object.fromEntries(
    Object.entries(MACOS_BINARIES).map(([tool, path]) => [tool, `${root}${path}`]),
  ) as SystemCommands["binaries"];
  return {
    binaries,
    run(tool, args, options = {}) {
      return new Promise<CommandResult>((resolve) => {
        let stdout = "";
        let stderr = "";
        let settled = false;
        const finish = (result: CommandResult) => {
          if (settled) return;
          settled = true;
          resolve(result);
        };
        const child = spawn(binaries[tool], [...args], {
          env: options.env ? { ...process.env, ...options.env } : process.env,
          timeout: options.timeoutMs,
          stdio: ["pipe", "pipe", "pipe"],
        });
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
        // A program that cannot be started (missing, not executable) reads as exit status 127, like a shell.
        child.on("error", (error) => finish({ exitCode: 127, stdout, stderr: `${stderr}${error.message}` }));
        // A killed program may leave children holding its output open: do not wait for them.
        child.on("exit", (code, signal) => {
          if (code === null) {
            finish({
              exitCode: 127,
              stdout,
              stderr: `${stderr}${binaries[tool]} was stopped by ${signal ?? "a signal"}`,
            });
          }
        });
        child.on("close", (code) => finish({ exitCode: code ?? 127, stdout, stderr }));
        // The program may exit without reading its input; that is not an error here.
        child.stdin.on("error", () => undefined);
        child.stdin.end(options.input ?? "");
      });
    },
  };
}

let shared: SystemCommands | null = null;

/** The Mac's real commands, created once per command run. */
export function macosCommands(): SystemCommands {
  shared ??= createMacosCommands();
  return shared;
}
