/**
 * Enable's outcomes as a user sees them, as text: every HUD, toast and alert it shows, for each state the rules can
 * end in, each refusal and question, and each note the lifecycle can return (all of them reach the screen).
 */
import { readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { KillSwitchError, NameConfirmationError, ServerTransportError } from "../../src/lifecycle";
import type { KillSwitchChange } from "../../src/lifecycle";
import { noServerToKeep } from "../../src/lifecycle/actions";
import { describeFromRecord } from "../../src/lifecycle/resolution";
import { KILL_SWITCH_STATES } from "../../src/raycast/models/kill-switch-state";
import { touchIdForSudo } from "../../src/privileged/runner";
import { trustWarnings } from "../../src/policy/warnings";
import { DEFAULT_SETTINGS } from "../../src/policy/settings";
import { createSystemCommands } from "../../src/system/commands";
import enableCommand from "../../src/enable-kill-switch";
import disableCommand from "../../src/disable-kill-switch";
import { LocalStorage, raycast, resetRaycast } from "../mocks/raycast-api";
import { temporaryDirectory } from "../temporary-directory";
import { VPN_DOWN, changeFor, launchProps, lifecycle, networkReader, resetSpies } from "./helpers";

vi.mock("../../src/lifecycle", async (original) => (await import("./helpers")).withLifecycleSpies(await original()));
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("./helpers")).withNetworkSpy(await original()),
);

beforeEach(async () => {
  resetRaycast();
  resetSpies();
  raycast.preferences = { vpnServers: "198.51.100.7:1194/udp" };
  await LocalStorage.setItem("first-enable-shown", true);
});

/** Everything Enable showed, in order of kind, as text a user reads. */
function screen(): string {
  const lines: string[] = [];
  for (const toast of raycast.toasts)
    lines.push(`[toast ${toast.style}] ${toast.title}${toast.message ? ` | ${toast.message}` : ""}`);
  for (const alert of raycast.alerts) {
    lines.push(`[alert] ${alert.title}`, ...(alert.message ?? "").split("\n").map((line) => `  ${line}`));
    lines.push(`  [${alert.primaryAction?.title ?? "OK"}] [${alert.dismissAction?.title ?? "Cancel"}]`);
  }
  for (const hud of raycast.huds) lines.push(`[hud] ${hud}`);
  for (const launch of raycast.launches) lines.push(`[launch] ${launch.name}`);
  return lines.join("\n");
}

/** Enable returning `change` (shaped by `edit`) for the request it is given. */
function enableEndsIn(state: KillSwitchChange["status"]["state"], edit: (change: KillSwitchChange) => void = () => {}) {
  lifecycle.enableKillSwitch.mockImplementation(async (request) => {
    const change = await changeFor("enable", request.settings, request.network, state);
    edit(change);
    return change;
  });
}

describe("Enable's outcomes, as shown", () => {
  it.each(KILL_SWITCH_STATES.filter((state) => state !== "off"))(
    "ends in %s: a HUD only when all is plainly well, else an alert that says why first",
    async (state) => {
      if (state === "blocking") networkReader.readNetworkState.mockResolvedValue(VPN_DOWN);
      enableEndsIn(state);
      await enableCommand(launchProps());
      expect(screen()).toMatchSnapshot();
    },
  );

  it("after the first Enable, says once what is in force, that it survives a restart, and how to turn it off", async () => {
    await LocalStorage.removeItem("first-enable-shown");
    enableEndsIn("protected", (change) => {
      change.report.watchdog = "installed";
    });
    await enableCommand(launchProps());
    expect(screen()).toMatchSnapshot();
    expect(raycast.huds).toEqual([]);

    raycast.alerts = [];
    raycast.toasts = [];
    await enableCommand(launchProps());
    expect(raycast.alerts).toEqual([]);
    expect(raycast.huds).toEqual(["Kill Switch On · utun4 · 1 VPN server allowed"]);
  });

  it("after a first Enable without startup protection, says it lasts until the next restart", async () => {
    await LocalStorage.removeItem("first-enable-shown");
    raycast.preferences = { vpnServers: "198.51.100.7:1194/udp", protectFromStartup: false };
    enableEndsIn("protected");
    await enableCommand(launchProps());
    expect(raycast.alerts[0].message).toContain("It lasts until the next restart (Startup Protection is off).");
    expect(raycast.alerts[0].message).toContain("To turn it off: Disable Kill Switch");
  });

  it("refuses, with no VPN connected and no server known, in an alert saying to connect it first", async () => {
    networkReader.readNetworkState.mockResolvedValue(VPN_DOWN);
    raycast.preferences = {};
    lifecycle.enableKillSwitch.mockRejectedValue(new KillSwitchError("no-server", noServerToKeep(false), true));
    await enableCommand(launchProps());
    expect(screen()).toMatchSnapshot();
  });

  it("refuses, connected with no server found, saying that and offering Enable Without Startup Protection", async () => {
    raycast.alertAnswer = false;
    lifecycle.enableKillSwitch.mockRejectedValue(new KillSwitchError("no-server", noServerToKeep(true), true));
    await enableCommand(launchProps());
    expect(screen()).toMatchSnapshot();
  });

  it("asks about a server it cannot pass alone in Set VPN Server Protocol", async () => {
    lifecycle.enableKillSwitch.mockRejectedValue(
      new ServerTransportError([{ address: "198.51.100.7", seen: "198.51.100.7 (named by a host route)" }], "ask"),
    );
    await enableCommand(launchProps());
    expect(screen()).toMatchSnapshot();
  });

  it("asks about an address the network's DNS gave, and stops when declined", async () => {
    raycast.alertAnswer = false;
    lifecycle.enableKillSwitch.mockRejectedValue(
      new NameConfirmationError(
        [{ field: "vpnServers[0]", host: "vpn.example.com", addresses: ["203.0.113.50"] }],
        "confirm",
      ),
    );
    await enableCommand(launchProps());
    expect(screen()).toMatchSnapshot();
  });

  it("says nothing more when the password dialog is cancelled", async () => {
    lifecycle.enableKillSwitch.mockRejectedValue(new KillSwitchError("cancelled", "Cancelled", true));
    await enableCommand(launchProps());
    expect(screen()).toMatchSnapshot();
  });
});

/** The warnings the root script can print (`warn "..."` in its parts), as written, its variables unexpanded. */
function rootScriptWarnings(): string[] {
  const dir = resolve(__dirname, "../../src/privileged/root-script");
  return readdirSync(dir)
    .filter((name) => name.endsWith(".sh"))
    .flatMap((name) => [...readFileSync(resolve(dir, name), "utf8").matchAll(/\bwarn "([^"]+)"/g)].map((m) => m[1]));
}

/** Every kind of note the lifecycle returns in `change.notes`, from the code that writes each. */
async function everyNoteKind(): Promise<string[]> {
  const noTouchId = await touchIdForSudo(createSystemCommands({ root: temporaryDirectory("no-pam-") }));
  const fromRecord = describeFromRecord(["vpn.example.com"]);
  return [
    ...rootScriptWarnings(),
    noTouchId.reason,
    "Touch ID did not authorise the change (sudo: a terminal is required); the administrator password was asked for.",
    ...(fromRecord ? [fromRecord] : []),
    ...trustWarnings({
      endpoints: [{ address: "203.0.113.50", protocol: "udp", port: 1194, host: "vpn.example.com" }],
      untrustedTunnels: ["utun6"],
    }),
    "This network calls public addresses local; not passed: 104.16.0.0/12.",
  ];
}

describe("Every note reaches the user", () => {
  it("finds each note kind the lifecycle returns on screen after Enable, and no success HUD", async () => {
    const notes = await everyNoteKind();
    expect(notes.length).toBeGreaterThan(20);
    for (const note of notes) {
      resetRaycast();
      await LocalStorage.setItem("first-enable-shown", true);
      raycast.preferences = { vpnServers: "198.51.100.7:1194/udp" };
      enableEndsIn("protected", (change) => {
        change.notes = [note];
      });
      await enableCommand(launchProps());
      expect(raycast.huds, note).toEqual([]);
      expect(raycast.alerts.at(-1)?.message, note).toContain(note);
    }
  });

  it("finds each note on screen after Disable too", async () => {
    for (const note of await everyNoteKind()) {
      resetRaycast();
      lifecycle.disableKillSwitch.mockImplementation(async () => {
        const change = await changeFor("disable", DEFAULT_SETTINGS, VPN_DOWN, "off");
        change.notes = [note];
        return change;
      });
      await disableCommand();
      expect(raycast.huds, note).toEqual([]);
      expect(raycast.alerts.at(-1)?.message, note).toContain(note);
    }
  });

  it("lists what changes what is protected first", async () => {
    enableEndsIn("protected", (change) => {
      change.notes = [
        "Touch ID for sudo is not turned on (pam_tid.so in /etc/pam.d/sudo_local), so the administrator password was asked for instead.",
        "Protection from startup could not be installed (launchctl: no answer); the kill switch is on until the next restart.",
      ];
    });
    await enableCommand(launchProps());
    expect(screen()).toMatchSnapshot();
  });
});
