/**
 * `killswitch status` in every state, on a fake Mac whose records say it (test/fakes/state-records.ts), at a
 * fixed time: the text the user reads, and the JSON that names the state with the same words as the menu bar.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { KillSwitchState } from "../../src/lifecycle/status";
import { STATE_MEANINGS, STATE_NAMES } from "../../src/words/states";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macSnapshot } from "../fakes/networks";
import { STATE_BOOT, STATE_NOW, recordState, vpnUpIn } from "../fakes/state-records";
import { runKillswitch } from "./cli-harness";

let mac: FakeMac | undefined;
afterEach(() => mac?.cleanup());

/**
 * `killswitch status` on a Mac whose records say `state`, the VPN up unless the state waits for it; its
 * `--json` names the state and its meaning with the menu bar's words.
 */
async function statusIn(state: KillSwitchState): Promise<string> {
  mac = createFakeMac({
    bootTime: STATE_BOOT,
    network: macSnapshot({ wifi: "home", vpn: vpnUpIn(state) ? "utun4" : null }),
  });
  recordState(mac.stateDirectory, state);
  const [text, json] = await Promise.all(
    [["status"], ["status", "--json"]].map((argv) =>
      runKillswitch(argv, { platform: "darwin", system: mac?.system, now: () => STATE_NOW }),
    ),
  );
  expect(text).toMatchObject({ code: 0, stderr: "" });
  const parsed = JSON.parse(json.stdout);
  expect(parsed).toMatchObject({ state, name: STATE_NAMES[state], meaning: STATE_MEANINGS[state] });
  expect(parsed.headline.startsWith(`${STATE_NAMES[state]}: `)).toBe(true);
  return text.stdout;
}

describe("killswitch status in every state", () => {
  it("Protected", async () => {
    expect(await statusIn("protected")).toMatchInlineSnapshot(`
      "Protected: traffic leaves only through the VPN (utun4).
        Traffic leaves only through the VPN, and the watchdog keeps checking that it does.
        Rules loaded 2023-11-14T22:14:20.000Z, letting through: utun4.
        Protected from startup by the root watchdog.
        Watchdog (2023-11-14T22:16:30.000Z): ok.
      "
    `);
  });

  it("Blocking", async () => {
    expect(await statusIn("blocking")).toMatchInlineSnapshot(`
      "Blocking: no allowed VPN tunnel is up, so traffic is stopped.
        Nothing leaves until the VPN connects: only the VPN's own connection gets out.
        Connect the VPN: until then nothing leaves this Mac but the VPN's own connection and link plumbing.
        Rules loaded 2023-11-14T22:14:20.000Z, letting through: utun4.
        Protected from startup by the root watchdog.
        Watchdog (2023-11-14T22:16:30.000Z): ok.
      "
    `);
  });

  it("Safe Mode", async () => {
    expect(await statusIn("safe-mode")).toMatchInlineSnapshot(`
      "Safe Mode: blocking all but the VPN servers, since the kill switch's rules could not be loaded.
        Everything is blocked, even through the VPN (its app can still reach its server): the rules could not be loaded.
        the rules for this network are missing or incomplete; blocking with the fail-closed rules
        Nothing leaks, but nothing passes through the VPN either: enable the kill switch again.
        Rules loaded 2023-11-14T22:14:20.000Z, letting through: utun4.
        Protected from startup by the root watchdog.
        Watchdog (2023-11-14T22:16:30.000Z): failed, the rules for this network are missing or incomplete; blocking with the fail-closed rules.
      "
    `);
  });

  it("Unverified", async () => {
    expect(await statusIn("unverified")).toMatchInlineSnapshot(`
      "Unverified: when last checked (2023-11-14T22:14:20Z), pf ran the kill switch rules, which let traffic out only through the VPN (utun4); nothing has checked pf since.
        When last checked only the VPN could carry traffic, but nothing has checked since.
        Another program can turn pf off or change its rules without this showing. Turn on Startup Protection (protectFromStartup) and enable again: its root watchdog checks every 10 seconds that pf is on and runs the kill switch rules first, and puts them back.
        Rules loaded 2023-11-14T22:14:20.000Z, letting through: utun4.
      "
    `);
  });

  it("Watchdog Stopped", async () => {
    expect(await statusIn("watchdog-stopped")).toMatchInlineSnapshot(`
      "Watchdog Stopped: the startup watchdog has stopped checking the kill switch.
        The rules are probably still in force, but nothing puts them back if they are removed.
        Its last sign of life was 100 seconds ago; it checks every 10 seconds. The rules may still be in force, but nothing puts them back if another program removes them. Enable the kill switch again to reinstall the watchdog.
        Rules loaded 2023-11-14T22:14:20.000Z, letting through: utun4.
        Protected from startup by the root watchdog.
        Watchdog (2023-11-14T22:15:00.000Z): ok.
      "
    `);
  });

  it("Not Protected after a restart without the watchdog", async () => {
    expect(await statusIn("not-protected")).toMatchInlineSnapshot(`
      "Not Protected: the Mac restarted, and pf no longer has the kill switch rules.
        Traffic can leave outside the VPN right now.
        pf forgets its rules at every restart. Enable the kill switch again to block traffic outside the VPN.
        Rules loaded 2023-11-13T22:14:20.000Z, letting through: utun4.
      "
    `);
  });

  it("Off", async () => {
    expect(await statusIn("off")).toMatchInlineSnapshot(`
      "Off: traffic flows normally.
        Nothing is blocked: traffic leaves outside the VPN whenever the VPN is down.
      "
    `);
  });

  it("Unknown", async () => {
    expect(await statusIn("unknown")).toMatchInlineSnapshot(`
      "Unknown: the kill switch's state file cannot be read.
        Whether traffic can leave outside the VPN cannot be told right now.
        /Library/Application Support/com.vpnkillswitch.raycast/status.json does not have the expected fields
        Disable removes the kill switch rules even so.
      "
    `);
  });
});
