import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { KillSwitchError } from "../../src/lifecycle";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import { resolvePolicy } from "../../src/policy/policy";
import { DEFAULT_SETTINGS } from "../../src/policy/settings";
import { RULES_FILE } from "../../src/privileged/paths";
import { allowCaptivePortal } from "../../src/raycast/captive-portal";
import { readCaptivePortalUntil } from "../../src/raycast/status";
import { runVerifyRules } from "../../src/raycast/verify-rules";
import { raycast, resetRaycast } from "../mocks/raycast-api";
import { VPN_UP, changeFor, lifecycle, resetSpies, statusFor } from "./helpers";

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
/** A fake macOS tree, so the saved copy of the rules is read from a temporary directory. */
const fakeRoot = vi.hoisted(() => ({ path: "" }));
vi.mock("../../src/raycast/macos-commands", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/raycast/macos-commands")>();
  return { ...actual, macosCommands: () => actual.createMacosCommands(fakeRoot.path) };
});

const NOW = new Date();
const SETTINGS = { ...DEFAULT_SETTINGS, vpnServers: ["198.51.100.7"] };

async function saveRules(text: string): Promise<void> {
  const file = join(fakeRoot.path, RULES_FILE);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

async function builtRules(): Promise<string> {
  const resolved = await resolvePolicy(SETTINGS);
  if (!resolved.ok) throw new Error(resolved.errors.join("; "));
  return buildKillSwitchAnchor({ policy: resolved.policy, network: VPN_UP, now: NOW });
}

beforeEach(async () => {
  resetRaycast();
  resetSpies();
  fakeRoot.path = await mkdtemp(join(tmpdir(), "ks-verify-"));
  raycast.preferences = { vpnServers: "198.51.100.7" };
  lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("protected"));
});

describe("Verify Rules", () => {
  it("checks the rules last loaded against the policy on this network, without a prompt", async () => {
    await saveRules(await builtRules());
    await runVerifyRules(NOW);

    expect(raycast.huds).toEqual(["Rules Verified · nothing leaves outside the VPN on this network"]);
    expect(raycast.toasts).toEqual([]);
    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
  });

  it("lists what leaks when the rules no longer keep the promise", async () => {
    const leaky = (await builtRules()).replace("block return out quick all\n", "");
    await saveRules(leaky);
    await runVerifyRules(NOW);

    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toHaveLength(1);
    expect(raycast.toasts[0].style).toBe("FAILURE");
    expect(raycast.toasts[0].title).toMatch(/^Rules Do Not Match \(\d+ problems?\)$/);
    expect(raycast.toasts[0].message).toContain("Enable the kill switch again to reload them.");
  });

  it("has nothing to verify when the kill switch is off", async () => {
    lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("off"));
    await runVerifyRules(NOW);
    expect(raycast.huds).toEqual(["Kill Switch Off · no rules to verify"]);
  });

  it("says why when the saved rules cannot be read", async () => {
    await runVerifyRules(NOW);
    expect(raycast.toasts[0].title).toBe("Could Not Verify the Rules");
    expect(raycast.toasts[0].message).toContain("ENOENT");
  });
});

describe("Allow Captive Portal", () => {
  it("reloads the rules with the window's end, keeping connections, and remembers it for the menu bar", async () => {
    lifecycle.applyKillSwitch.mockImplementation(async (request) =>
      changeFor("apply", request.settings, request.network, "protected", request.captivePortalUntil),
    );
    await allowCaptivePortal(2, NOW);

    const request = lifecycle.applyKillSwitch.mock.calls[0][0];
    expect(request).toMatchObject({ keepConnections: true, network: VPN_UP });
    expect((request.captivePortalUntil as Date).getTime()).toBe(NOW.getTime() + 2 * 60_000);
    expect(readCaptivePortalUntil(NOW)?.getTime()).toBe(NOW.getTime() + 2 * 60_000);
    expect(raycast.huds).toEqual(["Captive Portal Allowed for 2 Minutes · DNS and web open outside the VPN"]);
    expect(raycast.launches.map((launch) => launch.name)).toEqual(["kill-switch-status"]);
  });

  it("does nothing when the kill switch is off", async () => {
    lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("off"));
    await allowCaptivePortal(5, NOW);
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(raycast.huds).toEqual(["Kill Switch Off · nothing blocks the sign-in page"]);
  });

  it("is quiet when the prompt is cancelled and shows the reason when it fails", async () => {
    lifecycle.applyKillSwitch.mockRejectedValueOnce(
      new KillSwitchError("cancelled", "Cancelled: nothing was changed.", true),
    );
    await allowCaptivePortal(5, NOW);
    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toEqual([]);
    expect(readCaptivePortalUntil(NOW)).toBeNull();

    lifecycle.applyKillSwitch.mockRejectedValueOnce(
      new KillSwitchError(
        "resolve",
        'Cannot resolve host names, so nothing was changed:\n  vpnServers[0]: "vpn.example.com" could not be resolved',
        true,
      ),
    );
    await allowCaptivePortal(5, NOW);
    expect(raycast.toasts[0]).toMatchObject({ style: "FAILURE", title: "Could Not Open the Captive Portal Window" });
    expect(raycast.toasts[0].message).toContain("vpn.example.com");
  });
});
