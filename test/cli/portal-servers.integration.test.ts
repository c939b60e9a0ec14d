/**
 * killswitch portal and servers on the fake Mac: the captive portal window and the VPN servers as the Raycast
 * menu bar and Set VPN Server Protocol give them, each change with one prompt while the kill switch is on.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ANCHOR_NAME } from "../../src/lifecycle";
import { userSettingsPath } from "../../src/settings/settings-file";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macSnapshot } from "../fakes/networks";
import { readMacosFixture } from "../network/fixtures";
import { temporaryDirectory } from "../temporary-directory";
import { runKillswitch } from "./cli-harness";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const WEB = "pass out quick proto tcp from any to any port { 80, 443 } flags any keep state";

function user(settings: Record<string, unknown>) {
  const home = temporaryDirectory("cli-mac-user-");
  const path = userSettingsPath(home);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(settings));
  return {
    path,
    // The fake Mac's clock: the root timer that closes the window keeps it.
    run: (argv: string[]) =>
      runKillswitch(argv, { platform: "darwin", system: mac.system, env: { HOME: home }, now: () => mac.now() }),
    settings: () => JSON.parse(readFileSync(path, "utf8")),
  };
}

const rules = () => (mac.readPf().anchors[ANCHOR_NAME]?.filter ?? []).join("\n");

describe("killswitch portal", () => {
  it("opens the window for the sign-in page with one prompt, keeping connections, and a root timer closes it", async () => {
    mac = createFakeMac({ network: macSnapshot({ wifi: "cafe", vpn: null }) });
    const ana = user({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false });
    const off = await ana.run(["portal", "2m"]);
    expect(off).toMatchObject({
      code: 0,
      stdout: "The kill switch is off: nothing blocks the sign-in page, so no window was opened.\n",
    });
    expect((await ana.run(["enable"])).code).toBe(0);
    expect(rules()).not.toContain(WEB);

    const until = new Date(Math.floor(mac.now().getTime() / 1000) * 1000 + 120_000);
    const open = await ana.run(["portal", "2m", "--json"]);
    expect(open.code).toBe(0);
    expect(JSON.parse(open.stdout)).toMatchObject({
      ok: true,
      action: "apply",
      report: { killedStates: 0 },
      status: { captivePortalUntil: until.toISOString() },
    });
    expect(rules()).toContain(WEB);
    expect(mac.prompts()).toHaveLength(2);

    await mac.advanceClock(120);
    expect(rules()).not.toContain(WEB);
  });

  it("closes an open window at once with portal close, and says when none is open", async () => {
    mac = createFakeMac({ network: macSnapshot({ wifi: "cafe", vpn: null }) });
    const ana = user({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false });
    expect((await ana.run(["enable"])).code).toBe(0);
    expect(await ana.run(["portal", "close"])).toMatchObject({
      code: 0,
      stdout: "No captive portal window is open: nothing to close.\n",
    });
    expect((await ana.run(["portal", "5m"])).code).toBe(0);
    expect(rules()).toContain(WEB);
    const closed = await ana.run(["portal", "close", "--json"]);
    expect(closed.code).toBe(0);
    expect(JSON.parse(closed.stdout)).toMatchObject({
      ok: true,
      action: "apply",
      status: { captivePortalUntil: null },
    });
    expect(rules()).not.toContain(WEB);
    expect(mac.prompts()).toHaveLength(3);
  });
});

describe("killswitch servers", () => {
  it("shows the servers, asks about one nothing describes, and takes the answer with one prompt", async () => {
    // The VPN is up (its service connected), but no socket to its server says the protocol and port.
    const scutilNcList = readMacosFixture("scutil", "scutil-nc-list_macos-26.5_tailscale19776.txt");
    mac = createFakeMac({
      network: { ...macSnapshot({ wifi: "home", vpn: "utun4" }), netstatSockets: "", scutilNcList },
    });
    const ana = user({ protectFromStartup: false });
    const shown = await ana.run(["servers"]);
    expect(shown.stdout).toBe(
      [
        `VPN servers in the settings (${ana.path}): none`,
        "Passed besides, found on this Mac or answered for: none",
        "Recorded by the last Enable: none",
        "Enable asks about these before passing them:",
        "  198.51.100.7 (named by a host route; no connection open to it)",
        "    killswitch servers answer 198.51.100.7:PORT/udp (or /tcp), 198.51.100.7/ikev2, or 198.51.100.7/none",
        "",
      ].join("\n"),
    );
    expect(JSON.parse((await ana.run(["servers", "--json"])).stdout).questions).toEqual([
      { address: "198.51.100.7", seen: "198.51.100.7 (named by a host route; no connection open to it)" },
    ]);

    const answered = await ana.run(["servers", "answer", "198.51.100.7:1194/udp"]);
    expect(answered).toMatchObject({ code: 0, stderr: "" });
    expect(answered.stdout).toMatch(/^Kill switch on\./);
    expect(rules()).toContain("pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)");
    expect(mac.prompts()).toHaveLength(1);

    const after = await ana.run(["servers"]);
    expect(after.stdout).toContain("Recorded by the last Enable: 198.51.100.7:1194/udp (your answer)");
    expect(after.stdout).toContain("Passed besides, found on this Mac or answered for: 198.51.100.7:1194/udp");
    expect(after.stdout).toContain("Enable asks about no server.");
  });

  it("applies a changed server at once while the kill switch is on, with one prompt", async () => {
    mac = createFakeMac();
    const ana = user({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false });
    expect((await ana.run(["enable"])).code).toBe(0);
    const add = await ana.run(["servers", "add", "203.0.113.9:51820/udp"]);
    expect(add).toMatchObject({ code: 0, stderr: "" });
    expect(add.stdout).toContain("Kill switch rules reloaded.");
    expect(rules()).toContain("to 203.0.113.9 port 51820");
    expect(ana.settings().vpnServers).toEqual(["198.51.100.7:1194/udp", "203.0.113.9:51820/udp"]);
    expect(mac.prompts()).toHaveLength(2);
  });
});
