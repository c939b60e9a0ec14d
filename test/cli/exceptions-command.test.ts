/**
 * killswitch exceptions off a Mac: the user's settings file changed with Add Exception's checks. Bad input names
 * the option and its value and changes nothing. (On the fake Mac, with the kill switch on: the integration test.)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { userSettingsPath } from "../../src/settings/settings-file";
import { createSystemCommands } from "../../src/system/commands";
import { temporaryDirectory } from "../temporary-directory";
import { runKillswitch } from "./cli-harness";

const HOME_NETWORK = "gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24";
const NOW = new Date("2026-11-22T12:00:00Z");

/** A fresh user with `settings` in their settings file (none when null). */
function user(settings: Record<string, unknown> | null = null) {
  const home = temporaryDirectory("cli-exceptions-");
  const path = userSettingsPath(home);
  if (settings) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(settings));
  }
  const lookup = async (host: string) => {
    if (host === "nas.example.net") return ["192.168.1.40"];
    if (host === "cloud.example.net") return ["93.184.216.34"];
    throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  };
  return {
    home,
    path,
    // Not a Mac: no kill switch to apply a change to, no network of its own.
    run: (argv: string[]) =>
      runKillswitch(["exceptions", ...argv], {
        env: { HOME: home },
        system: createSystemCommands(),
        lookup,
        now: () => NOW,
      }),
    file: () => (existsSync(path) ? readFileSync(path, "utf8") : null),
    exceptions: () => (JSON.parse(readFileSync(path, "utf8")).exceptions ?? []) as Record<string, unknown>[],
  };
}

describe("killswitch exceptions", () => {
  it("adds with Add Exception's fields, lists, edits, disables, enables and removes, each saved at once", async () => {
    const ana = user({ allowLan: true });
    const add = await ana.run(["add", "192.168.1.20", "--protocol", "tcp", "--port", "631", "--label", "Printer"]);
    expect(add).toMatchObject({ code: 0, stderr: "" });
    const [printer] = ana.exceptions();
    expect(printer).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      address: "192.168.1.20",
      protocol: "tcp",
      port: "631",
      scope: "all",
      label: "Printer",
      expiresAt: null,
      enabled: true,
    });
    const id = String(printer.id).slice(0, 8);
    expect(add.stdout).toBe(
      `Exception added: Printer: 192.168.1.20, TCP 631, all networks [${id}] (${ana.path}).\nThe kill switch is off: it applies at the next \`killswitch enable\`.\n`,
    );
    // The file's other settings stay as they were.
    expect(JSON.parse(ana.file() ?? "{}").allowLan).toBe(true);

    expect((await ana.run(["add", "nas.example.net", "--expires", "1h", "--scope", HOME_NETWORK])).code).toBe(0);
    const list = await ana.run(["list"]);
    expect(list.stdout).toBe(
      [
        `Exceptions in ${ana.path}:`,
        `  ${id}  Printer: 192.168.1.20, TCP 631, all networks`,
        `  ${String(ana.exceptions()[1].id).slice(0, 8)}  nas.example.net, All traffic, network 192.168.1.0/24 via 192.168.1.1 (expires in 1 h)`,
        "",
      ].join("\n"),
    );

    const edit = await ana.run(["edit", id, "--port", "631,9100", "--label", "Office printer"]);
    expect(edit.code).toBe(0);
    expect(ana.exceptions()[0]).toMatchObject({ id: printer.id, port: "631,9100", label: "Office printer" });
    expect((await ana.run(["edit", id, "--port", "all"])).code).toBe(0);
    expect(ana.exceptions()[0].port).toBeUndefined();

    expect((await ana.run(["disable", id])).code).toBe(0);
    expect(ana.exceptions()[0].enabled).toBe(false);
    expect((await ana.run(["list"])).stdout).toContain("Office printer: 192.168.1.20, TCP, all networks (off)");
    expect((await ana.run(["enable", id, "--json"])).code).toBe(0);
    expect(ana.exceptions()[0].enabled).toBe(true);

    const removed = await ana.run(["remove", String(printer.id), "--json"]);
    expect(JSON.parse(removed.stdout)).toMatchObject({
      ok: true,
      file: ana.path,
      removed: true,
      exception: { id: printer.id },
      applied: null,
    });
    expect(ana.exceptions().map((e) => e.address)).toEqual(["nas.example.net"]);
  });

  it("prints the list and each change as JSON", async () => {
    const ana = user();
    const added = JSON.parse((await ana.run(["add", "10.1.0.0/16", "--wide", "--json"])).stdout);
    expect(added).toEqual({
      ok: true,
      file: ana.path,
      exception: expect.objectContaining({ address: "10.1.0.0/16", wide: true, enabled: true }),
      warnings: [],
      applied: null,
    });
    expect(JSON.parse((await ana.run(["list", "--json"])).stdout)).toEqual({
      file: ana.path,
      network: null,
      exceptions: [{ ...added.exception, expired: false, appliesNow: null }],
    });
  });

  it("shows an empty list for a user with no settings file yet", async () => {
    const ana = user();
    expect((await ana.run(["list"])).stdout).toBe(
      `Exceptions in ${ana.path} (none yet):\n  none: everything outside the VPN is blocked while the kill switch is on.\n`,
    );
    expect(ana.file()).toBeNull();
  });

  it.each([
    [
      ["add", "printer!!"],
      "TARGET",
      '"printer!!"',
      'TARGET: "printer!!" is not an IPv4/IPv6 address, CIDR network or host name',
    ],
    [
      ["add", "192.168.1.20", "--protocol", "icmp"],
      "--protocol",
      '"icmp"',
      '--protocol: "icmp" is not one of: tcp, udp, any',
    ],
    [
      ["add", "192.168.1.20", "--port", "99999"],
      "--port",
      '"99999"',
      '--port: "99999" is not a port (1-65535), a list (80,443) or a range (8000-8080)',
    ],
    [
      ["add", "192.168.1.20", "--expires", "2h"],
      "--expires",
      '"2h"',
      '--expires: "2h" is not one of: never, 1h (in 1 hour), 1d (in 1 day)',
    ],
    [
      ["add", "192.168.1.20", "--label", "x".repeat(61)],
      "--label",
      `"${"x".repeat(61)}"`,
      "--label: Keep the label under 60 characters",
    ],
    [
      ["add", "192.168.1.20", "--scope", "home"],
      "--scope",
      '"home"',
      '--scope: "home" is not "all" or a network identity such as gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24 (preview prints this network\'s)',
    ],
    [
      ["add", "93.184.216.34", "--scope", HOME_NETWORK],
      "TARGET",
      '"93.184.216.34"',
      'TARGET: "93.184.216.34" is a public address: an exception for one network passes only private and link-local addresses on that network\'s link; to pass it, use All Networks (scope "all")',
    ],
    [
      ["add", "cloud.example.net", "--scope", HOME_NETWORK],
      "TARGET",
      '"cloud.example.net"',
      'TARGET: "cloud.example.net" resolves to 93.184.216.34, a public address: an exception for one network passes only private and link-local addresses; to pass it, use All Networks',
    ],
    [
      ["add", "nowhere.example.net"],
      "TARGET",
      '"nowhere.example.net"',
      'TARGET: "nowhere.example.net" could not be resolved (ENOTFOUND)',
    ],
    [
      ["add", "10.1.0.0/16"],
      "TARGET",
      '"10.1.0.0/16"',
      "TARGET: 10.1.0.0/16 is wider than a home or office subnet: traffic to all 65,536 addresses leaves outside the tunnel, where the network can see it. To allow it, add --wide.",
    ],
    [["add", "0.0.0.0/0", "--wide"], "TARGET", '"0.0.0.0/0"', /^TARGET: "0\.0\.0\.0\/0" /],
    [["add", "192.168.1.20", "--here", "--scope", "all"], "--scope", "all", "give --here or --scope, not both"],
    [["add"], null, null, "exceptions add needs TARGET: an IP address, a CIDR network or a host name"],
    [
      ["add", "192.168.1.20", "192.168.1.21"],
      "TARGET",
      "192.168.1.21",
      'exceptions add takes one TARGET, not 2: "192.168.1.20" "192.168.1.21"',
    ],
    [
      ["edit", "nope", "--label", "x"],
      "ID",
      "nope",
      '"nope" is the id of no exception (killswitch exceptions list shows them)',
    ],
    [
      ["edit", "printer", "--target", "printer!!"],
      "--target",
      '"printer!!"',
      '--target: "printer!!" is not an IPv4/IPv6 address, CIDR network or host name',
    ],
    [
      ["remove", "p"],
      "ID",
      "p",
      '"p" starts the ids of 2 exceptions (printer, plotter): give more of it (killswitch exceptions list shows them)',
    ],
    [["enable"], null, null, "exceptions enable needs ID: an exception's id, as `killswitch exceptions list` shows it"],
    [
      ["rename", "p"],
      null,
      "rename",
      '"rename" is not one of list, add, edit, remove, enable, disable (killswitch help exceptions)',
    ],
    [[], null, null, "needs one of list, add, edit, remove, enable, disable (killswitch help exceptions)"],
  ] as [string[], string | null, string | null, string | RegExp][])(
    "refuses %j naming the option and its value, and changes nothing",
    async (argv, field, value, message) => {
      const ana = user({
        exceptions: [
          { id: "printer", address: "192.168.1.20", protocol: "tcp", port: 631 },
          { id: "plotter", address: "192.168.1.21" },
        ],
      });
      const before = ana.file();
      const json = await ana.run([...argv, "--json"]);
      expect(json.code).toBe(2);
      const error = JSON.parse(json.stdout).error;
      expect(error).toMatchObject({ field, value });
      if (typeof message === "string") expect(error.message).toBe(message);
      else expect(error.message).toMatch(message);
      const text = await ana.run(argv);
      expect(text).toMatchObject({ code: 2, stdout: "" });
      expect(text.stderr.startsWith("killswitch exceptions: ")).toBe(true);
      expect(ana.file()).toBe(before);
    },
  );

  it("refuses an exception that would take the public space over the cap, naming it", async () => {
    const ana = user({ exceptions: [{ address: "93.0.0.0/8", wide: true }] });
    const before = ana.file();
    const run = await ana.run(["add", "203.0.0.0/16", "--wide"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^killswitch exceptions: TARGET: "203\.0\.0\.0\/16" /);
    expect(ana.file()).toBe(before);
    // The same check when a disabled one is enabled again.
    const off = user({
      exceptions: [
        { id: "a", address: "93.0.0.0/8", wide: true },
        { id: "b", address: "203.0.0.0/16", wide: true, enabled: false },
      ],
    });
    const again = await off.run(["enable", "b"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^killswitch exceptions: "203\.0\.0\.0\/16" /);
  });

  it("names a corrupt settings file and changes nothing in it", async () => {
    const ana = user();
    mkdirSync(dirname(ana.path), { recursive: true });
    writeFileSync(ana.path, '{ "exceptions": [');
    for (const argv of [["list"], ["add", "192.168.1.20"]]) {
      const run = await ana.run(argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(
          `^killswitch exceptions: settings file ${ana.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not valid JSON`,
        ),
      );
    }
    expect(ana.file()).toBe('{ "exceptions": [');
  });

  it("changes the file --config names instead of the user's", async () => {
    const ana = user();
    const dir = temporaryDirectory("cli-config-");
    writeFileSync(join(dir, "work.json"), JSON.stringify({ vpnServers: ["198.51.100.7:1194/udp"] }));
    const run = await runKillswitch(["exceptions", "add", "192.168.1.20", "--config", "work.json"], {
      env: { HOME: ana.home },
      cwd: dir,
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "work.json"), "utf8"))).toMatchObject({
      vpnServers: ["198.51.100.7:1194/udp"],
      exceptions: [{ address: "192.168.1.20" }],
    });
    expect(ana.file()).toBeNull();
  });
});
