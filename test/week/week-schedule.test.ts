/**
 * The week's schedule: the same seed gives the same week, and every week holds what the scenario promises, so a
 * failure a seed finds can be replayed from the seed alone.
 */
import { describe, expect, it } from "vitest";
import { type WeekEvent, mulberry32, weekSchedule } from "./week-schedule";

const HOUR = 3600;
const kinds = (seed: number) => new Set(weekSchedule(seed).map(({ event }) => event.kind));

describe("the week's schedule", () => {
  it("is the same for the same seed, and another for another seed", () => {
    expect(weekSchedule(7)).toEqual(weekSchedule(7));
    expect(weekSchedule(7)).not.toEqual(weekSchedule(8));
    const random = mulberry32(1);
    const first = [random(), random(), random()];
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(new Set(first).size).toBe(3);
  });

  it.each([1, 2, 3, 4, 5])("holds every kind of event in the week of seed %i, in time order", (seed) => {
    const week = weekSchedule(seed);
    const all: WeekEvent["kind"][] = [
      "join",
      "vpn-up",
      "vpn-down",
      "sleep",
      "reboot",
      "exception-add",
      "exception-remove",
      "exception-restore-nas",
      "pf-disabled",
      "anchor-flushed",
      "skip-added",
      "skip-removed",
      "translation-loaded",
      "tcpdump-killed",
      "disk-full",
      "disk-freed",
      "clock-step",
    ];
    expect([...kinds(seed)].sort()).toEqual(expect.arrayContaining(all.sort()));
    expect(week.map(({ at }) => at)).toEqual([...week.map(({ at }) => at)].sort((a, b) => a - b));
    expect(week.at(-1)?.at).toBeLessThan(7 * 24 * HOUR);
    const reboots = week.flatMap(({ event }) => (event.kind === "reboot" ? [event.vpnBeforeLogin] : []));
    expect(reboots.sort()).toEqual([false, true]);
    const steps = week.flatMap(({ event }) => (event.kind === "clock-step" ? [event.seconds] : []));
    expect(steps.sort((a, b) => a - b)).toEqual([-HOUR, 24 * HOUR]);
    expect(week.filter(({ event }) => event.kind === "join" && event.place === "cafe").length).toBe(7);
  });

  it("sets the clock back during a window: a portal's minutes or an exception's hour", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const week = weekSchedule(seed);
      const back = week.find(({ event }) => event.kind === "clock-step" && event.seconds < 0);
      const windows = week.flatMap(({ at, event }) =>
        event.kind === "portal"
          ? [[at, at + event.minutes * 60]]
          : event.kind === "exception-add"
            ? [[at, at + event.hours * HOUR]]
            : [],
      );
      expect(
        windows.some(([from, to]) => back !== undefined && back.at > from && back.at < to),
        `seed ${seed}`,
      ).toBe(true);
    }
  });

  it("with few VPN drops is the week with many, less drops: both draw the same numbers", () => {
    for (const seed of [1, 2, 3]) {
      const many = weekSchedule(seed, 7, "many").map((entry) => JSON.stringify(entry));
      const few = weekSchedule(seed, 7, "few").map((entry) => JSON.stringify(entry));
      expect(few.length).toBeLessThan(many.length);
      expect(many).toEqual(expect.arrayContaining(few));
      const left = many.filter((entry) => !few.includes(entry)).map((entry) => JSON.parse(entry).event.kind);
      expect(new Set(left)).toEqual(new Set(["vpn-down", "vpn-up"]));
    }
  });
});
