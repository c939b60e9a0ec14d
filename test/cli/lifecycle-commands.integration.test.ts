import { existsSync, writeFileSync } from "node:fs";

import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ANCHOR_NAME, LAUNCH_DAEMON_FILE, PRODUCT_ID, STATE_DIRECTORY } from "../../src/lifecycle";
import { createSystemCommands } from "../../src/system/commands";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macSnapshot } from "../fakes/networks";
import { readMacosFixture } from "../network/fixtures";
import { runKillswitch } from "./cli-harness";
import { temporaryDirectory } from "../temporary-directory";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

/** The CLI on the fake Mac: live network commands, pfctl and osascript all from the fake tree. */
const onMac = (argv: string[], cwd = process.cwd()) =>
  runKillswitch(argv, { platform: "darwin", system: mac.system, cwd });

function configDir(settings: unknown): string {
  const dir = temporaryDirectory("killswitch-config-");
  writeFileSync(join(dir, "settings.json"), JSON.stringify(settings));
  return dir;
}

describe("killswitch enable --server-transport", () => {
  it("asks how the VPN reaches a server nothing on the Mac describes, and takes the answer", async () => {
    // The VPN is up (its service connected, as a Network Extension's is), but no socket to its server is
    // listed: nothing says its protocol and port.
    const scutilNcList = readMacosFixture("scutil", "scutil-nc-list_macos-26.5_tailscale19776.txt");
    mac = createFakeMac({
      network: { ...macSnapshot({ wifi: "home", vpn: "utun4" }), netstatSockets: "", scutilNcList },
    });
    const cwd = configDir({ protectFromStartup: false });
    const asked = await onMac(["enable", "--config", "settings.json", "--json"], cwd);
    expect(asked.code).toBe(1);
    expect(JSON.parse(asked.stdout).error).toMatchObject({
      kind: "server-transport",
      nothingChanged: true,
      servers: ["198.51.100.7"],
    });
    expect(mac.prompts()).toHaveLength(0);
    const text = await onMac(["enable", "--config", "settings.json"], cwd);
    expect(text.stderr).toMatch(/^killswitch enable: Confirm the VPN server before the kill switch passes it/);
    const bad = await onMac(["enable", "--server-transport", "198.51.100.7", "--json"], cwd);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ field: "--server-transport", value: "198.51.100.7" });
    const on = await onMac(["enable", "--config", "settings.json", "--server-transport", "198.51.100.7:1194/udp"], cwd);
    expect(on.code).toBe(0);
    expect(mac.readPf().anchors[ANCHOR_NAME].filter).toContain(
      "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)",
    );
    // Kept: the next Enable needs no answer.
    expect((await onMac(["enable", "--config", "settings.json"], cwd)).code).toBe(0);
    expect(mac.prompts()).toHaveLength(2);
  });
});

describe("killswitch enable --confirm-addresses", () => {
  it("refuses (exit 2) a host name the network resolved to a public address until its addresses are given", async () => {
    mac = createFakeMac();
    const cwd = configDir({
      protectFromStartup: false,
      vpnServers: ["198.51.100.7:1194/udp"],
      exceptions: [{ address: "nas.example.net", label: "NAS" }],
    });
    // The VPN is down: the name is looked up through the Wi-Fi's DNS, which answers what it likes.
    const lookup = async (host: string) => (host === "nas.example.net" ? ["93.184.216.34"] : []);
    const run = (argv: string[]) => runKillswitch(argv, { platform: "darwin", system: mac.system, cwd, lookup });
    mac.setNetwork(macSnapshot({ wifi: "home", vpn: null }));
    const asked = await run(["enable", "--config", "settings.json"]);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain(
      'exceptions[0].address: "nas.example.net" resolved outside the VPN to 93.184.216.34: the network\'s DNS may have given any address',
    );
    expect(asked.stderr).toContain("--confirm-addresses nas.example.net=93.184.216.34");
    const json = await run(["enable", "--config", "settings.json", "--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      kind: "confirm-addresses",
      names: [{ field: "exceptions[0].address", host: "nas.example.net", addresses: ["93.184.216.34"] }],
    });
    const bad = await run(["enable", "--config", "settings.json", "--confirm-addresses", "nas.example.net", "--json"]);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ field: "--confirm-addresses", value: "nas.example.net" });
    expect(mac.prompts()).toHaveLength(0);

    const on = await run([
      "enable",
      "--config",
      "settings.json",
      "--confirm-addresses",
      "nas.example.net=93.184.216.34",
    ]);
    expect(on.code).toBe(0);
    expect(mac.readPf().anchors[ANCHOR_NAME].filter).toContain(
      "pass out quick inet from any to 93.184.216.34 flags any keep state",
    );
    // Kept for the next Enable.
    expect((await run(["enable", "--config", "settings.json"])).code).toBe(0);
  });
});

describe("killswitch enable / status / disable", () => {
  it("turns the kill switch on and off with one prompt each, reading the Mac's network", async () => {
    mac = createFakeMac();
    const cwd = configDir({ vpnServers: ["198.51.100.7:1194/udp"], allowLan: true });

    expect((await onMac(["status"])).stdout).toMatch(/^Off: traffic flows normally\./);

    const on = await onMac(["enable", "--config", "settings.json"], cwd);
    expect(on.stderr).toBe("");
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^Kill switch on\. Protected: traffic leaves only through the VPN \(utun4\)\./);
    expect(on.stdout).toContain(`in force in pf anchor ${ANCHOR_NAME}, evaluated first through Apple's anchor point.`);
    expect(on.stdout).toContain("pf is enabled (reference taken).");
    expect(mac.readPf().anchors[ANCHOR_NAME].filter).toContain(
      "pass out quick on en0 inet from any to 192.168.1.0/24 flags any keep state",
    );

    const status = await onMac(["status", "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({
      state: "protected",
      activeTunnel: "utun4",
      untrustedTunnels: [],
    });

    // Another app's tunnel comes up (Tailscale): Status names it as not trusted, and how to trust it.
    mac.setNetwork(macSnapshot({ wifi: "home", vpn: "utun4", moreTunnels: ["utun6"] }));
    const withTailscale = await onMac(["status"]);
    expect(withTailscale.stdout).toContain(
      "Not trusted as the VPN, so blocked like Wi-Fi: utun6. To let one through, add it to Trusted Tunnels (trustedTunnels)",
    );
    expect(JSON.parse((await onMac(["status", "--json"])).stdout).untrustedTunnels).toEqual(["utun6"]);

    const off = await onMac(["disable", "--json"]);
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ ok: true, action: "disable", report: { reference: "released" } });
    expect(mac.readPf().anchors[ANCHOR_NAME]).toBeUndefined();
    expect(mac.prompts()).toHaveLength(2);
  });

  it("says nothing changed when the dialog is cancelled, in text and in JSON", async () => {
    mac = createFakeMac();
    mac.setPasswordDialog("cancel");
    const text = await onMac(["enable"]);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe("killswitch enable: Cancelled: nothing was changed.\n");
    const json = await onMac(["disable", "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: false,
      error: { kind: "cancelled", message: "Cancelled: nothing was changed.", nothingChanged: true },
    });
  });

  it("installs the startup watchdog with Enable, and uninstall removes every trace with one prompt", async () => {
    mac = createFakeMac();
    const cwd = configDir({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: true });
    const on = await onMac(["enable", "--config", "settings.json"], cwd);
    expect(on.code).toBe(0);
    expect(on.stdout).toContain("Protected from startup: a root watchdog loads the rules at boot");
    expect(mac.launchDaemons().map((job) => job.label)).toEqual([PRODUCT_ID]);
    expect((await onMac(["status"])).stdout).toContain("Protected from startup by the root watchdog.");
    // What the watchdog wrote is shown with its control characters escaped, never acting on the terminal.
    const now = Math.floor(mac.now().getTime() / 1000);
    writeFileSync(
      join(mac.stateDirectory, "watchdog.json"),
      JSON.stringify({
        version: 1,
        checkedAt: now + 1,
        bootTime: 1_700_000_000,
        result: "failed",
        message: "pf: \u001b[2Jno\nway",
      }),
    );
    const escaped = (await onMac(["status"])).stdout;
    expect(escaped).toContain("pf: \\u001b[2Jno\\nway");
    // eslint-disable-next-line no-control-regex -- no control character but the line ends reaches the terminal
    expect(escaped).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);

    const removed = await onMac(["uninstall"]);
    expect(removed.stderr).toBe("");
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/^Kill switch uninstalled: its rules, its startup watchdog and its files are gone/);
    expect(removed.stdout).toContain(`Removed ${LAUNCH_DAEMON_FILE}`);
    expect(removed.stdout).toContain(`Removed ${STATE_DIRECTORY}`);
    expect(mac.launchDaemons()).toEqual([]);
    expect(existsSync(mac.stateDirectory)).toBe(false);
    expect(mac.readPf().anchors[ANCHOR_NAME]).toBeUndefined();
    expect(mac.prompts()).toHaveLength(2);
  });

  it("refuses to change a firewall that is not a Mac's", async () => {
    const run = await runKillswitch(["enable"], { system: createSystemCommands() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("enable changes the pf firewall of a Mac; this system is linux.");
  });

  it("lists the commands in the help", async () => {
    const run = await runKillswitch(["help"]);
    expect(run.stdout).toMatch(/enable +turn the kill switch on/);
    expect(run.stdout).toMatch(/disable +turn the kill switch off/);
    expect(run.stdout).toMatch(/status +show whether traffic is protected/);
    expect(run.stdout).toMatch(/uninstall +remove the kill switch and its startup watchdog/);
  });
});
