/**
 * Shared inputs for the Raycast command tests: network states derived from the embedded sample snapshot,
 * lifecycle results shaped as the lifecycle returns them, and a lifecycle replaced by spies.
 */
import type { LaunchProps } from "@raycast/api";
import { vi } from "vitest";
import type { KillSwitchChange, KillSwitchState, KillSwitchStatus } from "../../src/lifecycle";
import { deriveNetworkState } from "../../src/network/derive";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import type { NetworkState } from "../../src/network/state";
import { summarizeAnchor } from "../../src/pf/anchor";
import { resolvePolicy } from "../../src/policy/policy";
import type { Settings } from "../../src/policy/settings";

/** Home Wi-Fi ("Example Home", 192.168.1.0/24 via 192.168.1.1) with the VPN up on utun4, server 198.51.100.7. */
export const VPN_UP: NetworkState = deriveNetworkState(SAMPLE_SNAPSHOT);

/** The same network with the VPN down: no tunnel, no server in the routes. */
export const VPN_DOWN: NetworkState = {
  ...VPN_UP,
  tunnels: [],
  vpnInterface: null,
  defaultInterface: "en0",
  endpoints: [],
  dns: ["192.168.1.1"],
};

export const HOME_ID = VPN_UP.identity?.id ?? "";

const HEADLINES: Record<KillSwitchState, string> = {
  protected: "Protected: traffic leaves only through the VPN (utun4).",
  blocking: "Blocking: no allowed VPN tunnel is up, so traffic is stopped.",
  unverified:
    "Unverified: when last checked (2023-11-14T22:14:20Z), pf ran the kill switch rules, which let traffic out only through the VPN (utun4); nothing has checked pf since.",
  "safe-mode": "Safe Mode: blocking all but the VPN servers, since the kill switch's rules could not be loaded.",
  "watchdog-stopped": "Watchdog Stopped: the startup watchdog has stopped checking the kill switch.",
  "not-protected": "Not Protected: the Mac restarted, and pf no longer has the kill switch rules.",
  off: "Off: traffic flows normally.",
  unknown: "Unknown: the kill switch's state file cannot be read.",
};

const NOTES: Record<KillSwitchState, string[]> = {
  protected: [],
  blocking: ["Connect the VPN: until then nothing leaves this Mac but the VPN's own connection and link plumbing."],
  unverified: [
    "Turn on Protect from Startup (protectFromStartup) and enable again: its root watchdog checks that pf runs the rules.",
  ],
  "safe-mode": [
    "pf refused the rules: anchor.pf:12: syntax error",
    "Nothing leaks, but nothing passes through the VPN either: enable the kill switch again.",
  ],
  "watchdog-stopped": [
    "Its last sign of life was 45 seconds ago; it checks every 10 seconds. The rules may still be in force, but nothing puts them back if another program removes them. Enable the kill switch again to reinstall the watchdog.",
  ],
  "not-protected": [
    "pf forgets its rules at every restart. Enable the kill switch again to block traffic outside the VPN.",
  ],
  off: [],
  unknown: ["/Library/Application Support/com.vpnkillswitch.raycast/state.json: EACCES"],
};

export function statusFor(state: KillSwitchState): KillSwitchStatus {
  return {
    state,
    headline: HEADLINES[state],
    notes: NOTES[state],
    recorded: null,
    watchdog: null,
    activeTunnel: state === "protected" ? "utun4" : null,
  };
}

/** What enable/apply return: the summary of the rules built from these settings on this network. */
export async function changeFor(
  action: KillSwitchChange["action"],
  settings: Settings,
  network: NetworkState,
  state: KillSwitchState,
  captivePortalUntil: Date | null = null,
): Promise<KillSwitchChange> {
  const resolved = await resolvePolicy(settings, async () => ["203.0.113.50"]);
  if (!resolved.ok) throw new Error(resolved.errors.join("; "));
  const summary =
    action === "disable" || action === "uninstall" || action === "clear-log"
      ? null
      : summarizeAnchor({ policy: resolved.policy, network, now: new Date(), captivePortalUntil });
  return {
    action,
    method: "password",
    notes: [],
    report: {
      action,
      attachment: "com.apple",
      reference: "kept",
      killedStates: 0,
      warnings: [],
      anchorRules: [],
      pfInfo: [],
      references: [],
    },
    rules: null,
    summary,
    status: statusFor(state),
  };
}

/** The lifecycle's public functions as spies (each test sets what they return). */
export const lifecycle = {
  enableKillSwitch: vi.fn(),
  applyKillSwitch: vi.fn(),
  disableKillSwitch: vi.fn(),
  uninstallKillSwitch: vi.fn(),
  clearBlockedTraffic: vi.fn(),
  getKillSwitchStatus: vi.fn(),
};

/**
 * The network module's readers, as spies returning VPN_UP unless a test says otherwise: the commands' full
 * reading, and the menu bar's (which reuses the slower details on an unchanged network).
 */
export const networkReader = { readNetworkState: vi.fn(), readStatusNetwork: vi.fn() };

/** For `vi.mock` of src/lifecycle: the real module with its actions and status replaced by the spies. */
export function withLifecycleSpies(actual: object): object {
  return { ...actual, ...lifecycle };
}

/** For `vi.mock` of src/raycast/network: the real module reading the network through the spies. */
export function withNetworkSpy(actual: object): object {
  return { ...actual, ...networkReader };
}

/** What the menu bar's reader answers with `network`. */
export const statusNetwork = (network: NetworkState) => ({ network, detailsReadNow: false });

export function resetSpies(): void {
  for (const spy of [...Object.values(lifecycle), ...Object.values(networkReader)]) spy.mockReset();
  networkReader.readNetworkState.mockResolvedValue(VPN_UP);
  networkReader.readStatusNetwork.mockResolvedValue(statusNetwork(VPN_UP));
  lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("off"));
}

/** The props Raycast passes a command picked by the user, or launched by another command with `launchContext`. */
export function launchProps(launchContext?: Record<string, unknown>): LaunchProps {
  return { launchType: "userInitiated" as LaunchProps["launchType"], arguments: {}, launchContext };
}
