import { beforeEach, describe, expect, it, vi } from "vitest";
import { KillSwitchError } from "../../src/lifecycle";
import { noServerToKeep } from "../../src/lifecycle/actions";
import { DEFAULT_SETTINGS } from "../../src/policy/settings";
import disableCommand from "../../src/disable-kill-switch";
import enableCommand from "../../src/enable-kill-switch";
import uninstallCommand from "../../src/uninstall-kill-switch";
import { readCachedSnapshot } from "../../src/raycast/stores/snapshot-cache";
import { LaunchType, LocalStorage, raycast, resetRaycast } from "../mocks/raycast-api";
import { storeExceptions, userSettingsFilePath, writeUserSettings } from "./user-settings";
import { HOME_ID, VPN_DOWN, VPN_UP, changeFor, launchProps, lifecycle, networkReader, resetSpies } from "./helpers";

vi.mock("../../src/lifecycle", async (original) => (await import("./helpers")).withLifecycleSpies(await original()));
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("./helpers")).withNetworkSpy(await original()),
);

beforeEach(async () => {
  resetRaycast();
  resetSpies();
  // The first Enable's message is tested on its own: here Enable has run before.
  await LocalStorage.setItem("first-enable-shown", true);
});

/** The toast shown while macOS asks for the password: its title says what is about to change. */
const ABOUT_TO_CHANGE = {
  style: "ANIMATED",
  title: "Blocking all traffic outside the VPN, from now and after every restart",
  message: "macOS asks for an administrator's password (or Touch ID) to change the firewall.",
};

describe("Enable Kill Switch", () => {
  it("enables with one call and says what is in force in a HUD", async () => {
    raycast.preferences = { vpnServers: "198.51.100.7" };
    lifecycle.enableKillSwitch.mockImplementation(async (request) =>
      changeFor("enable", request.settings, request.network, "protected"),
    );

    await enableCommand(launchProps());

    expect(lifecycle.enableKillSwitch).toHaveBeenCalledTimes(1);
    const request = lifecycle.enableKillSwitch.mock.calls[0][0];
    expect(request.settings.vpnServers).toEqual(["198.51.100.7"]);
    expect(request.network).toBe(VPN_UP);
    expect(raycast.huds).toEqual(["Kill Switch On · utun4 · 1 VPN server allowed"]);
    expect(raycast.alerts).toEqual([]);
    expect(raycast.toasts).toEqual([ABOUT_TO_CHANGE]);
    expect(raycast.launches).toEqual([{ name: "kill-switch-status", type: LaunchType.Background, context: undefined }]);
    expect(readCachedSnapshot()).toMatchObject({
      state: "protected",
      tunnels: ["utun4"],
      vpnServers: ["198.51.100.7"],
    });
  });

  it("passes the stored exceptions and mentions the ones active here", async () => {
    storeExceptions([
      { id: "p", address: "192.168.1.20", protocol: "tcp", port: "631", scope: HOME_ID, label: "Printer" },
    ]);
    lifecycle.enableKillSwitch.mockImplementation(async (request) =>
      changeFor("enable", request.settings, request.network, "protected"),
    );

    await enableCommand(launchProps());

    expect(lifecycle.enableKillSwitch.mock.calls[0][0].settings.exceptions).toMatchObject([
      { address: "192.168.1.20", port: "631", scope: HOME_ID },
    ]);
    expect(raycast.huds).toEqual(["Kill Switch On · utun4 · 1 VPN server allowed · 1 exception"]);
  });

  it("uses Raycast's preference where the settings file says otherwise, and says which it used", async () => {
    raycast.preferences = { vpnServers: "198.51.100.7", allowLan: true };
    // The file (written by the CLI) sets the servers and the local network otherwise, and AirDrop as Raycast does.
    writeUserSettings({ vpnServers: ["vpn.example.com/ikev2"], allowLan: false, allowAirDrop: true, exceptions: [] });
    lifecycle.enableKillSwitch.mockImplementation(async (request) =>
      changeFor("enable", request.settings, request.network, "protected"),
    );

    await enableCommand(launchProps());

    const request = lifecycle.enableKillSwitch.mock.calls[0][0];
    expect(request.settings).toMatchObject({ vpnServers: ["198.51.100.7"], allowLan: true });
    expect(raycast.huds).toEqual([]);
    expect(raycast.alerts).toEqual([
      {
        title: "Kill Switch On · 1 Note",
        message:
          "Raycast's preferences used: VPN Servers 198.51.100.7 (settings file: vpn.example.com/ikev2); Local Network on (settings file: off)\n\n" +
          "Kill Switch On · utun4 · 1 VPN server allowed · local network allowed",
        primaryAction: { title: "OK" },
        dismissAction: { title: "Test Kill Switch" },
      },
    ]);
  });

  it("refuses with a settings file it cannot read, naming it, and changes nothing", async () => {
    writeUserSettings({ exceptions: [{ address: "printer!!" }] });

    await enableCommand(launchProps());

    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    expect(raycast.failureToasts).toMatchObject([
      {
        title: "Check the Kill Switch Settings File",
        message: `settings file ${userSettingsFilePath()} holds invalid settings:\n  exceptions[0].address: "printer!!" is not an IPv4/IPv6 address, CIDR network or host name`,
      },
    ]);
    expect(raycast.huds).toEqual([]);
  });

  it("says it blocks until the VPN connects when no tunnel is up but a server is known", async () => {
    raycast.preferences = { vpnServers: "203.0.113.9:51820/udp" };
    networkReader.readNetworkState.mockResolvedValue(VPN_DOWN);
    lifecycle.enableKillSwitch.mockImplementation(async (request) =>
      changeFor("enable", request.settings, request.network, "blocking"),
    );

    await enableCommand(launchProps());

    expect(raycast.alerts).toEqual([]);
    expect(raycast.huds).toEqual(["Kill Switch On · Blocking until the VPN connects · 1 VPN server allowed"]);
  });

  it("asks before enabling when no VPN is connected and no server is known, and stops quietly on Cancel", async () => {
    raycast.preferences = { protectFromStartup: false };
    networkReader.readNetworkState.mockResolvedValue(VPN_DOWN);
    raycast.alertAnswer = false;

    await enableCommand(launchProps());

    expect(raycast.alerts).toHaveLength(1);
    expect(raycast.alerts[0].title).toBe("No VPN Connected");
    expect(raycast.alerts[0].message).toContain("VPN Servers");
    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toEqual([]);
  });

  it("says, when no VPN is connected and no server is known, to connect it first, in an alert with Open Preferences", async () => {
    networkReader.readNetworkState.mockResolvedValue(VPN_DOWN);
    lifecycle.enableKillSwitch.mockRejectedValue(new KillSwitchError("no-server", noServerToKeep(false), true));

    await enableCommand(launchProps());

    expect(lifecycle.enableKillSwitch).toHaveBeenCalledTimes(1);
    expect(raycast.alerts).toEqual([
      {
        title: "Connect Your VPN First",
        message:
          "The kill switch keeps your VPN's server reachable, also after a restart, and no server is known yet. Connect your VPN and enable again, or name its server under VPN Servers in Preferences. Nothing was changed.",
        primaryAction: { title: "Open Preferences", style: "default" },
        dismissAction: { title: "Cancel" },
      },
    ]);
    expect(raycast.openedPreferences).toBe(1);
    expect(raycast.failureToasts).toEqual([]);
    expect(raycast.huds).toEqual([]);
  });

  it("says, when the VPN is connected but its server was not found, that and not to connect it, and offers to enable without startup protection", async () => {
    lifecycle.enableKillSwitch
      .mockRejectedValueOnce(new KillSwitchError("no-server", noServerToKeep(true), true))
      .mockImplementation(async (request) => changeFor("enable", request.settings, request.network, "protected"));

    await enableCommand(launchProps());

    expect(raycast.alerts[0]).toEqual({
      title: "VPN Server Not Found",
      message:
        "Your VPN is connected, but its server was not found on this Mac, so the kill switch cannot keep it reachable after a restart. Name the server under VPN Servers in Preferences, or enable without startup protection: the kill switch then lasts until the next restart. Nothing was changed.",
      primaryAction: { title: "Enable Without Startup Protection", style: "default" },
      dismissAction: { title: "Open Preferences" },
    });
    expect(raycast.alerts[0].message).not.toContain("Connect");
    expect(lifecycle.enableKillSwitch).toHaveBeenCalledTimes(2);
    expect(lifecycle.enableKillSwitch.mock.calls[0][0].settings.protectFromStartup).toBe(true);
    expect(lifecycle.enableKillSwitch.mock.calls[1][0].settings.protectFromStartup).toBe(false);
    // The first line was withdrawn with the refusal; the second says the restart is not covered.
    expect(raycast.toasts.map((toast) => toast.title)).toEqual([
      "Blocking all traffic outside the VPN, until the next restart",
    ]);
    expect(raycast.huds).toEqual(["Kill Switch On · utun4 · 1 VPN server allowed"]);
  });

  it("opens Preferences, and enables nothing, when the user picks that instead", async () => {
    raycast.alertAnswer = false;
    lifecycle.enableKillSwitch.mockRejectedValue(new KillSwitchError("no-server", noServerToKeep(true), true));

    await enableCommand(launchProps());

    expect(lifecycle.enableKillSwitch).toHaveBeenCalledTimes(1);
    expect(raycast.openedPreferences).toBe(1);
    expect(raycast.huds).toEqual([]);
  });

  it("says which server name did not resolve in an alert, with Open Preferences", async () => {
    lifecycle.enableKillSwitch.mockRejectedValue(
      new KillSwitchError(
        "resolve",
        "Cannot resolve host names, so nothing was changed:\n  vpnServers: vpn.example.com: ENOTFOUND",
        true,
        "vpnServers: vpn.example.com: ENOTFOUND",
      ),
    );

    await enableCommand(launchProps());

    expect(raycast.alerts).toEqual([
      {
        title: "A Server Name Did Not Resolve",
        message:
          "vpnServers: vpn.example.com: ENOTFOUND\n\nCheck the name in Preferences, or use the server's IP address. Nothing was changed.",
        primaryAction: { title: "Open Preferences", style: "default" },
        dismissAction: { title: "Cancel" },
      },
    ]);
    expect(raycast.failureToasts).toEqual([]);
  });

  it("enables in blocking mode when the user confirms", async () => {
    raycast.preferences = { protectFromStartup: false };
    networkReader.readNetworkState.mockResolvedValue(VPN_DOWN);
    raycast.alertAnswer = true;
    lifecycle.enableKillSwitch.mockImplementation(async (request) =>
      changeFor("enable", request.settings, request.network, "blocking"),
    );

    await enableCommand(launchProps());

    expect(raycast.alerts[0].primaryAction?.title).toBe("Block All Traffic");
    expect(lifecycle.enableKillSwitch).toHaveBeenCalledTimes(1);
    // No server allowed: the VPN cannot connect through the rules, which is said rather than a success HUD.
    expect(raycast.huds).toEqual([]);
    expect(raycast.alerts[1]).toMatchObject({
      title: "Kill Switch On · 1 Note",
      message: expect.stringContaining("No VPN server is allowed: once the VPN disconnects"),
    });
  });

  it("is quiet when the password dialog is cancelled", async () => {
    lifecycle.enableKillSwitch.mockRejectedValue(
      new KillSwitchError("cancelled", "Cancelled: nothing was changed.", true),
    );

    await enableCommand(launchProps());

    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toEqual([]);
    expect(raycast.launches).toEqual([]);
  });

  it("shows the reason in a failure toast when pf rejects the rules", async () => {
    const error = new KillSwitchError(
      "rules-rejected",
      "pf rejected the kill switch rules, so nothing was changed:\nline 3: syntax error",
      true,
    );
    lifecycle.enableKillSwitch.mockRejectedValue(error);

    await enableCommand(launchProps());

    expect(raycast.huds).toEqual([]);
    expect(raycast.failureToasts).toEqual([{ error, title: "Could Not Enable the Kill Switch", message: undefined }]);
    expect(raycast.toasts).toEqual([expect.objectContaining({ style: "FAILURE" })]);
    expect(raycast.toasts[0].message).toContain("line 3: syntax error");
  });

  it("names the preference and the bad value instead of enabling", async () => {
    raycast.preferences = { vpnServers: "vpn.example.com, not a server!", dnsResolvers: "9.9.9.9, dns.quad9" };

    await enableCommand(launchProps());

    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    // An alert, not a toast: from the menu bar a toast shows its title only.
    expect(raycast.toasts).toEqual([]);
    expect(raycast.alerts[0]).toMatchObject({
      title: "Check the Kill Switch Preferences",
      primaryAction: { title: "Open Preferences" },
    });
    expect(raycast.alerts[0].message).toContain('VPN Servers: "not a server!" is not an IP address');
    expect(raycast.alerts[0].message).toContain('DNS Resolvers: "dns.quad9" is not an IPv4 or IPv6 address');
    expect(raycast.openedPreferences).toBe(1);
  });

  it("still reports success when the menu bar was never activated", async () => {
    raycast.launchError = new Error("Command is not enabled");
    lifecycle.enableKillSwitch.mockImplementation(async (request) =>
      changeFor("enable", request.settings, request.network, "protected"),
    );

    await enableCommand(launchProps());

    expect(raycast.huds).toHaveLength(1);
    expect(raycast.toasts).toEqual([ABOUT_TO_CHANGE]);
  });
});

describe("Disable Kill Switch", () => {
  it("disables with one call, shows a HUD and refreshes the menu bar", async () => {
    raycast.preferences = { authentication: "touchid" };
    lifecycle.disableKillSwitch.mockImplementation(async () => changeFor("disable", DEFAULT_SETTINGS, VPN_UP, "off"));

    await disableCommand();

    expect(lifecycle.disableKillSwitch).toHaveBeenCalledTimes(1);
    expect(lifecycle.disableKillSwitch.mock.calls[0][0]).toMatchObject({ authentication: "touchid", network: VPN_UP });
    expect(raycast.huds).toEqual(["Kill Switch Off · traffic flows normally"]);
    expect(raycast.launches.map((launch) => launch.name)).toEqual(["kill-switch-status"]);
    expect(readCachedSnapshot()?.state).toBe("off");
  });

  it("works even when other preferences are invalid", async () => {
    raycast.preferences = { vpnServers: "???" };
    lifecycle.disableKillSwitch.mockImplementation(async () => changeFor("disable", DEFAULT_SETTINGS, VPN_UP, "off"));

    await disableCommand();

    expect(lifecycle.disableKillSwitch.mock.calls[0][0].authentication).toBe("password");
    expect(raycast.huds).toEqual(["Kill Switch Off · traffic flows normally"]);
  });

  it("is quiet when the password dialog is cancelled", async () => {
    lifecycle.disableKillSwitch.mockRejectedValue(
      new KillSwitchError("cancelled", "Cancelled: nothing was changed.", true),
    );

    await disableCommand();

    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toEqual([]);
    expect(raycast.launches).toEqual([]);
  });

  it("shows the reason when pf cannot flush the anchor", async () => {
    lifecycle.disableKillSwitch.mockRejectedValue(
      new KillSwitchError("load-failed", "pf could not flush the kill switch rules: Resource busy", true),
    );

    await disableCommand();

    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toEqual([
      {
        style: "FAILURE",
        title: "Could Not Disable the Kill Switch",
        message: "pf could not flush the kill switch rules: Resource busy",
      },
    ]);
  });
});

describe("Uninstall Kill Switch", () => {
  it("asks first, then removes everything with one call, shows a HUD and refreshes the menu bar", async () => {
    raycast.preferences = { authentication: "touchid", vpnServers: "???" };
    lifecycle.uninstallKillSwitch.mockImplementation(async () =>
      changeFor("uninstall", DEFAULT_SETTINGS, VPN_UP, "off"),
    );

    await uninstallCommand();

    expect(raycast.alerts).toEqual([
      {
        title: "Uninstall Kill Switch?",
        message: expect.stringContaining("startup watchdog"),
        primaryAction: { title: "Uninstall", style: "destructive" },
        dismissAction: { title: "Cancel" },
      },
    ]);
    expect(lifecycle.uninstallKillSwitch).toHaveBeenCalledTimes(1);
    expect(lifecycle.uninstallKillSwitch.mock.calls[0][0]).toMatchObject({
      authentication: "touchid",
      network: VPN_UP,
    });
    expect(lifecycle.disableKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual(["Kill Switch Uninstalled · its rules, startup watchdog and files are gone"]);
    expect(raycast.launches.map((launch) => launch.name)).toEqual(["kill-switch-status"]);
    expect(readCachedSnapshot()?.state).toBe("off");
  });

  it("changes nothing when the alert is dismissed", async () => {
    raycast.alertAnswer = false;
    await uninstallCommand();
    expect(lifecycle.uninstallKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual([]);
  });

  it("is quiet when the password dialog is cancelled, and shows the reason when it fails", async () => {
    lifecycle.uninstallKillSwitch.mockRejectedValueOnce(
      new KillSwitchError("cancelled", "Cancelled: nothing was changed.", true),
    );
    await uninstallCommand();
    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toEqual([]);

    lifecycle.uninstallKillSwitch.mockRejectedValueOnce(
      new KillSwitchError("load-failed", "pf could not flush the kill switch rules: Resource busy", true),
    );
    await uninstallCommand();
    expect(raycast.toasts).toEqual([
      {
        style: "FAILURE",
        title: "Could Not Uninstall the Kill Switch",
        message: "pf could not flush the kill switch rules: Resource busy",
      },
    ]);
  });
});

describe("Clear Log (launched by Blocked Traffic)", () => {
  it("clears the record with one prompt and says so in a HUD", async () => {
    lifecycle.clearBlockedTraffic.mockImplementation(() =>
      changeFor("clear-log", DEFAULT_SETTINGS, VPN_UP, "protected"),
    );
    await enableCommand(launchProps({ reason: "clear-blocked-traffic" }));
    expect(lifecycle.clearBlockedTraffic).toHaveBeenCalledTimes(1);
    expect(lifecycle.clearBlockedTraffic.mock.calls[0][0]).toMatchObject({ authentication: "password" });
    expect(raycast.failureToasts).toEqual([]);
    expect(raycast.huds).toEqual(["Blocked Traffic Log Cleared"]);
  });
});
