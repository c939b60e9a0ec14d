/**
 * A week of one Mac's life as a list of events at simulated times, drawn from a seed: the same seed gives the same
 * week. Times are seconds of elapsed time from the week's start (the Mac's own count, which a clock step does not
 * move). Each day: the Mac wakes at home (Wi-Fi or Ethernet) with the VPN coming back on another utun, goes to a
 * café (some days through a captive portal), naps, comes home and sleeps, the VPN dropping now and then. Once in the week
 * each of the rarer events: two reboots, exceptions added, expiring and removed, another program disabling pf,
 * flushing the anchor, adding `set skip` and loading translation rules, tcpdump killed, the disk full for an hour,
 * and the wall clock set back an hour (during a window) and forward a day.
 */

/** A small seeded generator (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type Place = "home-wifi" | "home-ethernet" | "cafe";

export type WeekEvent =
  /** The Mac joins a network; the VPN is down until `vpn-up`. */
  | { kind: "join"; place: Place; keepVpn: boolean }
  | { kind: "vpn-up" }
  | { kind: "vpn-down" }
  /** A captive portal window of this many minutes, opened from Status (the VPN is down at the café). */
  | { kind: "portal"; minutes: 2 | 5 }
  /** The lid closes; the Mac wakes `seconds` later, at `place`, its VPN back on another utun. */
  | { kind: "sleep"; seconds: number; place: Place }
  /** A restart: the VPN connects before anyone logs in (an always-on VPN), or only after login. */
  | { kind: "reboot"; vpnBeforeLogin: boolean }
  /** An exception for one hour, or until a date (`hours` from now by the wall clock), added while on. */
  | { kind: "exception-add"; name: "build" | "test"; address: string; hours: number }
  | { kind: "exception-remove"; name: "nas" | "build" | "test" }
  | { kind: "exception-restore-nas" }
  | { kind: "pf-disabled" }
  | { kind: "anchor-flushed" }
  | { kind: "skip-added" }
  | { kind: "skip-removed" }
  | { kind: "translation-loaded" }
  | { kind: "tcpdump-killed" }
  | { kind: "disk-full" }
  | { kind: "disk-freed" }
  /** The wall clock set by `seconds` (an NTP correction back, or forward a day). */
  | { kind: "clock-step"; seconds: number };

export interface Scheduled {
  /** Seconds of elapsed time since the week began. */
  at: number;
  event: WeekEvent;
}

const HOUR = 3600;
const DAY = 86_400;

/**
 * How often the VPN drops: `few`, once each afternoon (the week tier's weeks, as many checks as fit its minutes), or
 * `many`, up to eight times a day (the schedules the regressions were found with). Both draw the same numbers, so a
 * seed's week is the same but for the drops left out.
 */
export type VpnDrops = "few" | "many";

/** The week for `seed`, in time order. */
export function weekSchedule(seed: number, days = 7, vpnDrops: VpnDrops = "few"): Scheduled[] {
  const random = mulberry32(seed);
  const between = (low: number, high: number) => low + Math.floor(random() * (Math.max(low, high) - low + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const plan: Scheduled[] = [];
  const add = (at: number, event: WeekEvent) => plan.push({ at, event });
  const homePlace = (): Place => (random() < 0.35 ? "home-ethernet" : "home-wifi");
  /** VPN drops in [from, to): each comes back a little later. With few drops, only the first of `keep` is kept. */
  const drops = (from: number, to: number, count: number, keep: boolean) => {
    for (let i = 0; i < count; i++) {
      const at = between(from, to - 700);
      const back = at + between(10, 600);
      if (vpnDrops === "few" && (!keep || i > 0)) continue;
      add(at, { kind: "vpn-down" });
      add(back, { kind: "vpn-up" });
    }
  };
  // Which day each rare event falls on.
  const rareDays = {
    rebootVpnFirst: between(1, days - 1),
    rebootAfterLogin: between(1, days - 1),
    exceptions: between(0, days - 2),
    others: between(0, days - 1),
    disk: between(0, days - 1),
    clockBack: between(0, days - 2),
    clockForward: between(days - 3, days - 1),
  };

  for (let day = 0; day < days; day++) {
    const base = day * DAY;
    // The morning: awake at home (the week starts there, enabled, at 07:00), sometimes moving to Ethernet and back.
    const leave = base + between(8 * HOUR + 30 * 60, 9 * HOUR + 30 * 60);
    if (random() < 0.5)
      add(base + between(7 * HOUR + 5 * 60, 8 * HOUR), { kind: "join", place: homePlace(), keepVpn: true });
    drops(base + 7 * HOUR + 10 * 60, leave - 600, between(0, 2), false);
    if (day === rareDays.rebootVpnFirst) {
      add(base + between(7 * HOUR + 20 * 60, 7 * HOUR + 50 * 60), { kind: "reboot", vpnBeforeLogin: true });
    }

    // The café, some days through a sign-in page, then the VPN.
    const arrive = leave + between(15 * 60, 40 * 60);
    add(leave, { kind: "vpn-down" });
    add(arrive, { kind: "join", place: "cafe", keepVpn: false });
    let connected = arrive + between(20, 120);
    if (random() < 0.6) {
      const minutes = pick([2, 5] as const);
      add(arrive + 15, { kind: "portal", minutes });
      connected = arrive + 15 + minutes * 60 + between(-60, 60);
      if (day === rareDays.clockBack) add(arrive + 15 + between(20, 50), { kind: "clock-step", seconds: -HOUR });
    } else if (day === rareDays.clockBack) {
      // No portal that day: the correction falls in an exception's hour instead (added below).
      rareDays.exceptions = day;
    }
    add(connected, { kind: "vpn-up" });
    // A nap with the lid closed, back at the café on another utun.
    const nap = connected + between(HOUR, 2 * HOUR);
    add(nap, { kind: "sleep", seconds: between(20 * 60, 90 * 60), place: "cafe" });
    const afterNap = nap + 91 * 60 + 120;
    const goHome = base + between(17 * HOUR, 19 * HOUR);
    drops(afterNap, goHome - 300, between(1, 4), true);
    if (day === rareDays.exceptions) {
      const at = between(afterNap, goHome - 2 * HOUR);
      add(at, { kind: "exception-add", name: "build", address: "203.0.113.80", hours: 1 });
      add(at + between(5 * 60, 40 * 60), { kind: "exception-add", name: "test", address: "203.0.113.90", hours: 3 });
      add(at + HOUR + between(60, 600), { kind: "exception-remove", name: "nas" });
      if (day === rareDays.clockBack && !plan.some((s) => s.event.kind === "clock-step")) {
        add(at + between(5 * 60, 50 * 60), { kind: "clock-step", seconds: -HOUR });
      }
    }
    if (day === rareDays.exceptions + 1) add(base + between(10 * HOUR, 12 * HOUR), { kind: "exception-restore-nas" });
    if (day === rareDays.others) {
      const at = between(afterNap, goHome - 3 * HOUR);
      add(at, { kind: "pf-disabled" });
      add(at + between(5 * 60, 20 * 60), { kind: "anchor-flushed" });
      add(at + between(25 * 60, 40 * 60), { kind: "skip-added" });
      add(at + between(45 * 60, 70 * 60), { kind: "skip-removed" });
      add(at + between(80 * 60, 100 * 60), { kind: "translation-loaded" });
      add(at + between(110 * 60, 150 * 60), { kind: "tcpdump-killed" });
    }
    if (day === rareDays.disk) {
      const at = between(afterNap, goHome - 90 * 60);
      add(at, { kind: "disk-full" });
      add(at + HOUR, { kind: "disk-freed" });
    }

    // The evening at home, then the night.
    add(goHome, { kind: "vpn-down" });
    const home = goHome + between(20 * 60, 45 * 60);
    add(home, { kind: "join", place: homePlace(), keepVpn: false });
    add(home + between(20, 90), { kind: "vpn-up" });
    if (day === rareDays.rebootAfterLogin)
      add(home + between(HOUR, 2 * HOUR), { kind: "reboot", vpnBeforeLogin: false });
    drops(home + 2 * HOUR + 600, base + 22 * HOUR, between(0, 2), false);
    if (day === rareDays.clockForward) add(base + 22 * HOUR + between(60, 1800), { kind: "clock-step", seconds: DAY });
    if (day === (rareDays.others + 2) % days) add(base + 21 * HOUR, { kind: "tcpdump-killed" });
    const night = base + between(23 * HOUR, 23 * HOUR + 50 * 60);
    const morning = base + DAY + between(6 * HOUR + 30 * 60, 7 * HOUR);
    if (day < days - 1) add(night, { kind: "sleep", seconds: morning - night, place: homePlace() });
  }
  // Stable order: by time, then as added.
  return plan
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at - b.entry.at || a.index - b.index)
    .map(({ entry }) => entry);
}
