import { beforeEach, describe, expect, it, vi } from "vitest";
import enableCommand from "../../src/enable-kill-switch";
import { KillSwitchError } from "../../src/lifecycle";
import { CAPTIVE_PORTAL_MINUTES, parseLaunchContext } from "../../src/raycast/actions/launch-context";
import {
  readCachedSnapshot,
  readCaptivePortalUntil,
  writeCaptivePortalUntil,
} from "../../src/raycast/stores/snapshot-cache";
import { LaunchType, raycast, resetRaycast } from "../mocks/raycast-api";
import { storeExceptions } from "./user-settings";
import { HOME_ID, VPN_UP, changeFor, launchProps, lifecycle, networkReader, resetSpies, statusFor } from "./helpers";

vi.mock("../../src/lifecycle", async (original) => (await import("./helpers")).withLifecycleSpies(await original()));
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("./helpers")).withNetworkSpy(await original()),
);

const PRINTER = { id: "p", address: "192.168.1.20", protocol: "tcp", port: "631", scope: HOME_ID, label: "Printer" };
const CANCELLED = new KillSwitchError("cancelled", "Cancelled: nothing was changed.", true);
const MENU_BAR_REFRESH = { name: "kill-switch-status", type: LaunchType.Background, context: undefined };

beforeEach(() => {
  resetRaycast();
  resetSpies();
  raycast.preferences = { vpnServers: "198.51.100.7" };
  lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("protected"));
  lifecycle.applyKillSwitch.mockImplementation(async (request) =>
    changeFor("apply", request.settings, request.network, "protected", request.captivePortalUntil),
  );
});

describe("parseLaunchContext", () => {
  it("reads no context as Enable, and each action with its fields", () => {
    expect(parseLaunchContext(undefined)).toEqual({ ok: true, context: { reason: "enable" } });
    expect(parseLaunchContext({ reason: "apply" })).toEqual({ ok: true, context: { reason: "apply" } });
    expect(parseLaunchContext({ reason: "apply", change: "Printer Blocked" })).toEqual({
      ok: true,
      context: { reason: "apply", change: "Printer Blocked" },
    });
    for (const minutes of CAPTIVE_PORTAL_MINUTES) {
      expect(parseLaunchContext({ reason: "captive-portal", captivePortalMinutes: minutes })).toEqual({
        ok: true,
        context: { reason: "captive-portal", captivePortalMinutes: minutes },
      });
    }
  });

  it.each([
    ["str", 'Launch context: expected object, got "str"'],
    [
      {},
      "Launch context: reason: nothing is not one of enable, apply, captive-portal, close-captive-portal, clear-blocked-traffic",
    ],
    [
      { reason: "uninstall" },
      'Launch context: reason: "uninstall" is not one of enable, apply, captive-portal, close-captive-portal, clear-blocked-traffic',
    ],
    [
      { reason: "captive-portal", captivePortalMinutes: 60 },
      "Launch context: captivePortalMinutes: 60 is not one of 2, 5",
    ],
    [
      { reason: "captive-portal" },
      "Launch context: captivePortalMinutes: required for the captive-portal reason, one of 2, 5",
    ],
    [{ reason: "apply", change: 42 }, "Launch context: change: expected string, got 42"],
    [
      { reason: "apply", change: "x".repeat(81) },
      `Launch context: change: "${"x".repeat(81)}" is longer than 80 characters`,
    ],
  ])("refuses %j and names the field and the value", (value, error) => {
    expect(parseLaunchContext(value)).toEqual({ ok: false, error });
  });
});

describe("Enable Kill Switch launched to apply changed exceptions", () => {
  it("reloads the rules with the stored exceptions (one prompt) and says what changed", async () => {
    storeExceptions([{ ...PRINTER, enabled: false }]);

    await enableCommand(launchProps({ reason: "apply", change: "Printer Blocked" }));

    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    expect(lifecycle.applyKillSwitch).toHaveBeenCalledTimes(1);
    const request = lifecycle.applyKillSwitch.mock.calls[0][0];
    expect(request).toMatchObject({ network: VPN_UP, captivePortalUntil: null });
    expect(request.keepConnections).toBeUndefined();
    expect(request.settings.exceptions).toMatchObject([{ address: "192.168.1.20", enabled: false }]);
    expect(raycast.huds).toEqual(["Printer Blocked · kill switch rules reloaded"]);
    expect(raycast.launches).toEqual([MENU_BAR_REFRESH]);
    expect(readCachedSnapshot()?.state).toBe("protected");
  });

  it("keeps an open captive-portal window open for the rest of its time", async () => {
    const until = new Date(Date.now() + 3 * 60_000);
    writeCaptivePortalUntil(until);

    await enableCommand(launchProps({ reason: "apply" }));

    expect(lifecycle.applyKillSwitch.mock.calls[0][0].captivePortalUntil).toEqual(until);
    expect(raycast.huds).toEqual(["Exceptions Changed · kill switch rules reloaded"]);
    expect(readCachedSnapshot()?.captivePortalUntil).toBe(until.toISOString());
  });

  it("takes the window's end from the status when the state file records it", async () => {
    const until = new Date(Date.now() + 4 * 60_000);
    writeCaptivePortalUntil(new Date(Date.now() + 60_000));
    lifecycle.getKillSwitchStatus.mockResolvedValue({ ...statusFor("blocking"), captivePortalUntil: until });

    await enableCommand(launchProps({ reason: "apply" }));

    expect(lifecycle.applyKillSwitch.mock.calls[0][0].captivePortalUntil).toEqual(until);
  });

  it("asks for nothing when the kill switch went off meanwhile", async () => {
    lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("off"));

    await enableCommand(launchProps({ reason: "apply", change: "Exception Added" }));

    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual(["Exception Added · the kill switch is off: it applies at the next Enable"]);
  });

  it("says the change is saved but not applied when the prompt is cancelled", async () => {
    lifecycle.applyKillSwitch.mockRejectedValue(CANCELLED);

    await enableCommand(launchProps({ reason: "apply", change: "Exception Deleted" }));

    expect(raycast.huds).toEqual(["Exception Deleted, Not Applied · it applies at the next Enable"]);
    expect(raycast.toasts).toEqual([]);
    expect(raycast.launches).toEqual([]);
  });

  it("shows the reason when pf rejects the rules", async () => {
    lifecycle.applyKillSwitch.mockRejectedValue(
      new KillSwitchError("rules-rejected", "pf rejected the kill switch rules, so nothing was changed:\nline 9", true),
    );

    await enableCommand(launchProps({ reason: "apply", change: "Exception Added" }));

    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toEqual([
      {
        style: "FAILURE",
        title: "Exception Added, Not Applied",
        message: "pf rejected the kill switch rules, so nothing was changed:\nline 9",
      },
    ]);
  });
});

describe("Enable Kill Switch launched to allow a captive portal", () => {
  beforeEach(() => {
    // The window is for a kill switch blocking for want of the VPN: a sign-in page comes before the VPN connects.
    lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("blocking"));
  });

  it("opens nothing while the VPN is connected: the window would only let traffic out", async () => {
    lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("protected"));
    await enableCommand(launchProps({ reason: "captive-portal", captivePortalMinutes: 2 }));
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual(["The VPN Is Connected · a sign-in page only matters before it connects"]);
  });

  it("closes an open window at once, cutting what passed through it, and says when none is open", async () => {
    await enableCommand(launchProps({ reason: "close-captive-portal" }));
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual(["No Captive Portal Window Is Open"]);

    const until = new Date(Date.now() + 60_000);
    lifecycle.getKillSwitchStatus.mockResolvedValue({ ...statusFor("blocking"), captivePortalUntil: until });
    await enableCommand(launchProps({ reason: "close-captive-portal" }));
    expect(lifecycle.applyKillSwitch.mock.calls[0][0]).toMatchObject({ captivePortalUntil: null });
    expect(lifecycle.applyKillSwitch.mock.calls[0][0].keepConnections).toBeUndefined();
    expect(raycast.huds.at(-1)).toBe("Captive Portal Closed · DNS and web blocked outside the VPN again");
    expect(readCaptivePortalUntil(new Date())).toBeNull();
  });

  it("reloads the rules with the window's end, keeping connections, and remembers it for the menu bar", async () => {
    const before = Date.now();
    await enableCommand(launchProps({ reason: "captive-portal", captivePortalMinutes: 2 }));

    const request = lifecycle.applyKillSwitch.mock.calls[0][0];
    expect(request).toMatchObject({ keepConnections: true, network: VPN_UP });
    const until = (request.captivePortalUntil as Date).getTime();
    expect(until - before).toBeGreaterThanOrEqual(2 * 60_000);
    expect(until - Date.now()).toBeLessThanOrEqual(2 * 60_000);
    expect(readCaptivePortalUntil(new Date())?.getTime()).toBe(until);
    expect(readCachedSnapshot()?.captivePortalUntil).toBe(new Date(until).toISOString());
    expect(raycast.huds).toEqual([
      "Captive Portal Allowed for 2 Minutes · DNS and web open outside the VPN · Open any web page to get the sign-in page, sign in, then connect the VPN; close the window as soon as it connects",
    ]);
    expect(raycast.launches).toEqual([MENU_BAR_REFRESH]);
  });

  it("does nothing when the kill switch is off", async () => {
    lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("off"));
    await enableCommand(launchProps({ reason: "captive-portal", captivePortalMinutes: 5 }));
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual(["Kill Switch Off · nothing blocks the sign-in page"]);
  });

  it("is quiet when the prompt is cancelled and shows the reason when it fails", async () => {
    lifecycle.applyKillSwitch.mockRejectedValueOnce(CANCELLED);
    await enableCommand(launchProps({ reason: "captive-portal", captivePortalMinutes: 5 }));
    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toEqual([]);
    expect(readCaptivePortalUntil(new Date())).toBeNull();

    lifecycle.applyKillSwitch.mockRejectedValueOnce(
      new KillSwitchError(
        "resolve",
        'Cannot resolve host names, so nothing was changed:\n  vpnServers[0]: "vpn.example.com" could not be resolved',
        true,
      ),
    );
    await enableCommand(launchProps({ reason: "captive-portal", captivePortalMinutes: 5 }));
    expect(raycast.toasts[0]).toMatchObject({ style: "FAILURE", title: "Could Not Open the Captive Portal Window" });
    expect(raycast.toasts[0].message).toContain("vpn.example.com");
    expect(readCaptivePortalUntil(new Date())).toBeNull();
  });

  it("says why when the network cannot be read", async () => {
    networkReader.readNetworkState.mockRejectedValue(new Error("scutil: timed out"));
    await enableCommand(launchProps({ reason: "captive-portal", captivePortalMinutes: 5 }));
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(raycast.toasts[0]).toMatchObject({ title: "Could Not Open the Captive Portal Window" });
    expect(raycast.toasts[0].message).toBe("scutil: timed out");
  });
});

describe("Enable Kill Switch launched with a context it does not know", () => {
  it("changes nothing and names the bad field and value", async () => {
    await enableCommand(launchProps({ reason: "captive-portal", captivePortalMinutes: 60 }));

    expect(lifecycle.getKillSwitchStatus).not.toHaveBeenCalled();
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    expect(raycast.toasts).toEqual([
      {
        style: "FAILURE",
        title: "Could Not Start the Kill Switch Action",
        message: "Launch context: captivePortalMinutes: 60 is not one of 2, 5",
      },
    ]);
  });
});
