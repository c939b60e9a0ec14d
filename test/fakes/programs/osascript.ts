/**
 * A fake /usr/bin/osascript that interprets the one AppleScript shape the product sends: `on run argv`,
 * a command line built from `quoted form of` each argument, and `do shell script ... with administrator
 * privileges`. It quotes as AppleScript does and hands the result to the real /bin/sh, so quoting
 * mistakes show up exactly as they would on a Mac. Anything else is a syntax error.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MachineState, fakePaths, FAKE_ROOT_MARKER, logEvent, readJson } from "../machine";
import type { ProgramIo } from "./pfctl";
import { runProgram } from "./spawn";

/** AppleScript's `quoted form of`: single quotes, each ' written as '\''. */
export function quotedForm(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

const ROOT_SHELL_PATH = "/usr/bin:/bin:/usr/sbin:/sbin";

type Statement =
  | { kind: "set-empty"; variable: string }
  | { kind: "repeat"; item: string; body: Statement[] }
  | { kind: "append-quoted"; variable: string; item: string }
  | { kind: "timeout"; body: Statement[] }
  | { kind: "shell"; result: string; command: string; admin: boolean; altering: boolean }
  | { kind: "return"; variable: string };

const ID = "([A-Za-z][A-Za-z0-9_]*)";
type Marker = "repeat" | "end-repeat" | "timeout" | "end-timeout";
const PATTERNS: [RegExp, (m: RegExpMatchArray) => Statement | Marker | null][] = [
  [new RegExp(`^set ${ID} to ""$`), (m) => ({ kind: "set-empty", variable: m[1] })],
  [new RegExp(`^repeat with ${ID} in argv$`), () => "repeat"],
  [
    new RegExp(`^set ${ID} to ${ID} & quoted form of \\(${ID} as text\\) & " "$`),
    (m) => (m[1] === m[2] ? { kind: "append-quoted", variable: m[1], item: m[3] } : null),
  ],
  [/^end repeat$/, () => "end-repeat"],
  [/^with timeout of \d+ seconds$/, () => "timeout"],
  [/^end timeout$/, () => "end-timeout"],
  [
    new RegExp(
      `^set ${ID} to do shell script ${ID}( with administrator privileges)?( without altering line endings)?$`,
    ),
    (m) => ({ kind: "shell", result: m[1], command: m[2], admin: !!m[3], altering: !m[4] }),
  ],
  [new RegExp(`^return ${ID}$`), (m) => ({ kind: "return", variable: m[1] })],
];

/** The statements, or the number of the first line it cannot read. */
function parse(lines: string[]): Statement[] | number {
  const trimmed = lines.map((l) => l.trim());
  if (trimmed[0] !== "on run argv" || trimmed[trimmed.length - 1] !== "end run") return 0;
  const stack: Statement[][] = [[]];
  const open: ("repeat" | "timeout")[] = [];
  for (let i = 1; i < trimmed.length - 1; i++) {
    const line = trimmed[i];
    const pattern = PATTERNS.find(([re]) => re.test(line));
    const made = pattern ? pattern[1](line.match(pattern[0]) as RegExpMatchArray) : null;
    if (made === null) return i;
    const current = stack[stack.length - 1];
    if (made === "repeat" || made === "timeout") {
      const body: Statement[] = [];
      const item = line.match(/^repeat with (\S+)/)?.[1] ?? "";
      current.push(made === "repeat" ? { kind: "repeat", item, body } : { kind: "timeout", body });
      stack.push(body);
      open.push(made);
    } else if (made === "end-repeat" || made === "end-timeout") {
      if (open.pop() !== (made === "end-repeat" ? "repeat" : "timeout")) return i;
      stack.pop();
    } else {
      current.push(made);
    }
  }
  return open.length === 0 ? stack[0] : trimmed.length - 1;
}

interface Outcome {
  output?: string;
  error?: { message: string; code: number };
}

async function execute(
  root: string,
  statements: Statement[],
  argv: string[],
  vars: Map<string, string>,
  callerEnv: NodeJS.ProcessEnv,
): Promise<Outcome | null> {
  for (const statement of statements) {
    switch (statement.kind) {
      case "set-empty":
        vars.set(statement.variable, "");
        break;
      case "repeat":
        for (const item of argv) {
          vars.set(statement.item, item);
          const outcome = await execute(root, statement.body, argv, vars, callerEnv);
          if (outcome) return outcome;
        }
        break;
      case "append-quoted":
        vars.set(
          statement.variable,
          `${vars.get(statement.variable) ?? ""}${quotedForm(vars.get(statement.item) ?? "")} `,
        );
        break;
      case "timeout": {
        const outcome = await execute(root, statement.body, argv, vars, callerEnv);
        if (outcome) return outcome;
        break;
      }
      case "shell": {
        const result = await runShell(root, vars.get(statement.command) ?? "", statement.admin, callerEnv);
        if ("error" in result) return result;
        const text = result.output.replace(/\n$/, "");
        vars.set(statement.result, statement.altering ? text.replace(/\n/g, "\r") : text);
        break;
      }
      case "return":
        return { output: vars.get(statement.variable) ?? "" };
    }
  }
  return null;
}

async function runShell(
  root: string,
  command: string,
  admin: boolean,
  callerEnv: NodeJS.ProcessEnv,
): Promise<{ output: string } | { error: Outcome["error"] }> {
  const machine = readJson<MachineState>(fakePaths(root).machine);
  if (admin) {
    logEvent(root, {
      program: "osascript",
      args: [],
      asRoot: false,
      prompt: "password",
      answer: machine.passwordDialog,
    });
    if (machine.passwordDialog === "cancel") return { error: { message: "User canceled.", code: -128 } };
    if (machine.passwordDialog === "no-ui") return { error: { message: "No user interaction allowed.", code: -1713 } };
  }
  // As on a Mac, `do shell script` may hand the caller's environment to the (root) shell: what it must not
  // trust is there to be ignored (the product starts the root shell with `env -i`).
  const env: NodeJS.ProcessEnv = { ...callerEnv, PATH: ROOT_SHELL_PATH };
  delete env[FAKE_ROOT_MARKER];
  if (admin) env[FAKE_ROOT_MARKER] = "0";
  // A Mac runs the command with `/bin/sh -c`, all arguments together limited to ARG_MAX (1 MB). Linux also caps
  // any one argument at 128 KB, which the command (the root script twice with --startup) can pass: the same
  // text goes to the same shell from a file, parsed and quoted exactly alike.
  const directory = mkdtempSync(join(tmpdir(), "fake-osascript-"));
  const file = join(directory, "command");
  writeFileSync(file, command);
  const result = await runProgram("/bin/sh", [file], env, root).finally(() =>
    rmSync(directory, { recursive: true, force: true }),
  );
  if (result.status === 0) return { output: result.stdout };
  const said = (result.stderr || result.stdout).replace(/\n$/, "").replace(/\n/g, "\r");
  return { error: { message: said || "The command exited with a non-zero status.", code: result.status ?? 1 } };
}

/** The environment of the process that ran osascript (the shim waits for its answer, so it is there to read). */
function environmentOf(pid: number): NodeJS.ProcessEnv {
  try {
    const entries = readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter((entry) => entry.includes("="));
    return Object.fromEntries(
      entries.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
    );
  } catch {
    return {};
  }
}

export async function runOsascript(root: string, args: string[], io: ProgramIo, pid: number): Promise<number> {
  const lines: string[] = [];
  let i = 0;
  while (i < args.length && args[i] === "-e") {
    lines.push(args[i + 1] ?? "");
    i += 2;
  }
  const argv = args.slice(i);
  const statements = parse(lines);
  if (typeof statements === "number") {
    io.stderr.push(`${statements}:${statements}: syntax error: Expected end of line but found identifier. (-2741)`);
    return 1;
  }
  const outcome = await execute(root, statements, argv, new Map(), environmentOf(pid));
  if (outcome?.error) {
    const at = lines.join("\n").length;
    io.stderr.push(`0:${at}: execution error: ${outcome.error.message} (${outcome.error.code})`);
    return 1;
  }
  if (outcome?.output !== undefined) io.stdout.push(outcome.output);
  return 0;
}
