/**
 * A week of life on one Mac (week.ts), from three seeds and the schedules that once found a failure, each week on a
 * fake Mac of its own, side by side. Every promise is checked after every event; the test fails on the first broken
 * one and prints each week's summary line. `WEEK_SEED=n npm run test:week` replays the week of seed n alone
 * (`WEEK_DAYS=d`: its first d days; `WEEK_DROPS=many`: with the VPN dropping up to eight times a day).
 */
import { describe, expect, it } from "vitest";
import { runWeek, summaryLine } from "./week";
import type { VpnDrops } from "./week-schedule";

interface Replayed {
  seed: number;
  days: number;
  vpnDrops: VpnDrops;
  /** What the schedule found once; each failure also has a test of its own in the integration tier. */
  found?: string;
}

/** Three weeks, whatever they find. */
const SEEDS: Replayed[] = [1, 2, 3].map((seed) => ({ seed, days: 7, vpnDrops: "few" }));
/** Schedules that once found a failure, replayed as they were (fewer days pack the week's rare events together). */
const REGRESSIONS: Replayed[] = [
  {
    seed: 1,
    days: 1,
    vpnDrops: "many",
    found:
      "a portal window outlived its minutes when the clock went back an hour (window-clock); with the disk full pf " +
      "stayed off, and connections outlived the blocking rules (full-disk); after the clock went back, Status said " +
      "the Mac had restarted (steady-check)",
  },
  {
    seed: 1,
    days: 2,
    vpnDrops: "many",
    found: "two change timers ran at once, one waiting for the lock with its work folder (window-clock)",
  },
];

const replayed = process.env.WEEK_SEED;
const weeks: Replayed[] =
  replayed === undefined
    ? [...SEEDS, ...REGRESSIONS]
    : [
        {
          seed: Number(replayed),
          days: Number(process.env.WEEK_DAYS ?? 7),
          vpnDrops: process.env.WEEK_DROPS === "many" ? "many" : "few",
        },
      ];
/** A week waits on the programs the root script starts, most checks a hundred: minutes, not seconds. */
const WEEK_TIMEOUT_MS = 20 * 60_000;

describe.concurrent("a week on one Mac", () => {
  for (const { seed, days, vpnDrops, found } of weeks) {
    const which = `seed ${seed}, ${days} day${days === 1 ? "" : "s"}, ${vpnDrops} VPN drops`;
    it(
      `keeps every promise through the week of ${which}${found ? ` (found once: ${found})` : ""}`,
      async () => {
        const report = await runWeek(seed, { days, vpnDrops });
        console.log(summaryLine(report));
        expect(report.problems.slice(0, 20)).toEqual([]);
        expect(report.leaks).toBe(0);
        // Every network change was followed by the one check after it, and every pf undoing repaired by it.
        expect(report.networkChanges.seen).toBeGreaterThan(0);
        expect(report.networkChanges.followed).toBe(report.networkChanges.seen);
        expect(report.pfTampering.followed).toBe(report.pfTampering.seen);
      },
      WEEK_TIMEOUT_MS,
    );
  }
});
