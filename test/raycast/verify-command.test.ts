import { mkdir, writeFile } from "node:fs/promises";

import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { buildKillSwitchAnchor } from "../../src/pf/anchor";
import { resolvePolicy } from "../../src/policy/policy";
import { DEFAULT_SETTINGS } from "../../src/policy/settings";
import { RULES_FILE, STATE_FILE } from "../../src/privileged/paths";
import { runVerifyRules } from "../../src/raycast/actions/verify-rules";
import { writeCaptivePortalUntil } from "../../src/raycast/stores/snapshot-cache";
import verifyCommand from "../../src/verify-kill-switch-rules";
import { raycast, resetRaycast } from "../mocks/raycast-api";
import { VPN_UP, lifecycle, resetSpies, statusFor } from "./helpers";
import { temporaryDirectory } from "../temporary-directory";

vi.mock("../../src/lifecycle", async (original) => (await import("./helpers")).withLifecycleSpies(await original()));
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("./helpers")).withNetworkSpy(await original()),
);
/** A fake macOS tree, so the saved copy of the rules is read from a temporary directory. */
const fakeRoot = vi.hoisted(() => ({ path: "" }));
vi.mock("../../src/raycast/system", async () => {
  const { createSystemCommands } = await import("../../src/system/commands");
  return { systemCommands: () => createSystemCommands({ root: fakeRoot.path }) };
});

const NOW = new Date();
const SETTINGS = { ...DEFAULT_SETTINGS, vpnServers: ["198.51.100.7"] };

async function saveRules(text: string): Promise<void> {
  const file = join(fakeRoot.path, RULES_FILE);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

async function builtRules(captivePortalUntil: Date | null = null): Promise<string> {
  const resolved = await resolvePolicy(SETTINGS);
  if (!resolved.ok) throw new Error(resolved.errors.join("; "));
  return buildKillSwitchAnchor({ policy: resolved.policy, network: VPN_UP, now: NOW, captivePortalUntil });
}

beforeEach(async () => {
  resetRaycast();
  resetSpies();
  fakeRoot.path = temporaryDirectory("ks-verify-");
  raycast.preferences = { vpnServers: "198.51.100.7" };
  lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("protected"));
});

describe("Verify Kill Switch Rules", () => {
  it("checks the rules last loaded against the policy on this network, without a prompt", async () => {
    await saveRules(await builtRules());
    await verifyCommand();

    expect(raycast.huds).toEqual(["Rules Verified · nothing leaves outside the VPN on this network"]);
    expect(raycast.toasts).toEqual([]);
    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
  });

  it("lists what leaks when the rules no longer keep the promise", async () => {
    const leaky = (await builtRules()).replace("block return out log (user) quick all\n", "");
    await saveRules(leaky);
    await runVerifyRules(NOW);

    expect(raycast.huds).toEqual([]);
    expect(raycast.toasts).toHaveLength(1);
    expect(raycast.toasts[0].style).toBe("FAILURE");
    expect(raycast.toasts[0].title).toMatch(/^Rules Do Not Match \(\d+ problems?\)$/);
    expect(raycast.toasts[0].message).toContain("Enable the kill switch again to reload them.");
  });

  it("expects the DNS and web ports of an open captive-portal window, and flags them once it has closed", async () => {
    const until = new Date(NOW.getTime() + 2 * 60_000);
    await saveRules(await builtRules(until));

    writeCaptivePortalUntil(until);
    await runVerifyRules(NOW);
    expect(raycast.huds).toEqual(["Rules Verified · nothing leaves outside the VPN on this network"]);

    writeCaptivePortalUntil(null);
    await runVerifyRules(NOW);
    expect(raycast.toasts[0].title).toMatch(/^Rules Do Not Match/);
  });

  it("has nothing to verify when the kill switch is off (no rules saved)", async () => {
    await runVerifyRules(NOW);
    expect(raycast.huds).toEqual(["Kill Switch Off · no rules to verify"]);
  });

  it("says why when the saved rules cannot be read", async () => {
    await mkdir(join(fakeRoot.path, RULES_FILE), { recursive: true });
    await runVerifyRules(NOW);
    expect(raycast.toasts[0].title).toBe("Could Not Verify the Rules");
    expect(raycast.toasts[0].message).toContain("EISDIR");
  });

  it("takes the captive-portal window from the state file when there is one", async () => {
    const until = new Date(NOW.getTime() + 2 * 60_000);
    await saveRules(await builtRules(until));
    const state = join(fakeRoot.path, STATE_FILE);
    await writeFile(
      state,
      JSON.stringify({
        version: 1,
        status: "on",
        anchor: "com.apple/000.vpnkillswitch",
        attachment: "com.apple",
        bootTime: null,
        changedAt: 0,
        tunnels: ["utun4"],
        reference: "1",
        captivePortalUntil: Math.ceil(until.getTime() / 1000),
      }),
    );
    await runVerifyRules(NOW);
    expect(raycast.huds).toEqual(["Rules Verified · nothing leaves outside the VPN on this network"]);
  });

  it("names the bad preference instead of verifying", async () => {
    raycast.preferences = { vpnServers: "not a server!" };
    await runVerifyRules(NOW);
    expect(raycast.toasts[0].title).toBe("Check the Kill Switch Preferences");
    expect(raycast.huds).toEqual([]);
  });
});
