import { beforeEach, describe, expect, it, vi } from "vitest";
import { NameConfirmationError } from "../../src/lifecycle";
import enableCommand from "../../src/enable-kill-switch";
import { LocalStorage, raycast, resetRaycast } from "../mocks/raycast-api";
import { readUserSettings, storeExceptions } from "./user-settings";
import { changeFor, launchProps, lifecycle, resetSpies } from "./helpers";

vi.mock("../../src/lifecycle", async (original) => (await import("./helpers")).withLifecycleSpies(await original()));
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("./helpers")).withNetworkSpy(await original()),
);

beforeEach(async () => {
  resetRaycast();
  resetSpies();
  raycast.preferences = { vpnServers: "198.51.100.7:1194/udp" };
  storeExceptions([{ id: "nas", address: "nas.example.net", protocol: "any", scope: "all", label: "NAS" }]);
  // Not the first Enable: its message is tested in enable-outcomes.
  await LocalStorage.setItem("first-enable-shown", true);
});

const NAS = { field: "exceptions[0].address", host: "nas.example.net", addresses: ["93.184.216.34"] };

/** Enable as the lifecycle does it: it stops on the name unless its addresses are among the confirmed ones. */
function enableUnlessConfirmed(addresses: string[]) {
  lifecycle.enableKillSwitch.mockImplementation(async (request) => {
    const confirmed = request.confirmedAddresses?.["nas.example.net"] ?? [];
    if (!addresses.every((a) => confirmed.includes(a))) {
      throw new NameConfirmationError([{ ...NAS, addresses }], "names to confirm");
    }
    return changeFor("enable", request.settings, request.network, "protected");
  });
}

describe("Enable with a host name the network resolved", () => {
  it("lists the addresses in a confirmation, passes them once allowed, and keeps the answer", async () => {
    enableUnlessConfirmed(["93.184.216.34"]);
    raycast.alertAnswer = true;
    await enableCommand(launchProps());
    expect(raycast.alerts).toEqual([
      expect.objectContaining({
        title: "Allow This Address Outside the VPN?",
        message: expect.stringContaining("nas.example.net → 93.184.216.34"),
      }),
    ]);
    expect(lifecycle.enableKillSwitch).toHaveBeenCalledTimes(2);
    expect(lifecycle.enableKillSwitch.mock.calls[1][0].confirmedAddresses).toEqual({
      "nas.example.net": ["93.184.216.34"],
    });
    expect(raycast.huds).toHaveLength(1);
    // Kept: the next Enable passes the answer and asks nothing.
    await enableCommand(launchProps());
    expect(raycast.alerts).toHaveLength(1);
    expect(lifecycle.enableKillSwitch).toHaveBeenCalledTimes(3);
  });

  it("changes nothing when the user declines, and asks again for a different answer", async () => {
    enableUnlessConfirmed(["93.184.216.34"]);
    raycast.alertAnswer = false;
    await enableCommand(launchProps());
    expect(lifecycle.enableKillSwitch).toHaveBeenCalledTimes(1);
    expect(raycast.huds).toEqual([]);
    expect(readUserSettings().confirmedAddresses).toBeUndefined();

    raycast.alertAnswer = true;
    await enableCommand(launchProps());
    enableUnlessConfirmed(["203.0.113.66"]);
    await enableCommand(launchProps());
    expect(raycast.alerts.at(-1)?.message).toContain("nas.example.net → 203.0.113.66");
    expect(readUserSettings().confirmedAddresses).toEqual({
      "nas.example.net": ["203.0.113.66"],
    });
  });
});
