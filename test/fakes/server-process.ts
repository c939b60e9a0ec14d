/**
 * The test side of the fake-macOS server (programs/server.ts): bundled once per run (see test/global-setup.ts;
 * once per process elsewhere, as in the bench), started on first use and shared by every test file the process
 * runs (a Node start costs a few hundred milliseconds of CPU here), stopped with the process. Its folder is
 * beside the run's bundles, which the global teardown removes, so nothing of it is left in the temporary
 * directory whichever way the process ends.
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { buildSync } from "esbuild";

/** Set by the global setup: the bundle every test process of the run starts, and the fake programs' binary. */
export const SERVER_BUNDLE_VARIABLE = "VPN_KILL_SWITCH_FAKE_MAC_SERVER";
export const SHIM_BINARY_VARIABLE = "VPN_KILL_SWITCH_FAKE_MAC_SHIM";

interface Server {
  directory: string;
  door: string;
  child: ChildProcess;
  /** Resolved once the server has its door open (its "ready" message). */
  ready: Promise<void>;
  isReady: boolean;
  /** Answers awaited by id (`settle`, `asleep`, `launch`). */
  answers: Map<string, (result?: LaunchResult) => void>;
}

let server: Server | null = null;

/** Bundles programs/server.ts into `directory` (esbuild: a fraction of a second). */
export function buildServerBundle(directory: string): string {
  const outfile = join(directory, "fake-mac-server.cjs");
  buildSync({
    entryPoints: [resolve(__dirname, "programs/server.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "warning",
  });
  return outfile;
}

/**
 * Compiles shim.c, the program every fake macOS executable is a hard link of. Static: no dynamic loader to
 * run at each of the thousands of calls the integration tests make. Needs a C compiler (CI installs gcc).
 */
export function buildShimBinary(directory: string): string {
  const output = join(directory, "fake-mac-shim");
  execFileSync("cc", ["-O2", "-static", "-o", output, resolve(__dirname, "shim.c")], { stdio: "inherit" });
  return output;
}

let shim: string | null = null;

/** The shim binary of this run (the global setup's), or one built now beside this process's server. */
export function shimBinary(): string {
  const shared = process.env[SHIM_BINARY_VARIABLE];
  if (shared && existsSync(shared)) return shared;
  shim ??= buildShimBinary(mkdtempSync(join(serverDirectory(), "shim-")));
  return shim;
}

function start(): Server {
  const shared = process.env[SERVER_BUNDLE_VARIABLE];
  const directory = mkdtempSync(join(shared ? dirname(shared) : tmpdir(), "fake-mac-server-"));
  const bundle = shared && existsSync(shared) ? shared : buildServerBundle(directory);
  const door = join(directory, "door");
  execFileSync("mkfifo", [door]);
  const child = fork(bundle, [door], { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv: [] });
  // Neither keeps this process alive; when it ends, the server sees its channel close and ends too.
  child.unref();
  child.channel?.unref();
  const answers = new Map<string, (result?: LaunchResult) => void>();
  let opened: () => void = () => {};
  const started: Server = {
    directory,
    door,
    child,
    ready: new Promise((resolve) => (opened = resolve)),
    isReady: false,
    answers,
  };
  child.on("message", (message: "ready" | { settled: string } | { launched: string; result: LaunchResult }) => {
    if (message === "ready") {
      started.isReady = true;
      opened();
      return;
    }
    const id = "settled" in message ? message.settled : message.launched;
    answers.get(id)?.("result" in message ? message.result : undefined);
    answers.delete(id);
  });
  return started;
}

/** Ends the server (it wakes whatever still sleeps, so no shim waits for ever) and removes its folder. */
export function stopServer(): void {
  if (!server) return;
  const { child, directory } = server;
  server = null;
  child.kill("SIGTERM");
  rmSync(directory, { recursive: true, force: true });
}

process.once("exit", stopServer);

/** The door the shims knock on. */
export function serverDoor(): string {
  server ??= start();
  return server.door;
}

function serverDirectory(): string {
  server ??= start();
  return server.directory;
}

/** Tells the server something (`tick <root>`, `forget <root>`). Before it is ready it holds nothing to tell. */
export function tellServer(line: string): void {
  serverDoor();
  const current = server as Server;
  if (!current.isReady) return;
  let fd: number;
  try {
    fd = openSync(current.door, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new Error(`the fake macOS server does not answer: ${error}`);
  }
  try {
    writeSync(fd, `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

let nextAnswer = 0;

/** How a program the server ran for the test side ended. */
export interface LaunchResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Has the server run `program` in the tree `root` as launchd runs a job's, followed like its root shells (so that
 * settling the tree waits for what it leaves behind), and resolves with how it ended.
 */
export async function launchInTree(
  root: string,
  program: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<LaunchResult> {
  return whileAwaited(async (current) => {
    const id = String(++nextAnswer);
    const ended = new Promise<LaunchResult>((resolve) =>
      current.answers.set(id, (result) => resolve(result ?? { exitCode: 70, stdout: "", stderr: "no answer" })),
    );
    tellServer(`launch ${id} ${JSON.stringify({ root, program, args, env })}`);
    return ended;
  });
}

let awaited = 0;

/**
 * Runs `ask` with the server's channel keeping this process alive: unreferenced, a process with nothing else to do
 * (the bench, unlike a test worker) would end while it waits for the answer.
 */
async function whileAwaited<T>(ask: (current: Server) => Promise<T>): Promise<T> {
  serverDoor();
  const current = server as Server;
  if (awaited++ === 0) current.child.channel?.ref();
  try {
    await current.ready;
    return await ask(current);
  } finally {
    if (--awaited === 0) current.child.channel?.unref();
  }
}

/**
 * Asks the server to answer once something holds (`settle <root>`, `asleep <count> <root>`, `capturing <pid> <root>`),
 * and waits for it.
 */
export async function askServer(verb: "settle" | "asleep" | "capturing", rest: string): Promise<void> {
  await whileAwaited(async (current) => {
    const id = String(++nextAnswer);
    const answered = new Promise<void>((resolve) => current.answers.set(id, () => resolve()));
    tellServer(`${verb} ${id} ${rest}`);
    await answered;
  });
}
