/**
 * The menu bar in every state, as the user sees it: each judged by the real status from the records Enable and
 * the watchdog leave (test/fakes/state-records.ts), then rendered through the Raycast mocks at a fixed time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReactTestInstance, ReactTestRenderer } from "react-test-renderer";
import Command from "../../src/kill-switch-status";
import { type KillSwitchState, getKillSwitchStatus as judgeStatus } from "../../src/lifecycle/status";
import { STATE_DIRECTORY } from "../../src/privileged/paths";
import { KILL_SWITCH_STATES } from "../../src/raycast/models/kill-switch-state";
import { createSystemCommands } from "../../src/system/commands";
import { STATE_MEANINGS, STATE_NAMES } from "../../src/words/states";
import { STATE_BOOT, STATE_NOW, recordState, vpnUpIn } from "../fakes/state-records";
import { LaunchType, environment, resetRaycast } from "../mocks/raycast-api";
import { temporaryDirectory } from "../temporary-directory";
import { VPN_DOWN, VPN_UP, lifecycle, networkReader, resetSpies, statusNetwork } from "./helpers";
import { all, render } from "./render";

vi.mock("../../src/lifecycle", async (original) => (await import("./helpers")).withLifecycleSpies(await original()));
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("./helpers")).withNetworkSpy(await original()),
);

beforeEach(() => {
  resetRaycast();
  resetSpies();
  environment.launchType = LaunchType.Background;
  // The menu's own "now" is the scene's; timers stay real, so rendering still settles.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(STATE_NOW);
});
afterEach(() => vi.useRealTimers());

/** An icon as the user sees it: its shape, and its tint when it has one. */
function iconText(icon: unknown): string {
  if (icon === undefined) return "";
  if (typeof icon === "string") return `[${icon}] `;
  const { source, tintColor } = icon as { source: string; tintColor?: string };
  return tintColor ? `[${source}, ${tintColor}] ` : `[${source}] `;
}

function itemText(node: ReactTestInstance): string {
  const { icon, title, subtitle } = node.props as { icon?: unknown; title: string; subtitle?: string };
  return `  ${iconText(icon)}${title}${subtitle ? ` · ${subtitle}` : ""}`;
}

/** The menu bar as text: what shows in the menu bar, then each section of the menu with its items. */
function menuBarText(renderer: ReactTestRenderer): string {
  const [bar] = all(renderer, "MenuBarExtra");
  const { icon, title, tooltip } = bar.props as { icon: unknown; title?: string; tooltip: string };
  const lines = [`menu bar: ${iconText(icon)}${title ?? "(no text)"}`, `tooltip: ${tooltip}`];
  for (const section of all(renderer, "MenuBarExtra.Section")) {
    lines.push(`— ${section.props.title ?? ""}`.trimEnd());
    lines.push(...section.findAll((node) => String(node.type) === "MenuBarExtra.Item").map(itemText));
  }
  return `\n${lines.join("\n")}\n`;
}

/** The menu bar on a Mac whose records say `state`, with the VPN up unless the state waits for it. */
async function menuIn(state: KillSwitchState): Promise<string> {
  const root = temporaryDirectory("menu-bar-state-");
  recordState(`${root}${STATE_DIRECTORY}`, state);
  const network = vpnUpIn(state) ? VPN_UP : VPN_DOWN;
  const status = await judgeStatus({
    system: createSystemCommands({ root }),
    network,
    now: STATE_NOW,
    bootTime: async () => STATE_BOOT,
  });
  expect(status.state).toBe(state);
  networkReader.readStatusNetwork.mockResolvedValue(statusNetwork(network));
  lifecycle.getKillSwitchStatus.mockResolvedValue(status);
  return menuBarText(await render(<Command />));
}

describe("the menu bar in every state", () => {
  it("Protected: a shield without text, the meaning, the watchdog's last check", async () => {
    expect(await menuIn("protected")).toMatchInlineSnapshot(`
      "
      menu bar: [Shield] (no text)
      tooltip: VPN Kill Switch: Protected: traffic leaves only through the VPN (utun4).
      —
        [Shield] Kill Switch On · Protected
        Traffic leaves only through the VPN, and the watchdog keeps checking that it does.
        Watchdog checked 10 s ago
      — VPN
        Tunnel · utun4
        Server · 198.51.100.7
      — Network: Example Home
        Gateway · 192.168.1.1 (3c:a6:2f:08:1e:7b)
        Subnet · 192.168.1.0/24
        Interface · en0
      — Exceptions Here
        None for this network
      —
        [Power] Disable Kill Switch
        [Plus] Add Exception…
        [List] Manage Exceptions…
        [CheckList] Verify Kill Switch Rules
        [Gear] Open Preferences
        [Trash] Uninstall Kill Switch…
      "
    `);
  });

  it("Blocking: an hourglass named Blocking, and the servers that still pass", async () => {
    expect(await menuIn("blocking")).toMatchInlineSnapshot(`
      "
      menu bar: [Hourglass, yellow] Blocking
      tooltip: VPN Kill Switch: Blocking: no allowed VPN tunnel is up, so traffic is stopped.
      —
        [Hourglass, yellow] Kill Switch On · Blocking
        Nothing leaves until the VPN connects: only the VPN's own connection gets out.
        No allowed VPN tunnel is up, so traffic is stopped.
        [Info] Connect the VPN: until then nothing leaves this Mac but the VPN's own connection and link plumbing.
        Watchdog checked 10 s ago
        [ArrowRightCircle] Allowed: 198.51.100.7 UDP 1194
      — VPN
        No VPN tunnel
        Server · 198.51.100.7
      — Network: Example Home
        Gateway · 192.168.1.1 (3c:a6:2f:08:1e:7b)
        Subnet · 192.168.1.0/24
        Interface · en0
      — Exceptions Here
        None for this network
      —
        [Power] Disable Kill Switch
        [Plus] Add Exception…
        [List] Manage Exceptions…
        [Wifi] Allow Captive Portal for 2 Minutes
        [Wifi] Allow Captive Portal for 5 Minutes
        [CheckList] Verify Kill Switch Rules
        [Gear] Open Preferences
        [Trash] Uninstall Kill Switch…
      "
    `);
  });

  it("Safe Mode: a lock named Safe Mode, the watchdog's reason, the servers that still pass", async () => {
    expect(await menuIn("safe-mode")).toMatchInlineSnapshot(`
      "
      menu bar: [Lock, orange] Safe Mode
      tooltip: VPN Kill Switch: Safe Mode: blocking all but the VPN servers, since the kill switch's rules could not be loaded.
      —
        [Lock, orange] Kill Switch On · Safe Mode
        Everything is blocked, even through the VPN (its app can still reach its server): the rules could not be loaded.
        Blocking all but the VPN servers, since the kill switch's rules could not be loaded.
        [Info] the rules for this network are missing or incomplete; blocking with the fail-closed rules
        [Info] Nothing leaks, but nothing passes through the VPN either: enable the kill switch again.
        Watchdog checked 10 s ago
        [ArrowRightCircle] Allowed: 198.51.100.7 UDP 1194
      — VPN
        No VPN tunnel
        Server · 198.51.100.7
      — Network: Example Home
        Gateway · 192.168.1.1 (3c:a6:2f:08:1e:7b)
        Subnet · 192.168.1.0/24
        Interface · en0
      — Exceptions Here
        None for this network
      —
        [Shield] Enable Kill Switch
        [Power] Disable Kill Switch
        [Plus] Add Exception…
        [List] Manage Exceptions…
        [CheckList] Verify Kill Switch Rules
        [Gear] Open Preferences
        [Trash] Uninstall Kill Switch…
      "
    `);
  });

  it("Unverified: a question mark, and when the rules were loaded, not a check nobody made", async () => {
    expect(await menuIn("unverified")).toMatchInlineSnapshot(`
      "
      menu bar: [QuestionMarkCircle, yellow] Unverified
      tooltip: VPN Kill Switch: Unverified: when last checked (2023-11-14T22:14:20Z), pf ran the kill switch rules, which let traffic out only through the VPN (utun4); nothing has checked pf since.
      —
        [QuestionMarkCircle, yellow] Kill Switch On · Unverified
        When last checked only the VPN could carry traffic, but nothing has checked since.
        When last checked (2023-11-14T22:14:20Z), pf ran the kill switch rules, which let traffic out only through the VPN (utun4); nothing has checked pf since.
        [Info] Another program can turn pf off or change its rules without this showing. Turn on Startup Protection (protectFromStartup) and enable again: its root watchdog checks every 10 seconds that pf is on and runs the kill switch rules first, and puts them back.
        Rules loaded 2 min ago, not checked since
      — VPN
        Tunnel · utun4
        Server · 198.51.100.7
      — Network: Example Home
        Gateway · 192.168.1.1 (3c:a6:2f:08:1e:7b)
        Subnet · 192.168.1.0/24
        Interface · en0
      — Exceptions Here
        None for this network
      —
        [Shield] Enable Kill Switch
        [Power] Disable Kill Switch
        [Plus] Add Exception…
        [List] Manage Exceptions…
        [CheckList] Verify Kill Switch Rules
        [Gear] Open Preferences
        [Trash] Uninstall Kill Switch…
      "
    `);
  });

  it("Watchdog Stopped: its own state, with when the watchdog last checked", async () => {
    expect(await menuIn("watchdog-stopped")).toMatchInlineSnapshot(`
      "
      menu bar: [Heartbeat, orange] Watchdog Stopped
      tooltip: VPN Kill Switch: Watchdog Stopped: the startup watchdog has stopped checking the kill switch.
      —
        [Heartbeat, orange] Kill Switch On · Watchdog Stopped
        The rules are probably still in force, but nothing puts them back if they are removed.
        The startup watchdog has stopped checking the kill switch.
        [Info] Its last sign of life was 100 seconds ago; it checks every 10 seconds. The rules may still be in force, but nothing puts them back if another program removes them. Enable the kill switch again to reinstall the watchdog.
        Watchdog checked 1 min ago
      — VPN
        Tunnel · utun4
        Server · 198.51.100.7
      — Network: Example Home
        Gateway · 192.168.1.1 (3c:a6:2f:08:1e:7b)
        Subnet · 192.168.1.0/24
        Interface · en0
      — Exceptions Here
        None for this network
      —
        [Shield] Enable Kill Switch
        [Power] Disable Kill Switch
        [Plus] Add Exception…
        [List] Manage Exceptions…
        [CheckList] Verify Kill Switch Rules
        [Gear] Open Preferences
        [Trash] Uninstall Kill Switch…
      "
    `);
  });

  it("Not Protected after a restart without the watchdog: a red warning, never On", async () => {
    const text = await menuIn("not-protected");
    expect(text).not.toMatch(/\bOn\b/);
    expect(text).toMatchInlineSnapshot(`
      "
      menu bar: [Warning, red] Not Protected
      tooltip: VPN Kill Switch: Not Protected: the Mac restarted, and pf no longer has the kill switch rules.
      —
        [Warning, red] Not Protected
        Traffic can leave outside the VPN right now.
        The Mac restarted, and pf no longer has the kill switch rules.
        [Info] pf forgets its rules at every restart. Enable the kill switch again to block traffic outside the VPN.
        Rules loaded 1 day ago, not checked since
      — VPN
        Tunnel · utun4
        Server · 198.51.100.7
      — Network: Example Home
        Gateway · 192.168.1.1 (3c:a6:2f:08:1e:7b)
        Subnet · 192.168.1.0/24
        Interface · en0
      — Exceptions Here
        None for this network
      —
        [Shield] Enable Kill Switch
        [Power] Disable Kill Switch
        [Plus] Add Exception…
        [List] Manage Exceptions…
        [CheckList] Verify Kill Switch Rules
        [Gear] Open Preferences
        [Trash] Uninstall Kill Switch…
      "
    `);
  });

  it("Off: a struck-out circle named Off, Enable only", async () => {
    expect(await menuIn("off")).toMatchInlineSnapshot(`
      "
      menu bar: [CircleDisabled] Off
      tooltip: VPN Kill Switch: Off: traffic flows normally.
      —
        [CircleDisabled] Kill Switch Off
        Nothing is blocked: traffic leaves outside the VPN whenever the VPN is down.
      — VPN
        Tunnel · utun4
        Server · 198.51.100.7
      — Network: Example Home
        Gateway · 192.168.1.1 (3c:a6:2f:08:1e:7b)
        Subnet · 192.168.1.0/24
        Interface · en0
      — Exceptions Here
        None for this network
      —
        [Shield] Enable Kill Switch
        [Plus] Add Exception…
        [List] Manage Exceptions…
        [Gear] Open Preferences
        [Trash] Uninstall Kill Switch…
      "
    `);
  });

  it("Unknown: its own icon, not Unverified's, with the reason", async () => {
    expect(await menuIn("unknown")).toMatchInlineSnapshot(`
      "
      menu bar: [EyeDisabled] Unknown
      tooltip: VPN Kill Switch: Unknown: the kill switch's state file cannot be read.
      —
        [EyeDisabled] Kill Switch Status Unknown
        Whether traffic can leave outside the VPN cannot be told right now.
        The kill switch's state file cannot be read.
        [Info] /Library/Application Support/com.vpnkillswitch.raycast/status.json does not have the expected fields
        [Info] Disable removes the kill switch rules even so.
      — VPN
        Tunnel · utun4
        Server · 198.51.100.7
      — Network: Example Home
        Gateway · 192.168.1.1 (3c:a6:2f:08:1e:7b)
        Subnet · 192.168.1.0/24
        Interface · en0
      — Exceptions Here
        None for this network
      —
        [Shield] Enable Kill Switch
        [Power] Disable Kill Switch
        [Plus] Add Exception…
        [List] Manage Exceptions…
        [CheckList] Verify Kill Switch Rules
        [Gear] Open Preferences
        [Trash] Uninstall Kill Switch…
      "
    `);
  });

  it("gives each state an icon of its own and says its meaning in the menu, not only in the tooltip", async () => {
    const shapes = new Set<string>();
    for (const state of KILL_SWITCH_STATES) {
      const text = await menuIn(state);
      shapes.add(text.split("\n")[1].replace(/^menu bar: \[([^,\]]+).*$/, "$1"));
      expect(text.split("\n")[1]).toContain(state === "protected" ? "(no text)" : STATE_NAMES[state]);
      expect(text).toContain(`\n  ${STATE_MEANINGS[state]}\n`);
    }
    expect(shapes.size).toBe(KILL_SWITCH_STATES.length);
  });
});
