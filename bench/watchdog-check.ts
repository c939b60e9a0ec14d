/**
 * A watchdog check (launchd's StartInterval, every 10 s): every program it starts, counted as the boot row counts
 * them (the fake macOS's programs, the utilities on the script's PATH, its shell and its clock), on the bench's
 * Mac with the default settings (the record of blocked traffic on), when nothing changed and when the VPN's tunnel
 * was renumbered.
 */
import { enableKillSwitch } from "../src/lifecycle";
import { SAMPLE_SNAPSHOT } from "../src/network/sample-snapshot";
import { deriveNetworkState } from "../src/network/derive";
import { collectLiveSnapshot } from "../src/network/snapshot";
import { PRODUCT_ID } from "../src/privileged/paths";
import { traceWatchdog } from "../test/fakes/boot-trace";
import { createFakeMac } from "../test/fakes/fake-mac";
import { mapText } from "../test/fakes/networks";
import type { Measurement } from "./budgets";
import { describeStarted } from "./measure";
import { BENCH_NOW, benchSettings, noHostLookup } from "./scenario";

/**
 * The goal for a check with nothing changed; not reached: macOS's pfctl shows one ruleset a run and cannot list
 * anchors recursively (`-a 'com.apple/*'` fails), so pf alone takes six (ours, the main ruleset with pf's status,
 * the interfaces' skip flags, the anchors, the translation rules of each com.apple child, two on a stock Mac).
 */
const STEADY_GOAL = 6;
/**
 * What a check with nothing changed starts now (the record of blocked traffic on): any more is a regression. One of
 * them is sysctl: macOS moves kern.boottime with the clock, and Status tells this boot by the boot time recorded.
 */
const STEADY_BUDGET = 13;
/** What a check started before the steady check, on this Mac with these settings: a full reading each time. */
const BEFORE = { nothingChanged: 99, networkChanged: 118 };

export async function watchdogCheckMeasurements(): Promise<Measurement[]> {
  // A Mac runs processes: each check with the record on names them (ps lists none the fake was not told of).
  const mac = createFakeMac({ processes: { 1: "/sbin/launchd", 312: "/usr/libexec/configd", 4711: "/usr/bin/ssh" } });
  try {
    const { system } = mac;
    const network = deriveNetworkState(await collectLiveSnapshot(system));
    await enableKillSwitch({ system, settings: benchSettings(), network, now: BENCH_NOW, lookup: noHostLookup });
    // The fake clock stays put: moving it waits on the fake's server, which keeps no bench process alive.
    const check = async () => {
      const trace = await traceWatchdog(mac);
      if (trace.run.exitCode !== 0) throw new Error(`a watchdog check failed on the fake Mac: ${trace.run.stderr}`);
      return trace.started;
    };
    // The first check after Enable reads the network in full and keeps what the next ones compare with.
    const first = await mac.runLaunchDaemon(PRODUCT_ID);
    if (first.exitCode !== 0) throw new Error(`the first watchdog check failed on the fake Mac: ${first.stderr}`);
    const steady = await check();
    mac.setNetwork(mapText(SAMPLE_SNAPSHOT, (text) => text.replace(/utun4\b/g, "utun5")));
    const changed = await check();
    return [
      {
        measure: "Watchdog check, nothing changed: programs started",
        value: steady.length,
        unit: "processes",
        budget: { kind: "at-most", limit: STEADY_BUDGET },
        detail: `${describeStarted(steady)}; goal ${STEADY_GOAL}; ${BEFORE.nothingChanged} before the steady check`,
      },
      {
        measure: "Watchdog check, network changed: programs started",
        value: changed.length,
        unit: "processes",
        budget: { kind: "none" },
        detail: `the VPN's tunnel renumbered: the steady check's readings, then the full check; ${BEFORE.networkChanged} before`,
      },
    ];
  } finally {
    mac.cleanup();
  }
}
