/** The watchdog on the fake Mac: enabling with the setting on, running launchd's job, reading what pf holds. */
import { execFile } from "node:child_process";
import { expect } from "vitest";
import { enableKillSwitch, type KillSwitchChange } from "../../src/lifecycle";
import type { NetworkState } from "../../src/network/state";
import { existsSync, readFileSync } from "node:fs";
import { type Endpoint, type KillSwitchPolicy, parseRecordedServer, resolvePolicy } from "../../src/policy/policy";
import { type Settings, parseSettings } from "../../src/policy/settings";
import { ANCHOR_NAME, PRODUCT_ID } from "../../src/privileged/paths";
import { loadRootScript } from "../../src/privileged/root-script-loader";

const ROOT_SCRIPT = loadRootScript();
import type { CommandResult } from "../../src/system/commands";
import { verificationSummary, verifyRuleset } from "../../src/verify/verify-policy";
import type { FakeMac, FakeMacOptions } from "../fakes/fake-mac";
import { preparedFakeMac } from "../fakes/prepared-mac";
import { deriveNetworkState } from "../../src/network/derive";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { type MacNetwork, macNetworkState, macSnapshot } from "../fakes/networks";
import { type PfStateEntry, evaluationOrder } from "../fakes/pf-model";

/**
 * Settings for the watchdog's tests. The record of blocked traffic (on by default) is off unless a test turns
 * it on, so pf's rules read as the builder writes them; test/watchdog/capture covers it.
 */
export function settingsFrom(input: unknown): Settings {
  const parsed = parseSettings({ blockedTrafficLog: 0, ...(input as object) });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.settings;
}

export async function policyOf(settings: Settings): Promise<KillSwitchPolicy> {
  const resolved = await resolvePolicy(settings, async () => []);
  if (!resolved.ok) throw new Error(resolved.errors.join("; "));
  return resolved.policy;
}

/** Moves the fake Mac to `network` and returns the state the extension would derive from it. */
export function joinNetwork(mac: FakeMac, network: MacNetwork): NetworkState {
  mac.setNetwork(macSnapshot(network));
  return macNetworkState(network);
}

export function enable(
  mac: FakeMac,
  settings: Settings,
  network: NetworkState,
  extra: { now?: Date; captivePortalUntil?: Date | null } = {},
): Promise<KillSwitchChange> {
  return enableKillSwitch({ system: mac.system, settings, network, lookup: async () => [], ...extra });
}

/**
 * A fake Mac on `network`, turned on with `settings` by `enable` above, and what Enable said: enabled for real the
 * first time in a test process, a copy of that Mac after (test/fakes/prepared-mac.ts).
 */
export async function enabledOn(
  network: MacNetwork,
  settings: Settings,
  options: Omit<FakeMacOptions, "network"> = {},
): Promise<{ mac: FakeMac; on: KillSwitchChange }> {
  const { mac, value } = await preparedFakeMac(
    ["watchdog helpers: enable", network, settings],
    { ...options, network: macSnapshot(network) },
    (fresh) => enable(fresh, settings, macNetworkState(network)),
  );
  return { mac, on: value };
}

/** One run of the installed watchdog, as launchd starts it. */
export async function runWatchdog(mac: FakeMac): Promise<CommandResult> {
  const run = await mac.runLaunchDaemon(PRODUCT_ID);
  expect(run.stderr).toBe("");
  expect(run.exitCode).toBe(0);
  return run;
}

export interface Inspection {
  network: string;
  /** How the network's link is protected (`WPA2_PSK`, `wired`), empty when unknown. */
  security: string;
  rulesFile: string;
  /** The tunnels it lets through: the one carrying the default route, then those the settings trust. */
  tunnels: string;
  /** Every VPN tunnel that is up, trusted or not. */
  up: string;
  rules: string | null;
}

/** `killswitch-root inspect`: what the watchdog sees and would load, read without root. */
export async function inspect(mac: FakeMac): Promise<Inspection> {
  // Started directly: the product's command runner escapes the whole script for its messages, which costs more CPU
  // than the start itself, and this helper is no part of the product.
  const run = await new Promise<{ stdout: string; stderr: string }>((done) =>
    execFile(
      mac.system.binaries.sh,
      ["-c", ROOT_SCRIPT, "killswitch-root", "inspect", mac.root],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (_error, stdout, stderr) => done({ stdout, stderr }),
    ),
  );
  expect(run.stderr).toBe("");
  const field = (name: string) => run.stdout.match(new RegExp(`^${name}=(.*)$`, "m"))?.[1] ?? "";
  const rules = run.stdout.match(/^@@ rules\n([\s\S]*)^@@ end$/m)?.[1] ?? null;
  return {
    network: field("network"),
    security: field("security"),
    rulesFile: field("rules"),
    tunnels: field("tunnels"),
    up: field("up"),
    rules,
  };
}

/** The VPN servers state.json records as proved or answered for (none without the file): those the rules pass. */
export function rememberedServers(mac: FakeMac): Endpoint[] {
  const path = `${mac.stateDirectory}/state.json`;
  if (!existsSync(path)) return [];
  const servers: string[] = JSON.parse(readFileSync(path, "utf8")).servers ?? [];
  return servers.flatMap((text) => {
    const server = parseRecordedServer(text);
    return server?.kind === "trusted" ? [server.endpoint] : [];
  });
}

/** The networks state.json records as routed into the tunnel (none without the file). */
export function rememberedTunnelRoutes(mac: FakeMac): string[] {
  const path = `${mac.stateDirectory}/state.json`;
  if (!existsSync(path)) return [];
  return JSON.parse(readFileSync(path, "utf8")).tunnelRoutes ?? [];
}

/** Our anchor as pf holds it now (what `pfctl -a ... -sr` prints). */
export function anchorRules(mac: FakeMac): string {
  const rules = mac.readPf().anchors[ANCHOR_NAME]?.filter ?? [];
  return rules.length > 0 ? `${rules.join("\n")}\n` : "";
}

/**
 * No leak: pf runs, evaluates our anchor before anything else, and the rules it holds keep the policy's
 * promise for this network (every packet of the verifier's matrix).
 */
export function expectNoLeak(mac: FakeMac, policy: KillSwitchPolicy, network: NetworkState, now: Date, step: string) {
  const pf = mac.readPf();
  expect(pf.enabled, `${step}: pf enabled`).toBe(true);
  expect(evaluationOrder(pf)[0], `${step}: our anchor first`).toBe(ANCHOR_NAME);
  const result = verifyRuleset(anchorRules(mac), {
    policy,
    network,
    now,
    rememberedServers: rememberedServers(mac),
    rememberedTunnelRoutes: rememberedTunnelRoutes(mac),
  });
  expect(verificationSummary(result).failures, `${step}: verifier`).toEqual([]);
  expect(result.passed, step).toBe(true);
}

/** An established connection from this Mac (`lan`) in pf's state table, as pfctl -s states lists it. */
export function openConnection(
  lan: string,
  lanPort: number,
  ext: string,
  extPort: number,
  proto: PfStateEntry["proto"] = "tcp",
): PfStateEntry {
  return { iface: "ALL", proto, direction: "out", lan, lanPort, ext, extPort, description: "ESTABLISHED:ESTABLISHED" };
}

/**
 * A fake Mac on at home with the VPN up (the server named, startup protection on), whose network then becomes
 * `snapshot`, with one watchdog check: the Mac, and the policy and network state to judge its rules by.
 */
export async function enabledThenMovedTo(snapshot: NetworkSnapshot, settings: Settings) {
  const { mac } = await enabledOn({ wifi: "home", vpn: "utun4" }, settings);
  mac.setNetwork(snapshot);
  await runWatchdog(mac);
  return { mac, policy: await policyOf(settings), network: deriveNetworkState(snapshot) };
}
