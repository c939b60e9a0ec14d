/**
 * What a week costs: the week scenario (test/week) on the fake Mac, its checks, the programs launchd's checks start
 * per simulated hour while nothing happens and while the Mac moves, and the root folder at its largest. Counts and
 * sizes, never times.
 *
 * Programs are counted by tracing two of the watchdog's checks at the week's end (boot-trace.ts: the fake's own
 * programs, the shell's utilities and its shell), a steady one and one after the Mac changed network. An idle hour
 * is launchd's 360 steady checks (StartInterval 10 s); a moving hour is the week's busiest, each event of it a
 * check after a change and the rest steady. The change timer's steps, while a window is open, come on top.
 */
import { traceWatchdog } from "../test/fakes/boot-trace";
import { macSnapshot } from "../test/fakes/networks";
import { type WeekReport, runWeek } from "../test/week/week";
import type { Measurement } from "./budgets";
import { describeStarted } from "./measure";

/** The week the bench measures: the first of the week tier's seeds. */
export const BENCH_WEEK_SEED = 1;
const CHECKS_PER_HOUR = 3600 / 10;

/** The most events any hour of the week held (elapsed seconds of each event). */
function busiestHour(times: readonly number[]): number {
  let most = 0;
  for (let start = 0; start < times.length; start++) {
    let end = start;
    while (end < times.length && times[end] < times[start] + 3600) end++;
    most = Math.max(most, end - start);
  }
  return most;
}

export async function weekMeasurements(): Promise<Measurement[]> {
  let steady: string[] = [];
  let moved: string[] = [];
  const report: WeekReport = await runWeek(BENCH_WEEK_SEED, {
    beforeDisable: async (mac) => {
      steady = (await traceWatchdog(mac)).started;
      mac.setNetwork(macSnapshot({ wifi: "cafe", vpn: null }));
      moved = (await traceWatchdog(mac)).started;
    },
  });
  if (steady.length === 0 || moved.length === 0) throw new Error("the week's checks could not be traced");
  const events = busiestHour(report.eventTimes);
  const idle = CHECKS_PER_HOUR * steady.length;
  const moving = events * moved.length + (CHECKS_PER_HOUR - events) * steady.length;
  return [
    {
      measure: `Week (seed ${BENCH_WEEK_SEED}): checks of every promise, after each event and between`,
      value: report.checks,
      unit: "checks",
      budget: { kind: "none" },
      detail: `${report.events} events over 7 simulated days; launchd's check after each`,
    },
    {
      measure: "Week: checks that found a promise broken (a leak, a state, Status, a file, a process)",
      value: report.problems.length,
      unit: "checks",
      budget: { kind: "exactly", value: 0 },
      detail: report.problems[0] ?? `leaks ${report.leaks}`,
    },
    {
      measure: "Week: programs started per simulated hour, idle (launchd's check every 10 s)",
      value: idle,
      unit: "processes",
      budget: { kind: "none" },
      detail: `${CHECKS_PER_HOUR} × ${steady.length}: ${describeStarted(steady)}`,
    },
    {
      measure: "Week: programs started per simulated hour, moving (the week's busiest hour)",
      value: moving,
      unit: "processes",
      budget: { kind: "none" },
      detail: `${events} checks after a change × ${moved.length} + ${CHECKS_PER_HOUR - events} steady × ${steady.length}`,
    },
    {
      measure: "Week: the root folder at its largest (state directory, record included)",
      value: report.peakRootBytes,
      unit: "bytes",
      budget: { kind: "none" },
      detail: `largest file ${report.largestFile.path}, ${report.largestFile.bytes} bytes`,
    },
  ];
}
