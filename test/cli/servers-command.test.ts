/** killswitch servers and portal off a Mac: the settings file's VPN servers, and bad input refused by name. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { userSettingsPath } from "../../src/settings/settings-file";
import { createSystemCommands } from "../../src/system/commands";
import { temporaryDirectory } from "../temporary-directory";
import { runKillswitch } from "./cli-harness";

function user(settings: Record<string, unknown> | null = null) {
  const home = temporaryDirectory("cli-servers-");
  const path = userSettingsPath(home);
  if (settings) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(settings));
  }
  return {
    path,
    // Not a Mac: nothing to apply a change to, no network or records of its own.
    run: (argv: string[]) => runKillswitch(argv, { env: { HOME: home }, system: createSystemCommands() }),
    file: () => (existsSync(path) ? readFileSync(path, "utf8") : null),
    servers: () => JSON.parse(readFileSync(path, "utf8")).vpnServers as string[],
  };
}

describe("killswitch servers", () => {
  it("shows the settings' servers, and adds, removes and sets them in the settings file", async () => {
    const ana = user({ allowLan: true });
    expect((await ana.run(["servers"])).stdout).toBe(
      `VPN servers in the settings (${ana.path}): none\n(Not a Mac: the servers a VPN connection proves, and Enable's records, are read on the Mac itself.)\n`,
    );
    const add = await ana.run(["servers", "add", "198.51.100.7:1194/udp", "vpn.example.com/ikev2"]);
    expect(add).toMatchObject({ code: 0, stderr: "" });
    expect(add.stdout).toBe(
      `VPN servers in the settings: 198.51.100.7:1194/udp, vpn.example.com/ikev2 (${ana.path}).\nThe kill switch is off: it applies at the next \`killswitch enable\`.\n`,
    );
    // Added again: kept once.
    await ana.run(["servers", "add", "198.51.100.7:1194/udp"]);
    expect(ana.servers()).toEqual(["198.51.100.7:1194/udp", "vpn.example.com/ikev2"]);
    expect((await ana.run(["servers", "remove", "vpn.example.com/ikev2"])).code).toBe(0);
    expect(ana.servers()).toEqual(["198.51.100.7:1194/udp"]);
    const set = JSON.parse((await ana.run(["servers", "set", "[2001:db8::7]:443/tcp", "--json"])).stdout);
    expect(set).toEqual({ ok: true, file: ana.path, settings: ["[2001:db8::7]:443/tcp"], warnings: [], applied: null });
    expect((await ana.run(["servers", "set", "--none"])).code).toBe(0);
    expect(ana.servers()).toEqual([]);
    expect(JSON.parse(ana.file() ?? "{}").allowLan).toBe(true);
    expect(JSON.parse((await ana.run(["servers", "--json"])).stdout)).toEqual({
      file: ana.path,
      settings: [],
      passed: null,
      recorded: null,
      questions: null,
    });
  });

  it.each([
    [
      ["servers", "add", "vpn example"],
      "SERVER",
      '"vpn example"',
      'SERVER: "vpn example" is not an IP address, IP:port/proto, IP/ikev2, or host name',
    ],
    [
      ["servers", "remove", "203.0.113.9"],
      "SERVER",
      '"203.0.113.9"',
      '"203.0.113.9" is not one of the servers in the settings (198.51.100.7:1194/udp)',
    ],
    [["servers", "set"], null, null, "servers set needs at least one SERVER (or --none)"],
    [["servers", "set", "198.51.100.8", "--none"], "--none", null, "give SERVER... or --none, not both"],
    [["servers", "add", "--none"], "--none", null, "Unknown option '--none'"],
    [
      ["servers", "answer", "198.51.100.7"],
      "ANSWER",
      "198.51.100.7",
      'ANSWER: "198.51.100.7" is not IP:port/proto, IP:port, IP/ikev2 or IP/none',
    ],
    [["servers", "drop"], null, "drop", '"drop" is not one of add, remove, set, answer (killswitch help servers)'],
    [["portal", "3m"], "WINDOW", "3m", '"3m" is not one of 2m, 5m: how long to open the window, or close'],
    [["portal"], "WINDOW", null, "needs one of 2m, 5m: how long to open the window, or close"],
  ] as [string[], string | null, string | null, string][])(
    "refuses %j naming what is wrong, and changes nothing",
    async (argv, field, value, message) => {
      const ana = user({ vpnServers: ["198.51.100.7:1194/udp"] });
      const before = ana.file();
      const json = await ana.run([...argv, "--json"]);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout).error).toMatchObject({ field, value, message });
      const text = await ana.run(argv);
      expect(text.code).toBe(2);
      expect(text.stderr).toBe(`killswitch ${argv[0]}: ${message}\n`);
      expect(ana.file()).toBe(before);
    },
  );

  it("opens a captive portal window only on a Mac", async () => {
    const run = await runKillswitch(["portal", "2m"], { system: createSystemCommands() });
    expect(run).toMatchObject({
      code: 2,
      stderr: "killswitch portal: portal changes the pf firewall of a Mac; this system is linux.\n",
    });
  });
});
