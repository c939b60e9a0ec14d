/**
 * The bench: measures the menu bar's background refresh, the Enable / Apply / Disable paths, what the watchdog
 * starts at boot before pf blocks and at each check, what a week on one Mac costs, each command's bundle and the
 * rules a packet crosses, on the fake macOS tree and the built bundles, and prints one table.
 * Exit status 1 when a budget is broken: a count, a size or a ratio, never a time alone (see budgets.ts).
 * Run with `npm run bench`.
 */
import { resolve } from "node:path";
import { applyKillSwitch, disableKillSwitch, enableKillSwitch } from "../src/lifecycle";
import { deriveNetworkState } from "../src/network/derive";
import { collectLiveSnapshot } from "../src/network/snapshot";
import type { NetworkState } from "../src/network/state";
import type { TextStore } from "../src/raycast/reading/network-reading";
import { readStatusSnapshot } from "../src/raycast/reading/use-kill-switch-status";
import type { SystemCommands, SystemTool } from "../src/system/commands";
import { type FakeMac, createFakeMac } from "../test/fakes/fake-mac";
import { type MachineState, fakePaths, readJson } from "../test/fakes/machine";
import { type Measurement, exitStatus, median, renderTable } from "./budgets";
import { REFERENCE_NOMINAL_MS, referenceWorkload } from "./reference";
import { BUNDLE_BUDGET_BYTES, buildBundles, bundleSizes, commandNames, missingBundles, staleBundles } from "./bundles";
import { PRIVILEGED_TOOLS, countingCommands, describeStarted, ownCpuTime } from "./measure";
import {
  FAST_PATH_RULE_BUDGET,
  FIXED_TUNNEL_LIST_SIZE,
  buildBenchRules,
  fixedTunnelListRules,
  measureLeakWindow,
  measureRuleCosts,
  ruleCostCases,
  withoutTunnels,
} from "./rule-cost";
import { BENCH_NOW, benchNetwork, benchPolicy, benchSettings, noHostLookup } from "./scenario";
import { manyExceptionMeasurements } from "./many-exceptions";
import { bootMeasurement } from "./boot";
import { watchdogCheckMeasurements } from "./watchdog-check";
import { weekMeasurements } from "./week";

const REPOSITORY = resolve(__dirname, "..");
const ROUNDS = 7;
const STATUS_REFRESH_CPU_BUDGET_MS = 50;
const ACTION_CPU_BUDGET_MS = 100;
const FAKE_CALL_BUDGET_MS = 30;

/**
 * What the menu-bar command runs on each refresh (its hook calls the same function): the network, then the kill
 * switch's status. The details store outlives the runs as Raycast's Cache does. On a Mac the boot time comes from
 * the kernel without a process; the fake Mac keeps its own, read here from its machine file without one either.
 */
function statusRefresh(mac: FakeMac, system: SystemCommands, details: TextStore, refreshDetails: boolean) {
  return readStatusSnapshot({
    exceptions: { exceptions: [], rejected: [] },
    // The fake Mac's clock, as its records' times: a slow or busy machine must not make the watchdog look stale.
    now: mac.now(),
    refreshDetails,
    system,
    details,
    bootTime: async () => readJson<MachineState>(fakePaths(mac.root).machine).bootTime,
  });
}

/** What Enable and Apply do from Raycast: read the network the rules are built for, then one authorisation. */
async function readNetwork(system: SystemCommands): Promise<NetworkState> {
  return deriveNetworkState(await collectLiveSnapshot(system));
}

type Path = "menu opened" | "status refresh" | "enable" | "apply" | "disable" | "reference";

interface Sample {
  cpuMs: number;
  started: SystemTool[];
}

async function measurePaths(): Promise<Record<Path, Sample[]>> {
  const mac = createFakeMac();
  const counting = countingCommands(mac.system);
  const { system } = counting;
  const settings = benchSettings();
  const samples: Record<Path, Sample[]> = {
    "menu opened": [],
    "status refresh": [],
    enable: [],
    apply: [],
    disable: [],
    reference: [],
  };
  const details = new Map<string, string>();
  const detailsStore: TextStore = { get: (key) => details.get(key), set: (key, value) => void details.set(key, value) };
  const sample = async <T>(path: Path, work: () => Promise<T>): Promise<T> => {
    counting.reset();
    const timed = await ownCpuTime(work);
    samples[path].push({ cpuMs: timed.cpuMs, started: counting.started() });
    return timed.result;
  };
  const expectState = (path: Path, state: string, wanted: string) => {
    if (state !== wanted) throw new Error(`${path} on the fake Mac ended ${state}, not ${wanted}: the scenario broke`);
  };
  try {
    referenceWorkload(); // compiled and warm before it is measured, as our paths are after their first round
    for (let round = 0; round < ROUNDS; round++) {
      await sample("reference", async () => referenceWorkload());
      const on = await sample("enable", async () =>
        enableKillSwitch({
          system,
          settings,
          network: await readNetwork(system),
          now: BENCH_NOW,
          lookup: noHostLookup,
        }),
      );
      expectState("enable", on.status.state, "protected");
      // Opening the menu reads every detail; the background runs after it find the same network.
      const opened = await sample("menu opened", () => statusRefresh(mac, system, detailsStore, true));
      expectState("menu opened", opened.state, "protected");
      const status = await sample("status refresh", () => statusRefresh(mac, system, detailsStore, false));
      expectState("status refresh", status.state, "protected");
      const applied = await sample("apply", async () =>
        applyKillSwitch({ system, settings, network: await readNetwork(system), now: BENCH_NOW, lookup: noHostLookup }),
      );
      expectState("apply", applied.status.state, "protected");
      const off = await sample("disable", async () =>
        disableKillSwitch({ system, authentication: settings.authentication, network: await readNetwork(system) }),
      );
      expectState("disable", off.status.state, "off");
    }
  } finally {
    mac.cleanup();
  }
  return samples;
}

const cpuDetail = (samples: Sample[]) => {
  const times = samples.map((s) => s.cpuMs);
  return `median of ${times.length} runs; first ${times[0].toFixed(1)} ms, slowest ${Math.max(...times).toFixed(1)} ms`;
};

/** The most processes any run started (they should all start the same), and which. */
const mostStarted = (samples: Sample[]) =>
  samples.reduce((most, s) => (s.started.length > most.started.length ? s : most), samples[0]).started;

/** A path's CPU as a ratio to the reference workload of the same run, gated at its time budget's ratio. */
function ratioRow(title: string, samples: Record<Path, Sample[]>, path: Path, budgetMs: number): Measurement {
  const reference = median(samples.reference.map((s) => s.cpuMs));
  const ours = median(samples[path].map((s) => s.cpuMs));
  return {
    measure: `${title}: our CPU as a ratio to the reference workload`,
    value: ours / reference,
    unit: "ratio",
    budget: { kind: "ratio", limit: budgetMs / REFERENCE_NOMINAL_MS },
    detail: `${ours.toFixed(1)} ms / ${reference.toFixed(1)} ms; nominal ${budgetMs} ms / ${REFERENCE_NOMINAL_MS} ms`,
  };
}

function pathMeasurements(samples: Record<Path, Sample[]>): Measurement[] {
  const refresh = mostStarted(samples["status refresh"]);
  const rows: Measurement[] = [
    {
      measure: "Reference workload (fixed CPU work, same run): our CPU",
      value: median(samples.reference.map((s) => s.cpuMs)),
      unit: "ms",
      budget: { kind: "none" },
      detail: `${cpuDetail(samples.reference)}; about ${REFERENCE_NOMINAL_MS} ms when run alone on an idle 2-core machine`,
    },
    {
      measure: "Status refresh (menu bar, background): processes started",
      value: refresh.length,
      unit: "processes",
      // Node's interface list and the watchdog's report tell it all: nothing to start while they are unchanged.
      budget: { kind: "exactly", value: 0 },
      detail: refresh.length ? describeStarted(refresh) : "none: os.networkInterfaces() and the status files",
    },
    {
      measure: "Status refresh (menu bar, background): our CPU",
      value: median(samples["status refresh"].map((s) => s.cpuMs)),
      unit: "ms",
      budget: { kind: "time", limitMs: STATUS_REFRESH_CPU_BUDGET_MS, what: "own CPU" },
      detail: cpuDetail(samples["status refresh"]),
    },
    ratioRow("Status refresh (menu bar, background)", samples, "status refresh", STATUS_REFRESH_CPU_BUDGET_MS),
    {
      measure: "Status refresh (menu opened, or the network changed): processes started",
      value: mostStarted(samples["menu opened"]).length,
      unit: "processes",
      budget: { kind: "none" },
      detail: describeStarted(mostStarted(samples["menu opened"])),
    },
  ];
  for (const path of ["enable", "apply", "disable"] as const) {
    const title = `${path[0].toUpperCase()}${path.slice(1)}`;
    const started = mostStarted(samples[path]);
    const privileged = started.filter((tool) => PRIVILEGED_TOOLS.includes(tool));
    rows.push(
      {
        measure: `${title}: privileged processes`,
        value: privileged.length,
        unit: "processes",
        budget: { kind: "exactly", value: 1 },
        detail: `${describeStarted(privileged) || "none"}; ${started.length} in all: ${describeStarted(started)}`,
      },
      {
        measure: `${title}: our CPU (network read, action, status)`,
        value: median(samples[path].map((s) => s.cpuMs)),
        unit: "ms",
        budget: { kind: "time", limitMs: ACTION_CPU_BUDGET_MS, what: "own CPU" },
        detail: cpuDetail(samples[path]),
      },
      ratioRow(title, samples, path, ACTION_CPU_BUDGET_MS),
    );
  }
  return rows;
}

function bundleMeasurements(): Measurement[] {
  const commands = commandNames(REPOSITORY);
  const stale = staleBundles(REPOSITORY, commands);
  let note = "";
  if (stale) {
    console.error(`Building the bundles (${stale}): ray build -e dist -o dist`);
    try {
      buildBundles(REPOSITORY);
    } catch (error) {
      // Bundles from the last good build still tell the size; without any there is nothing to measure.
      if (missingBundles(REPOSITORY, commands).length > 0) throw error;
      note = " (an earlier build: ray build failed just now)";
    }
  }
  return bundleSizes(REPOSITORY, commands).map(({ command, bytes }) => ({
    measure: `Bundle: ${command}`,
    value: bytes,
    unit: "bytes",
    budget: { kind: "at-most", limit: BUNDLE_BUDGET_BYTES },
    detail: `dist/${command}.js${note}`,
  }));
}

async function ruleMeasurements(): Promise<Measurement[]> {
  const policy = await benchPolicy();
  const network = benchNetwork();
  const server = policy.endpoints.find((endpoint) => endpoint.port !== undefined);
  const tunnel = network.tunnels[0]?.name;
  if (!server?.port || !tunnel) throw new Error("the bench scenario needs a VPN server with a port and a tunnel up");
  const rules = buildBenchRules({ policy, network, now: BENCH_NOW });
  const cases = ruleCostCases(network, { address: server.address, port: server.port });
  const rows: Measurement[] = [];
  const comparison = fixedTunnelListRules(rules, tunnel);
  for (const [ruleset, costs] of [
    ["ours", measureRuleCosts(rules, cases)],
    ["fixed list", measureRuleCosts(comparison, cases)],
  ] as const) {
    for (const cost of costs) {
      if (cost.action !== cost.expected) {
        throw new Error(`${ruleset}: ${cost.packet} was ${cost.action}ed, the kill switch must ${cost.expected} it`);
      }
      if (ruleset === "fixed list" && !cost.fastPath) continue;
      rows.push({
        measure:
          ruleset === "ours"
            ? `Rules walked: ${cost.name}`
            : `Rules walked: ${cost.name}, fixed utun0…utun${FIXED_TUNNEL_LIST_SIZE - 1} list`,
        value: cost.walked,
        unit: "rules",
        budget:
          ruleset === "ours" && cost.fastPath ? { kind: "at-most", limit: FAST_PATH_RULE_BUDGET } : { kind: "none" },
        detail: `${cost.action}: ${cost.packet}`,
      });
    }
  }
  const afterDrop = withoutTunnels(network);
  const leak = measureLeakWindow(
    rules,
    afterDrop,
    policy.endpoints.map((endpoint) => endpoint.address).concat(network.endpoints),
  );
  rows.push({
    measure: `Leak window: packets passed outside the tunnel after ${tunnel} went away`,
    value: leak.passed.length,
    unit: "packets",
    budget: { kind: "exactly", value: 0 },
    detail: `${leak.sent} Internet-bound packets on ${afterDrop.physical[0].name}, rules built while ${tunnel} was up${
      leak.passed.length > 0 ? `; passed: ${leak.passed.slice(0, 3).join("; ")}` : ""
    }`,
  });
  return rows;
}

/**
 * What one call of a fake macOS program costs the tests, from sh as the root script makes it (wall time: the
 * shell, the server's answer and the wait between them): the integration tests make thousands.
 */
async function fakeCallMeasurement(): Promise<Measurement> {
  const mac = createFakeMac();
  const calls = 20;
  const loop = `i=0; while [ $i -lt ${calls} ]; do "$1/usr/sbin/sysctl" -n kern.boottime >/dev/null || exit 1; i=$((i + 1)); done`;
  const perCall: number[] = [];
  try {
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      const run = await mac.system.run("sh", ["-c", loop, "sh", mac.root]);
      if (run.exitCode !== 0) throw new Error(`the fake sysctl failed: ${run.stderr}`);
      perCall.push((performance.now() - started) / calls);
    }
  } finally {
    mac.cleanup();
  }
  return {
    measure: "Fake macOS: one program call from sh (tests only)",
    value: median(perCall),
    unit: "ms",
    budget: { kind: "time", limitMs: FAKE_CALL_BUDGET_MS, what: "wall" },
    detail: `median of ${perCall.length} rounds of ${calls} calls; slowest round ${Math.max(...perCall).toFixed(1)} ms a call`,
  };
}

async function main(): Promise<void> {
  const bundles = bundleMeasurements();
  const rules = await ruleMeasurements();
  const samples = await measurePaths();
  const paths = pathMeasurements(samples);
  const many = await manyExceptionMeasurements(median(samples.reference.map((s) => s.cpuMs)));
  const boot = await bootMeasurement();
  const checks = await watchdogCheckMeasurements();
  const fakeCall = await fakeCallMeasurement();
  const week = await weekMeasurements();
  const measurements = [...paths, boot, ...checks, ...many, fakeCall, ...week, ...bundles, ...rules];
  console.log(renderTable(measurements));
  process.exitCode = exitStatus(measurements);
}

let ended = false;
// A wait nothing can answer ends the process with nothing printed and status 0: never let that pass as success.
process.on("exit", () => {
  if (ended) return;
  console.error("bench: the process ended before the table: something it awaited had nothing to answer it");
  process.exitCode = 2;
});

main()
  .catch((error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  })
  .finally(() => (ended = true));
