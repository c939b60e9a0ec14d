import { beforeEach, describe, expect, it, vi } from "vitest";
import type { KillSwitchState } from "../../src/lifecycle";
import Command from "../../src/kill-switch-status";
import { EXCEPTIONS_STORAGE_KEY } from "../../src/raycast/exception-store";
import { readCachedSnapshot, writeCachedSnapshot, writeCaptivePortalUntil } from "../../src/raycast/status";
import { LaunchType, LocalStorage, environment, raycast, resetRaycast } from "../mocks/raycast-api";
import { HOME_ID, VPN_DOWN, VPN_UP, changeFor, lifecycle, networkReader, resetSpies, statusFor } from "./helpers";
import { act } from "react-test-renderer";
import { all, click, item, one, render, sections, settle } from "./render";

vi.mock("../../src/lifecycle", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/lifecycle")>();
  const { lifecycle } = await import("./helpers");
  return { ...actual, ...lifecycle };
});
vi.mock("../../src/raycast/network", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/raycast/network")>();
  const { networkReader } = await import("./helpers");
  return { ...actual, readNetworkState: networkReader.readNetworkState };
});

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
  networkReader.readNetworkState.mockResolvedValue(network);
  lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor(state));
  return render(<Command />);
}

const menuBar = (renderer: Awaited<ReturnType<typeof render>>) => one(renderer, "MenuBarExtra");
const menu = (renderer: Awaited<ReturnType<typeof render>>) =>
  sections(renderer, "MenuBarExtra.Section", "MenuBarExtra.Item");

describe("Kill Switch Status menu bar", () => {
  it("Protected: shield with a check, the tunnel, the server, the network, and Disable", async () => {
    raycast.preferences = { vpnServers: "198.51.100.7" };
    const renderer = await renderState("protected");

    expect(menuBar(renderer).props).toMatchObject({
      icon: { source: "menu-bar-protected.png" },
      title: undefined,
      tooltip: "VPN Kill Switch: Protected: traffic leaves only through the VPN (utun4).",
      isLoading: false,
    });
    expect(menu(renderer)).toEqual({
      "#0": ["Kill Switch On · Protected", "Checked just now"],
      VPN: ["Tunnel utun4", "Server 198.51.100.7"],
      "Network: Example Home": ["Gateway 192.168.1.1 (3c:a6:2f:08:1e:7b)", "Subnet 192.168.1.0/24", "Interface en0"],
      "Exceptions Here": ["None for this network"],
      "#4": [
        "Disable Kill Switch",
        "Add Exception…",
        "Manage Exceptions…",
        "Allow Captive Portal for 2 Minutes",
        "Allow Captive Portal for 5 Minutes",
        "Verify Rules",
        "Open Preferences",
      ],
    });
    expect(lifecycle.getKillSwitchStatus).toHaveBeenCalledWith(expect.objectContaining({ network: VPN_UP }));
  });

  it("Blocking: says why and what to do, offers the captive-portal window", async () => {
    const renderer = await renderState("blocking");

    expect(menuBar(renderer).props.icon.source).toBe("menu-bar-blocking.png");
    expect(menuBar(renderer).props.isLoading).toBe(false);
    const shown = menu(renderer);
    expect(shown["#0"]).toEqual([
      "Kill Switch On · Blocking",
      "Connect the VPN: until then nothing leaves this Mac but the VPN's own connection and link plumbing.",
      "Checked just now",
    ]);
    expect(shown.VPN).toEqual(["No VPN tunnel"]);
    expect(shown["#4"]).toContain("Allow Captive Portal for 5 Minutes");
    expect(shown["#4"]).toContain("Disable Kill Switch");
    expect(shown["#4"]).not.toContain("Enable Kill Switch");
  });

  it("Degraded: offers Enable (to repair) and Disable", async () => {
    const renderer = await renderState("degraded");

    expect(menuBar(renderer).props.icon.source).toBe("menu-bar-degraded.png");
    expect(menuBar(renderer).props.isLoading).toBe(false);
    expect(menu(renderer)["#0"][0]).toBe("Kill Switch On · Degraded");
    expect(menu(renderer)["#0"][1]).toContain("pf forgets its rules at every restart");
    expect(menu(renderer)["#4"].slice(0, 2)).toEqual(["Enable Kill Switch", "Disable Kill Switch"]);
  });

  it("Off: outlined shield, Enable only, no captive portal or verify", async () => {
    const renderer = await renderState("off", VPN_UP);

    expect(menuBar(renderer).props).toMatchObject({ icon: { source: "menu-bar-off.png" }, isLoading: false });
    const actions = menu(renderer)["#4"];
    expect(actions).toEqual(["Enable Kill Switch", "Add Exception…", "Manage Exceptions…", "Open Preferences"]);
    expect(menu(renderer).VPN).toEqual(["Tunnel utun4", "Server 198.51.100.7"]);
  });

  it("Unknown: shows the reason, offers both Enable and Disable", async () => {
    const renderer = await renderState("unknown");

    expect(menuBar(renderer).props).toMatchObject({ icon: { source: "menu-bar-unknown.png" }, isLoading: false });
    expect(menu(renderer)["#0"]).toContain("/Library/Application Support/com.vpnkillswitch.raycast/state.json: EACCES");
    expect(menu(renderer)["#4"].slice(0, 2)).toEqual(["Enable Kill Switch", "Disable Kill Switch"]);
  });

  it("becomes Unknown with the reason, and stops loading, when the status cannot be read", async () => {
    lifecycle.getKillSwitchStatus.mockRejectedValue(new Error("sysctl: permission denied"));
    const renderer = await render(<Command />);

    expect(menuBar(renderer).props).toMatchObject({ icon: { source: "menu-bar-unknown.png" }, isLoading: false });
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
    });
    let answer: (value: unknown) => void = () => undefined;
    lifecycle.getKillSwitchStatus.mockReturnValue(new Promise((resolve) => (answer = resolve)));

    const renderer = await render(<Command />);
    expect(menuBar(renderer).props).toMatchObject({ icon: { source: "menu-bar-protected.png" }, isLoading: true });
    expect(menu(renderer)["#0"]).toContain("Checked 3 min ago");

    await act(async () => answer(statusFor("off")));
    await settle();
    expect(menuBar(renderer).props).toMatchObject({ icon: { source: "menu-bar-off.png" }, isLoading: false });
    expect(readCachedSnapshot()?.state).toBe("off");
  });

  it("shows the state as text when the preference asks for it", async () => {
    raycast.preferences = { showStateInMenuBar: true };
    const renderer = await renderState("blocking");
    expect(menuBar(renderer).props.title).toBe("Blocking");
  });

  it("never prompts, shows a HUD or changes anything in a background run", async () => {
    await LocalStorage.setItem(EXCEPTIONS_STORAGE_KEY, JSON.stringify([PRINTER]));
    await renderState("protected");

    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(lifecycle.disableKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toEqual([]);
    expect(raycast.alerts).toEqual([]);
  });

  it("lists the exceptions for this network and all networks, each toggleable", async () => {
    await LocalStorage.setItem(EXCEPTIONS_STORAGE_KEY, JSON.stringify([PRINTER, NAS, OFFICE]));
    const renderer = await renderState("protected");

    expect(menu(renderer)["Exceptions Here"]).toEqual([
      "Printer TCP 631 · 192.168.1.20",
      "nas.example.com All traffic",
    ]);
    expect(item(renderer, "MenuBarExtra.Item", "Printer").props.icon).toBe("CheckCircle");
    expect(item(renderer, "MenuBarExtra.Item", "nas.example.com").props.icon).toBe("Circle");
  });

  it("toggling an exception while on saves it and reloads the rules (one prompt)", async () => {
    await LocalStorage.setItem(EXCEPTIONS_STORAGE_KEY, JSON.stringify([PRINTER]));
    lifecycle.applyKillSwitch.mockImplementation(async (request) =>
      changeFor("apply", request.settings, request.network, "protected"),
    );
    const renderer = await renderState("protected");
    environment.launchType = LaunchType.UserInitiated;

    await click(item(renderer, "MenuBarExtra.Item", "Printer"));

    expect(lifecycle.applyKillSwitch).toHaveBeenCalledTimes(1);
    expect(lifecycle.applyKillSwitch.mock.calls[0][0].settings.exceptions).toMatchObject([
      { id: "printer", enabled: false },
    ]);
    expect(raycast.huds).toEqual(["Printer Blocked"]);
    expect(JSON.parse((await LocalStorage.getItem<string>(EXCEPTIONS_STORAGE_KEY)) ?? "")[0].enabled).toBe(false);
    expect(item(renderer, "MenuBarExtra.Item", "Printer").props.icon).toBe("Circle");
    expect(menuBar(renderer).props.isLoading).toBe(false);
  });

  it("Enable, Disable, Add Exception and Manage Exceptions open their commands", async () => {
    const renderer = await renderState("unknown");
    environment.launchType = LaunchType.UserInitiated;

    for (const title of ["Enable Kill Switch", "Disable Kill Switch", "Add Exception…", "Manage Exceptions…"]) {
      await click(item(renderer, "MenuBarExtra.Item", title));
    }

    expect(raycast.launches).toEqual([
      { name: "enable-kill-switch", type: LaunchType.UserInitiated, context: undefined },
      { name: "disable-kill-switch", type: LaunchType.UserInitiated, context: undefined },
      { name: "add-exception", type: LaunchType.UserInitiated, context: undefined },
      { name: "manage-exceptions", type: LaunchType.UserInitiated, context: undefined },
    ]);
  });

  it("Open Preferences opens the extension's preferences", async () => {
    const renderer = await renderState("off");
    await click(item(renderer, "MenuBarExtra.Item", "Open Preferences"));
    expect(raycast.openedPreferences).toBe(1);
  });

  it("opens the captive-portal window for 5 minutes and shows the time left", async () => {
    lifecycle.applyKillSwitch.mockImplementation(async (request) =>
      changeFor("apply", request.settings, request.network, "blocking", request.captivePortalUntil),
    );
    raycast.preferences = { vpnServers: "198.51.100.7" };
    const renderer = await renderState("blocking");
    environment.launchType = LaunchType.UserInitiated;
    const before = Date.now();

    await click(item(renderer, "MenuBarExtra.Item", "Allow Captive Portal for 5 Minutes"));

    expect(lifecycle.applyKillSwitch).toHaveBeenCalledTimes(1);
    const request = lifecycle.applyKillSwitch.mock.calls[0][0];
    expect(request.keepConnections).toBe(true);
    const until = (request.captivePortalUntil as Date).getTime();
    expect(until - before).toBeGreaterThanOrEqual(5 * 60_000 - 1000);
    expect(until - before).toBeLessThanOrEqual(5 * 60_000 + 1000);
    expect(raycast.huds).toEqual(["Captive Portal Allowed for 5 Minutes · DNS and web open outside the VPN"]);
    expect(menu(renderer)["#0"]).toContain("Captive Portal Open · 5 min left");
    expect(menuBar(renderer).props.isLoading).toBe(false);
  });

  it("shows the captive-portal countdown from a window opened earlier", async () => {
    writeCaptivePortalUntil(new Date(Date.now() + 90_000));
    const renderer = await renderState("blocking");
    expect(menu(renderer)["#0"]).toContain("Captive Portal Open · 2 min left");
  });

  it("reports stored exceptions that cannot be read", async () => {
    await LocalStorage.setItem(EXCEPTIONS_STORAGE_KEY, JSON.stringify([PRINTER, { address: "not an address!" }]));
    const renderer = await renderState("protected");
    expect(menu(renderer)["#0"]).toContain("1 stored exception(s) could not be read: see Manage Exceptions");
    expect(all(renderer, "MenuBarExtra.Item").some((node) => node.props.title === "Printer")).toBe(true);
  });
});
