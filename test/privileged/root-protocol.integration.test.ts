import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ANCHOR_NAME, PRODUCT_ID } from "../../src/privileged/paths";
import { ROOT_EXIT, parseRootReport, rootCommand } from "../../src/privileged/root-protocol";
import { loadRootScript } from "../../src/privileged/root-script-loader";

const ROOT_SCRIPT = loadRootScript();
import { runAsRoot } from "../../src/privileged/runner";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => e,
  );

describe("rootCommand", () => {
  it("passes the action, the system root and each value as its own argument", () => {
    mac = createFakeMac();
    const command = rootCommand(mac.system, {
      action: "enable",
      rules: "block drop in log (user) quick all\n",
      tunnels: ["utun4"],
      kills: [{ source: "192.168.1.23", destination: "0.0.0.0/1" }],
    });
    expect(command.script).toBe(ROOT_SCRIPT);
    expect(command.args).toEqual([
      "enable",
      mac.root,
      "--rules",
      "block drop in log (user) quick all\n",
      "--tunnel",
      "utun4",
      "--kill",
      "192.168.1.23",
      "0.0.0.0/1",
    ]);
  });

  it("refuses values that are not what they claim to be", () => {
    mac = createFakeMac();
    expect(() => rootCommand(mac.system, { action: "enable", rules: "no newline" })).toThrow(/newline/);
    expect(() => rootCommand(mac.system, { action: "enable", tunnels: ["utun4; reboot"] })).toThrow(/tunnel/);
    expect(() => rootCommand(mac.system, { action: "enable", servers: ["vpn.example.com"] })).toThrow(/VPN server/);
    expect(() => rootCommand(mac.system, { action: "enable", kills: [{ source: "-F", destination: "all" }] })).toThrow(
      /address/,
    );
  });
});

describe("parseRootReport", () => {
  it("reads the sections, with CR line endings too", () => {
    const report = parseRootReport(
      "@@ result\raction=enable\rattachment=com.apple\rreference=taken\rkilled=3\r@@ warnings\r@@ anchor\rpass quick on lo0 all\r@@ info\rStatus: Enabled for 0 days 00:00:01           Debug: Urgent\r@@ references\r@@ end\n",
    );
    expect(report).toEqual({
      action: "enable",
      attachment: "com.apple",
      reference: "taken",
      killedStates: 3,
      warnings: [],
      anchorRules: ["pass quick on lo0 all"],
      pfInfo: ["Status: Enabled for 0 days 00:00:01           Debug: Urgent"],
      references: [],
      watchdog: "none",
      captivePortalUntil: null,
      removed: [],
      skippedInterfaces: [],
      translationPassing: 0,
    });
  });

  it("reads what lets traffic past the rules: the interfaces pf skips, the translation rules that still pass", () => {
    const report = parseRootReport(
      "@@ result\naction=apply\nskipped=en0, bridge100, not a name\ntranslationPassing=2\n@@ warnings\n@@ end\n",
    );
    expect(report).toMatchObject({ skippedInterfaces: ["en0", "bridge100"], translationPassing: 2 });
  });

  it("reads the watchdog, the captive portal window and what uninstall removed", () => {
    const report = parseRootReport(
      "@@ result\naction=uninstall\nattachment=none\nreference=released\nkilled=0\nwatchdog=removed\ncaptivePortalUntil=1700000300\n@@ warnings\n@@ removed\n/Library/LaunchDaemons/x.plist\n@@ end\n",
    );
    expect(report).toMatchObject({
      action: "uninstall",
      watchdog: "removed",
      captivePortalUntil: 1_700_000_300,
      removed: ["/Library/LaunchDaemons/x.plist"],
    });
  });
});

describe("the root script's own checks", () => {
  it("reports pfctl's words when the rules do not parse, and loads nothing", async () => {
    mac = createFakeMac();
    const command = rootCommand(mac.system, { action: "enable", rules: "pass quick on lo0 all\nmatch out all\n" });
    const error = await failure(runAsRoot(mac.system, command));
    expect(error).toMatchObject({ failure: "script-failed", exitStatus: ROOT_EXIT.rulesRejected });
    expect((error as { output: string }).output).toMatch(
      /anchor\.pf:2: syntax error\npfctl: Syntax error in config file: pf rules not loaded$/,
    );
    expect(mac.readPf().anchors[ANCHOR_NAME]).toBeUndefined();
    expect(mac.pfctlCalls().every((args) => args.includes("-n"))).toBe(true);
  });

  it("checks every value again, whatever the caller sent", async () => {
    mac = createFakeMac();
    for (const args of [
      ["enable", mac.root, "--rules", "block drop in log (user) quick all\n", "--tunnel", "utun4;reboot"],
      ["enable", mac.root, "--rules", "block drop in log (user) quick all\n", "--kill", "-F", "all"],
      ["enable", mac.root, "--rules", "no newline"],
      ["enable", mac.root, "--rules", "block drop in log (user) quick all\n", "--server", '198.51.100.7","x'],
      ["enable", mac.root, "--rules", "block drop in log (user) quick all\n", "--server", "198.51.100.7 1194"],
      ["enable", "relative/root", "--rules", "block drop in log (user) quick all\n"],
      ["enable", "/tmp/../etc", "--rules", "block drop in log (user) quick all\n"],
      ["halt", mac.root],
    ]) {
      const error = await failure(runAsRoot(mac.system, { script: ROOT_SCRIPT, name: "killswitch-root", args }));
      expect(error, args.join(" ")).toMatchObject({ exitStatus: ROOT_EXIT.badArguments });
    }
    expect(mac.pfctlCalls()).toEqual([]);
  });

  it("records the VPN servers it is given with their evidence, IPv6 in brackets too, and the watchdog keeps them", async () => {
    mac = createFakeMac();
    const servers = [
      "198.51.100.7:1194/udp@process",
      "[2001:db8::7]:51820/udp@user",
      "203.0.113.9/ikev2@user",
      "93.184.216.34@declined",
    ];
    const rules = "block return out log (user) quick all\nblock drop in log (user) quick all\n";
    await runAsRoot(mac.system, rootCommand(mac.system, { action: "enable", rules, servers, startup: true }));
    const recorded = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8"));
    expect(recorded().servers).toEqual(servers);
    mac.writePf({ ...mac.readPf(), anchors: {} }); // something for the watchdog to repair, so it writes state.json
    const run = await mac.runLaunchDaemon(PRODUCT_ID);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(`${mac.stateDirectory}/watchdog.json`, "utf8")).result).toBe("repaired");
    expect(recorded().servers).toEqual(servers);
  });

  it("refuses a server without its evidence, on both sides: it would read back as taken from a route", async () => {
    mac = createFakeMac();
    const rules = "block drop in log (user) quick all\n";
    expect(() => rootCommand(mac.system, { action: "enable", rules, servers: ["198.51.100.7:1194/udp"] })).toThrow(
      'not a VPN server with its evidence: "198.51.100.7:1194/udp"',
    );
    const command = rootCommand(mac.system, { action: "enable", rules, servers: ["198.51.100.7@user"] });
    const args = command.args.map((arg) => (arg === "198.51.100.7@user" ? "198.51.100.7:1194/udp" : arg));
    const error = await failure(runAsRoot(mac.system, { ...command, args }));
    expect(error).toMatchObject({ exitStatus: ROOT_EXIT.badArguments });
  });

  it("will not use a state directory that is a symbolic link", async () => {
    mac = createFakeMac();
    mkdirSync(`${mac.root}/elsewhere`);
    symlinkSync(`${mac.root}/elsewhere`, mac.stateDirectory);
    const command = rootCommand(mac.system, { action: "enable", rules: "block drop in log (user) quick all\n" });
    const error = await failure(runAsRoot(mac.system, command));
    expect(error).toMatchObject({ exitStatus: ROOT_EXIT.unsafeStateDirectory });
    expect(mac.readPf().anchors[ANCHOR_NAME]).toBeUndefined();
  });
});
