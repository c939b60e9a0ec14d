import { describe, expect, it } from "vitest";
import { timeAgo } from "../../src/words/time-ago";

const NOW = new Date("2026-03-02T12:00:00Z");
const before = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

describe("timeAgo", () => {
  it("counts seconds for the watchdog's checks, minutes for blocked traffic", () => {
    expect(timeAgo(before(0), NOW, "seconds")).toBe("just now");
    expect(timeAgo(before(8), NOW, "seconds")).toBe("8 s ago");
    expect(timeAgo(before(8), NOW)).toBe("just now");
    expect(timeAgo(before(59), NOW)).toBe("just now");
    expect(timeAgo(before(60), NOW)).toBe("1 min ago");
    expect(timeAgo(before(60), NOW, "seconds")).toBe("1 min ago");
  });

  it("goes to hours, then to days from a day on, the same in both", () => {
    for (const precision of ["seconds", "minutes"] as const) {
      expect(timeAgo(before(3599), NOW, precision)).toBe("59 min ago");
      expect(timeAgo(before(3600), NOW, precision)).toBe("1 h ago");
      expect(timeAgo(before(23 * 3600 + 3599), NOW, precision)).toBe("23 h ago");
      expect(timeAgo(before(24 * 3600), NOW, precision)).toBe("1 day ago");
      expect(timeAgo(before(4 * 86_400 + 7200), NOW, precision)).toBe("4 days ago");
    }
  });

  it("says just now for a moment ahead of the clock or one it cannot read", () => {
    expect(timeAgo(before(-30), NOW, "seconds")).toBe("just now");
    expect(timeAgo("not a date", NOW)).toBe("just now");
  });
});
