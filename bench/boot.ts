/**
 * Boot: what the startup watchdog starts, after a restart (pf stopped and empty), before pf holds the kill
 * switch's blocking ruleset. The goal is pfctl alone: the work folder, the clock, the network reading and the
 * record of what pf blocks, any of which may fail, come after.
 */
import { enableKillSwitch } from "../src/lifecycle";
import { deriveNetworkState } from "../src/network/derive";
import { collectLiveSnapshot } from "../src/network/snapshot";
import { traceWatchdog } from "../test/fakes/boot-trace";
import { createFakeMac } from "../test/fakes/fake-mac";
import { emptyRuleset } from "../test/fakes/pf-model";
import type { Measurement } from "./budgets";
import { describeStarted } from "./measure";
import { BENCH_NOW, benchSettings, noHostLookup } from "./scenario";

export async function bootMeasurement(): Promise<Measurement> {
  const mac = createFakeMac();
  try {
    const { system } = mac;
    const network = deriveNetworkState(await collectLiveSnapshot(system));
    await enableKillSwitch({ system, settings: benchSettings(), network, now: BENCH_NOW, lookup: noHostLookup });
    mac.reboot();
    mac.writePf({ ...mac.readPf(), main: emptyRuleset(), anchors: {}, enabled: false });
    const trace = await traceWatchdog(mac);
    if (trace.run.exitCode !== 0) throw new Error(`the watchdog failed at boot on the fake Mac: ${trace.run.stderr}`);
    const others = trace.beforeBlocking.filter((program) => program !== "pfctl");
    const after = trace.started.slice(trace.beforeBlocking.length);
    return {
      measure: "Boot (watchdog at RunAtLoad): programs other than pfctl started before pf holds blocking rules",
      value: others.length,
      unit: "processes",
      budget: { kind: "exactly", value: 0 },
      detail: `before: ${describeStarted(trace.beforeBlocking) || "none"}; after: ${after.length} more, first ${after
        .slice(0, 5)
        .join(", ")}`,
    };
  } finally {
    mac.cleanup();
  }
}
