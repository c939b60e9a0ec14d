/**
 * killswitch status --watch on the fake Mac: the live line follows the kill switch as the network changes, and
 * stops on Ctrl-C or after --count readings. The waits and Ctrl-C are the test's: nothing is timed.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io";
import { userSettingsPath } from "../../src/settings/settings-file";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macSnapshot } from "../fakes/networks";
import { temporaryDirectory } from "../temporary-directory";
import { bundleKillswitch, runKillswitch } from "./cli-harness";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const NOW = new Date("2026-11-22T12:00:00Z");
const TIME = NOW.toTimeString().slice(0, 8);

/** The fake Mac (with the kill switch on unless `on` is false), and a CLI run on it with `overrides`. */
async function enabledMac(on = true) {
  mac = createFakeMac();
  const home = temporaryDirectory("cli-watch-");
  mkdirSync(dirname(userSettingsPath(home)), { recursive: true });
  writeFileSync(
    userSettingsPath(home),
    JSON.stringify({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false }),
  );
  const run = (argv: string[], overrides: Partial<CliIo> = {}) =>
    runKillswitch(argv, { platform: "darwin", system: mac.system, env: { HOME: home }, now: () => NOW, ...overrides });
  if (on) expect((await run(["enable"])).code).toBe(0);
  const headline = async () => JSON.parse((await run(["status", "--json"])).stdout).headline as string;
  return { run, headline };
}

describe("killswitch status --watch", () => {
  it("prints a line when what it says changes, and stops on Ctrl-C", async () => {
    const { run, headline } = await enabledMac();
    const protectedLine = await headline();
    const waits: number[] = [];
    let interrupt: (() => void) | null = null;
    let subscribed = 0;
    const watching = run(["status", "--watch", "--interval", "2"], {
      onInterrupt: (listener) => {
        subscribed += 1;
        interrupt = listener;
        return () => void (subscribed -= 1);
      },
      wait: async (ms) => {
        waits.push(ms);
        // The VPN drops after the first reading; nothing changes after the second; then Ctrl-C.
        if (waits.length === 1) mac.setNetwork(macSnapshot({ wifi: "home", vpn: null }));
        if (waits.length === 3) interrupt?.();
      },
    });
    const watched = await watching;
    mac.setNetwork(macSnapshot({ wifi: "home", vpn: null }));
    const blockingLine = await headline();
    expect(blockingLine).not.toBe(protectedLine);
    expect(watched).toEqual({
      code: 0,
      stdout: `${TIME}  ${protectedLine}\n${TIME}  ${blockingLine}\n`,
      stderr: "",
    });
    expect(waits).toEqual([2000, 2000, 2000]);
    expect(subscribed).toBe(0);
  });

  it("rewrites one line in a terminal, and stops after --count readings", async () => {
    const { run, headline } = await enabledMac(false);
    const line = `\r\u001b[2K${TIME}  ${await headline()}`;
    const waits: number[] = [];
    const watched = await run(["status", "--watch", "--count", "3"], {
      stdoutIsTerminal: true,
      wait: async (ms) => void waits.push(ms),
    });
    expect(watched).toEqual({ code: 0, stdout: `${line}${line}${line}\n`, stderr: "" });
    expect(waits).toEqual([5000, 5000]);
  });

  it("prints one JSON object a line with --json", async () => {
    const { run } = await enabledMac(false);
    const watched = await run(["status", "--watch", "--json", "--count", "2"], { wait: async () => undefined });
    const lines = watched.stdout.trimEnd().split("\n");
    // The same both times: printed once.
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      checkedAt: NOW.toISOString(),
      state: "off",
      captivePortalUntil: null,
      untrustedTunnels: [],
    });
  });

  it("ends at once on a real Ctrl-C, in the middle of a long wait, with exit status 0", async () => {
    const dir = temporaryDirectory("cli-watch-process-");
    const cli = bundleKillswitch(dir);
    // A stand-in tree with no kill switch in it: Off, read without a Mac.
    const child = spawn(process.execPath, [cli, "status", "--watch", "--interval", "3600"], {
      env: { PATH: process.env.PATH, HOME: dir, KILLSWITCH_SYSTEM_ROOT: dir },
    });
    let stdout = "";
    const firstLine = new Promise<void>((printed) =>
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes("\n")) printed();
      }),
    );
    const ended = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
    await firstLine;
    child.kill("SIGINT");
    expect(await ended).toBe(0);
    expect(stdout).toMatch(/^\d\d:\d\d:\d\d {2}Off/);
  });

  it.each([
    [["--watch", "--interval", "0"], "--interval", "0", '--interval: "0" is not a whole number from 1 to 3600'],
    [["--watch", "--count", "x"], "--count", "x", '--count: "x" is not a whole number from 1 to 1000000'],
    [["--interval", "5"], "--interval", "5", "--interval goes with --watch"],
  ])("refuses %j naming the option and its value", async (argv, field, value, message) => {
    const run = await runKillswitch(["status", ...argv, "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error).toEqual({ field, value, message });
  });
});
