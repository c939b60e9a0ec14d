import { beforeEach, describe, expect, it, vi } from "vitest";
import type { KillSwitchState } from "../../src/lifecycle";
import Command from "../../src/kill-switch-status";
import {
  readCachedSnapshot,
  writeCachedSnapshot,
  writeCaptivePortalUntil,
} from "../../src/raycast/stores/snapshot-cache";
import { LaunchType, LocalStorage, environment, raycast, resetRaycast } from "../mocks/raycast-api";
import { LEGACY_EXCEPTIONS_KEY } from "../../src/raycast/stores/user-settings";
import { storeExceptions, storedExceptions } from "./user-settings";
import { HOME_ID, VPN_DOWN, VPN_UP, lifecycle, networkReader, resetSpies, statusFor, statusNetwork } from "./helpers";
import { act } from "react-test-renderer";
import { all, click, item, one, render, sections, settle, titles } from "./render";
import { KILL_SWITCH_STATES } from "../../src/raycast/models/kill-switch-state";

vi.mock("../../src/lifecycle", async (original) => (await import("./helpers")).withLifecycleSpies(await original()));
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("./helpers")).withNetworkSpy(await original()),
);

const PRINTER = {
  id: "printer",
  address: "192.168.1.20",
  protocol: "tcp",
  port: "631",
  scope: HOME_ID,
  label: "Printer",
};
const NAS = { id: "nas", address: "nas.example.com", protocol: "any", scope: "all", label: "", enabled: false };
const OFFICE = {
  id: "office",
  address: "10.1.2.3",
  protocol: "any",
  scope: "gw=10.1.0.1,mac=unknown,net=10.1.0.0/16",
  label: "Office",
};

beforeEach(() => {
  resetRaycast();
  resetSpies();
  environment.launchType = LaunchType.Background;
});

async function renderState(state: KillSwitchState, network = state === "protected" ? VPN_UP : VPN_DOWN) {
  networkReader.readStatusNetwork.mockResolvedValue(statusNetwork(network));
  lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor(state));
  return render(<Command />);
}

const menuBar = (renderer: Awaited<ReturnType<typeof render>>) => one(renderer, "MenuBarExtra");
const menu = (renderer: Awaited<ReturnType<typeof render>>) =>
  sections(renderer, "MenuBarExtra.Section", "MenuBarExtra.Item");

describe("Kill Switch Status menu bar", () => {
  it("Protected: a shield, no text, the tunnel, the server, the network, and Disable", async () => {
    raycast.preferences = { vpnServers: "198.51.100.7" };
    const renderer = await renderState("protected");

    expect(menuBar(renderer).props).toMatchObject({
      icon: { source: "Shield" },
      title: undefined,
      tooltip: "VPN Kill Switch: Protected: traffic leaves only through the VPN (utun4).",
      isLoading: false,
    });
    expect(menu(renderer)).toEqual({
      "#0": [
        "Kill Switch On · Protected",
        "Traffic leaves only through the VPN, and the watchdog keeps checking that it does.",
      ],
      VPN: ["Tunnel utun4", "Server 198.51.100.7"],
      "Network: Example Home": ["Gateway 192.168.1.1 (3c:a6:2f:08:1e:7b)", "Subnet 192.168.1.0/24", "Interface en0"],
      "Exceptions Here": ["None for this network"],
      "#4": [
        "Disable Kill Switch",
        "Add Exception…",
        "Manage Exceptions…",
        "Verify Kill Switch Rules",
        "Open Preferences",
        "Uninstall Kill Switch…",
      ],
    });
    expect(lifecycle.getKillSwitchStatus).toHaveBeenCalledWith(expect.objectContaining({ network: VPN_UP }));
  });

  it("shows what pf refused, opening Blocked Traffic, and the state under the command in root search", async () => {
    networkReader.readStatusNetwork.mockResolvedValue(statusNetwork(VPN_UP));
    lifecycle.getKillSwitchStatus.mockResolvedValue({
      ...statusFor("protected"),
      counters: { since: 1_796_000_000, blockedOut: 40, blockedIn: 1, dnsRefused: 1, toVpnServers: 900 },
    });
    const renderer = await render(<Command />);
    const blocked = all(renderer, "MenuBarExtra.Item").find((node) => /^Blocked /.test(String(node.props.title)));
    expect(blocked?.props.title).toMatch(/^Blocked 42 packets since \S/);
    await click(blocked!);
    expect(raycast.launches).toContainEqual({ name: "blocked-traffic", type: LaunchType.UserInitiated });
    expect(raycast.metadata.at(-1)).toEqual({ subtitle: "Protected" });
  });

  it("Blocking: says why and what to do, offers the captive-portal window", async () => {
    const renderer = await renderState("blocking");

    expect(menuBar(renderer).props.icon).toEqual({ source: "Hourglass", tintColor: "yellow" });
    expect(menuBar(renderer).props.isLoading).toBe(false);
    const shown = menu(renderer);
    expect(shown["#0"]).toEqual([
      "Kill Switch On · Blocking",
      "Nothing leaves until the VPN connects: only the VPN's own connection gets out.",
      "No allowed VPN tunnel is up, so traffic is stopped.",
      "Connect the VPN: until then nothing leaves this Mac but the VPN's own connection and link plumbing.",
    ]);
    expect(shown.VPN).toEqual(["No VPN tunnel"]);
    expect(shown["#4"]).toContain("Allow Captive Portal for 5 Minutes");
    expect(shown["#4"]).toContain("Disable Kill Switch");
    expect(shown["#4"]).not.toContain("Enable Kill Switch");
  });

  it("Not Protected: a red warning, never On, and Enable (to repair) with Disable", async () => {
    const renderer = await renderState("not-protected");

    expect(menuBar(renderer).props).toMatchObject({
      icon: { source: "Warning", tintColor: "red" },
      title: "Not Protected",
      isLoading: false,
    });
    expect(menu(renderer)["#0"].slice(0, 3)).toEqual([
      "Not Protected",
      "Traffic can leave outside the VPN right now.",
      "The Mac restarted, and pf no longer has the kill switch rules.",
    ]);
    expect(menu(renderer)["#0"][3]).toContain("pf forgets its rules at every restart");
    expect(menu(renderer)["#4"].slice(0, 2)).toEqual(["Enable Kill Switch", "Disable Kill Switch"]);
  });

  it("Off: outlined shield, Enable only, no captive portal or verify", async () => {
    const renderer = await renderState("off", VPN_UP);

    expect(menuBar(renderer).props).toMatchObject({
      icon: { source: "CircleDisabled" },
      title: "Off",
      isLoading: false,
    });
    const actions = menu(renderer)["#4"];
    expect(actions).toEqual([
      "Enable Kill Switch",
      "Add Exception…",
      "Manage Exceptions…",
      "Open Preferences",
      "Uninstall Kill Switch…",
    ]);
    expect(menu(renderer).VPN).toEqual(["Tunnel utun4", "Server 198.51.100.7"]);
  });

  it("Unknown: shows the reason, offers both Enable and Disable", async () => {
    const renderer = await renderState("unknown");

    expect(menuBar(renderer).props).toMatchObject({ icon: { source: "EyeDisabled" }, isLoading: false });
    expect(menu(renderer)["#0"]).toContain("/Library/Application Support/com.vpnkillswitch.raycast/state.json: EACCES");
    expect(menu(renderer)["#4"].slice(0, 2)).toEqual(["Enable Kill Switch", "Disable Kill Switch"]);
  });

  it("becomes Unknown with the reason, and stops loading, when the status cannot be read", async () => {
    lifecycle.getKillSwitchStatus.mockRejectedValue(new Error("sysctl: permission denied"));
    const renderer = await render(<Command />);

    expect(menuBar(renderer).props).toMatchObject({ icon: { source: "EyeDisabled" }, isLoading: false });
    expect(menu(renderer)["#0"]).toContain("sysctl: permission denied");
  });

  it("draws the cached state at once, before the new reading arrives", async () => {
    writeCachedSnapshot({
      state: "protected",
      headline: "Protected: traffic leaves only through the VPN (utun4).",
      checkedAt: new Date(Date.now() - 3 * 60_000).toISOString(),
      tunnels: ["utun4"],
      vpnServers: ["198.51.100.7"],
      network: null,
      captivePortalUntil: null,
      notes: [],
      watchdogCheckedAt: new Date(Date.now() - 3 * 60_000).toISOString(),
    });
    let answer: (value: unknown) => void = () => undefined;
    lifecycle.getKillSwitchStatus.mockReturnValue(new Promise((resolve) => (answer = resolve)));

    const renderer = await render(<Command />);
    expect(menuBar(renderer).props).toMatchObject({ icon: { source: "Shield" }, isLoading: true });
    expect(menu(renderer)["#0"]).toContain("Watchdog checked 3 min ago");

    await act(async () => answer(statusFor("off")));
    await settle();
    expect(menuBar(renderer).props).toMatchObject({ icon: { source: "CircleDisabled" }, isLoading: false });
    expect(readCachedSnapshot()?.state).toBe("off");
  });

  it("reuses the network details in a background run, and reads them again once when the menu is opened", async () => {
    storeExceptions([PRINTER]);
    await renderState("protected");
    expect(networkReader.readStatusNetwork.mock.calls.map(([request]) => request.refreshDetails)).toEqual([false]);
    expect(networkReader.readNetworkState).not.toHaveBeenCalled();

    networkReader.readStatusNetwork.mockClear();
    environment.launchType = LaunchType.UserInitiated;
    const opened = await renderState("protected");
    await click(item(opened, "MenuBarExtra.Item", "Printer"));
    // The redraw after the click finds the same network: the details just read serve again.
    expect(networkReader.readStatusNetwork.mock.calls.map(([request]) => request.refreshDetails)).toEqual([
      true,
      false,
    ]);
  });

  it("still reads the status, as Unknown about the VPN, when the network cannot be read", async () => {
    networkReader.readStatusNetwork.mockRejectedValue(new Error("ifconfig: timed out"));
    lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("unknown"));
    const renderer = await render(<Command />);
    expect(lifecycle.getKillSwitchStatus).toHaveBeenCalledWith(expect.objectContaining({ network: null }));
    expect(menuBar(renderer).props.isLoading).toBe(false);
  });

  it("names every state but Protected next to the icon; Protected too when the preference asks for it", async () => {
    expect(menuBar(await renderState("blocking")).props.title).toBe("Blocking");
    expect(menuBar(await renderState("protected")).props.title).toBeUndefined();
    raycast.preferences = { showStateInMenuBar: true };
    expect(menuBar(await renderState("protected")).props.title).toBe("Protected");
  });

  it("never prompts, shows a HUD or changes anything in a background run", async () => {
    storeExceptions([PRINTER]);
    await renderState("protected");

    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(lifecycle.disableKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toEqual([]);
    expect(raycast.alerts).toEqual([]);
  });

  it("lists the exceptions for this network and all networks, each toggleable", async () => {
    storeExceptions([PRINTER, NAS, OFFICE]);
    const renderer = await renderState("protected");

    expect(menu(renderer)["Exceptions Here"]).toEqual([
      "Printer TCP 631 · 192.168.1.20",
      "nas.example.com All traffic",
    ]);
    expect(item(renderer, "MenuBarExtra.Item", "Printer").props.icon).toBe("CheckCircle");
    expect(item(renderer, "MenuBarExtra.Item", "nas.example.com").props.icon).toBe("Circle");
  });

  it("toggling an exception while on saves it and has Enable reload the rules (one prompt there)", async () => {
    storeExceptions([PRINTER]);
    const renderer = await renderState("protected");
    environment.launchType = LaunchType.UserInitiated;

    await click(item(renderer, "MenuBarExtra.Item", "Printer"));

    expect(raycast.launches).toEqual([
      {
        name: "enable-kill-switch",
        type: LaunchType.UserInitiated,
        context: { reason: "apply", change: "Printer Blocked" },
      },
    ]);
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual([]);
    expect(storedExceptions()[0].enabled).toBe(false);
    expect(item(renderer, "MenuBarExtra.Item", "Printer").props.icon).toBe("Circle");
    expect(menuBar(renderer).props.isLoading).toBe(false);
  });

  it("shortens a long exception name to what the Enable command's HUD accepts", async () => {
    const host = `${"x".repeat(60)}.${"y".repeat(20)}.example.com`;
    storeExceptions([{ id: "long", address: host, protocol: "any", scope: "all", label: "" }]);
    const renderer = await renderState("protected");

    await click(item(renderer, "MenuBarExtra.Item", host));

    const context = raycast.launches[0].context as { reason: string; change: string };
    expect(context.reason).toBe("apply");
    expect(context.change).toHaveLength(80);
    expect(context.change).toBe(`${`${host} Blocked`.slice(0, 79)}…`);
  });

  it("toggling an exception while off saves it for the next Enable, without a prompt", async () => {
    storeExceptions([{ ...PRINTER, enabled: false }]);
    const renderer = await renderState("off", VPN_UP);
    environment.launchType = LaunchType.UserInitiated;

    await click(item(renderer, "MenuBarExtra.Item", "Printer"));

    expect(raycast.huds).toEqual(["Printer Allowed"]);
    expect(raycast.launches).toEqual([{ name: "kill-switch-status", type: LaunchType.Background, context: undefined }]);
    expect(item(renderer, "MenuBarExtra.Item", "Printer").props.icon).toBe("CheckCircle");
    expect(menuBar(renderer).props.isLoading).toBe(false);
  });

  it("says so when the exception cannot be changed", async () => {
    storeExceptions([PRINTER]);
    const renderer = await renderState("protected");
    raycast.launchError = new Error("Command is disabled");

    await click(item(renderer, "MenuBarExtra.Item", "Printer"));

    expect(raycast.toasts).toEqual([
      { style: "FAILURE", title: "Could Not Change the Exception", message: "Command is disabled" },
    ]);
    expect(menuBar(renderer).props.isLoading).toBe(false);
  });

  it("Enable, Disable, Add Exception, Manage Exceptions, Verify and Uninstall open their commands", async () => {
    const renderer = await renderState("unknown");
    environment.launchType = LaunchType.UserInitiated;

    for (const title of [
      "Enable Kill Switch",
      "Disable Kill Switch",
      "Add Exception…",
      "Manage Exceptions…",
      "Verify Kill Switch Rules",
      "Uninstall Kill Switch…",
    ]) {
      await click(item(renderer, "MenuBarExtra.Item", title));
    }

    expect(raycast.launches).toEqual(
      [
        "enable-kill-switch",
        "disable-kill-switch",
        "add-exception",
        "manage-exceptions",
        "verify-kill-switch-rules",
        "uninstall-kill-switch",
      ].map((name) => ({ name, type: LaunchType.UserInitiated, context: undefined })),
    );
    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    expect(lifecycle.disableKillSwitch).not.toHaveBeenCalled();
    expect(lifecycle.uninstallKillSwitch).not.toHaveBeenCalled();
  });

  it("says so when Raycast cannot open a command", async () => {
    const renderer = await renderState("off");
    raycast.launchError = new Error("Command is disabled");
    await click(item(renderer, "MenuBarExtra.Item", "Add Exception…"));
    expect(raycast.toasts).toEqual([
      { style: "FAILURE", title: "Could Not Open the Command", message: "Command is disabled" },
    ]);
  });

  it("Open Preferences opens the extension's preferences", async () => {
    const renderer = await renderState("off");
    await click(item(renderer, "MenuBarExtra.Item", "Open Preferences"));
    expect(raycast.openedPreferences).toBe(1);
  });

  it("has Enable open the captive-portal window for 2 or 5 minutes", async () => {
    const renderer = await renderState("blocking");
    environment.launchType = LaunchType.UserInitiated;

    await click(item(renderer, "MenuBarExtra.Item", "Allow Captive Portal for 5 Minutes"));
    await click(item(renderer, "MenuBarExtra.Item", "Allow Captive Portal for 2 Minutes"));

    expect(raycast.launches).toEqual(
      [5, 2].map((minutes) => ({
        name: "enable-kill-switch",
        type: LaunchType.UserInitiated,
        context: { reason: "captive-portal", captivePortalMinutes: minutes },
      })),
    );
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(menuBar(renderer).props.isLoading).toBe(false);
  });

  it("offers the captive portal only while blocking, with what to do, and Close Captive Portal Now while open", async () => {
    // With the VPN up, or the kill switch off, a window has nothing to unlock.
    for (const state of KILL_SWITCH_STATES.filter((s) => s !== "blocking")) {
      const other = await renderState(state, VPN_UP);
      expect(
        titles(other, "MenuBarExtra.Item").filter((title) => title.includes("Captive Portal")),
        state,
      ).toEqual([]);
    }
    const blocking = await renderState("blocking");
    expect(item(blocking, "MenuBarExtra.Item", "Allow Captive Portal for 2 Minutes").props.tooltip).toContain(
      "Open any web page to get the sign-in page, sign in, then connect the VPN",
    );
    expect(titles(blocking, "MenuBarExtra.Item")).not.toContain("Close Captive Portal Now");

    writeCaptivePortalUntil(new Date(Date.now() + 90_000));
    environment.launchType = LaunchType.UserInitiated;
    const open = await renderState("blocking");
    expect(titles(open, "MenuBarExtra.Item")).not.toContain("Allow Captive Portal for 2 Minutes");
    expect(item(open, "MenuBarExtra.Item", "Captive Portal Open · 2 min left").props.tooltip).toContain("sign in");
    await click(item(open, "MenuBarExtra.Item", "Close Captive Portal Now"));
    expect(raycast.launches.at(-1)).toEqual({
      name: "enable-kill-switch",
      type: LaunchType.UserInitiated,
      context: { reason: "close-captive-portal" },
    });
  });

  it("shows the captive-portal countdown from a window opened earlier", async () => {
    writeCaptivePortalUntil(new Date(Date.now() + 90_000));
    const renderer = await renderState("blocking");
    expect(menu(renderer)["#0"]).toContain("Captive Portal Open · 2 min left");
  });

  it("shows the captive-portal countdown from the status, which wins over the remembered window", async () => {
    networkReader.readStatusNetwork.mockResolvedValue(statusNetwork(VPN_DOWN));
    lifecycle.getKillSwitchStatus.mockResolvedValue({
      ...statusFor("blocking"),
      captivePortalUntil: new Date(Date.now() + 4 * 60_000 - 1000),
    });
    const renderer = await render(<Command />);
    expect(menu(renderer)["#0"]).toContain("Captive Portal Open · 4 min left");
    expect(readCachedSnapshot()?.captivePortalUntil).not.toBeNull();

    // The root timer closed the window: the state file says so, whatever the command that opened it remembers.
    writeCaptivePortalUntil(new Date(Date.now() + 90_000));
    lifecycle.getKillSwitchStatus.mockResolvedValue({ ...statusFor("blocking"), captivePortalUntil: null });
    const closed = await render(<Command />);
    expect(menu(closed)["#0"].some((line) => line.startsWith("Captive Portal Open"))).toBe(false);
    expect(menuBar(closed).props.isLoading).toBe(false);
  });

  it("reports stored exceptions that cannot be read", async () => {
    await LocalStorage.setItem(LEGACY_EXCEPTIONS_KEY, JSON.stringify([PRINTER, { address: "not an address!" }]));
    const renderer = await renderState("protected");
    expect(menu(renderer)["#0"]).toContain("1 stored exception(s) could not be read: see Manage Exceptions");
    expect(all(renderer, "MenuBarExtra.Item").some((node) => node.props.title === "Printer")).toBe(true);
  });
});
