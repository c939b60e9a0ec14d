/**
 * A week of life on one Mac, on the fake macOS: the events of `weekSchedule(seed)` played in simulated time, with
 * launchd's watchdog checks after each and a few between, and the kill switch's promises checked after every one
 * (see `WeekReport.problems`). Shared by the week's test and the bench, so it uses no test framework.
 *
 * After every event (and the check launchd runs for it):
 * - pf runs our anchor first, and its rules keep the policy of that moment (the verifier's packet matrix; only
 *   leaks count while the watchdog blocks with its fail-closed rules or cannot make a work folder);
 * - no pf state outlives its pass: each state's first packet still passes the rules in force;
 * - Status says what pf does (Protected, Blocking, or Degraded while pf skips an interface or the check failed);
 * - a captive portal window or an exception lasts no longer than asked, by elapsed time and by the wall clock;
 * - the record stays within blockedTrafficLog MB, and every other root file within ROOT_FILE_BOUND_BYTES;
 * - exactly one tcpdump runs (none while the disk is full), and no timer outlives the change it waits for;
 * - no work folder, lock or lock claim is left behind.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  KillSwitchError,
  applyKillSwitch,
  disableKillSwitch,
  enableKillSwitch,
  getKillSwitchStatus,
} from "../../src/lifecycle";
import type { NetworkState } from "../../src/network/state";
import { type Endpoint, type KillSwitchPolicy, parseRecordedServer, resolvePolicy } from "../../src/policy/policy";
import { type Settings, type SettingsInput, parseSettings } from "../../src/policy/settings";
import { ANCHOR_NAME, CAPTURE_DIRECTORY, PRODUCT_ID } from "../../src/privileged/paths";
import { createEvaluator } from "../../src/verify/evaluate";
import { parsePfRules } from "../../src/verify/parse-rules";
import { verifyRuleset } from "../../src/verify/verify-policy";
import { type FakeMac, createFakeMac, killNow } from "../fakes/fake-mac";
import { CAFE_ID, HOME_ID, type MacNetwork, macNetworkState, macSnapshot } from "../fakes/networks";
import { type PfStateEntry, emptyRuleset, evaluationOrder } from "../fakes/pf-model";
import { type Place, type Scheduled, type VpnDrops, type WeekEvent, weekSchedule } from "./week-schedule";

/** Monday 2 March 2026, 07:00 UTC: the week's start, on at home with the VPN up. */
const WEEK_START = Date.UTC(2026, 2, 2, 7, 0, 0) / 1000;
/** The schedule counts from midnight; the week starts at 07:00. */
const START_OF_DAY = 7 * 3600;
/** A check launchd runs between events when nothing happens for this long (its StartInterval, sampled). */
const IDLE_CHECK_SECONDS = 3 * 3600;
/** The record (blockedTrafficLog), in MB. */
export const RECORD_MB = 10;
/** The change timer counts down in steps of at most this. */
const TIMER_STEP_SECONDS = 10;
/**
 * Every root file but the record's captures stays within this: the largest by construction is the record's list of
 * processes, at most 5000 lines of at most about 540 bytes (65-capture.sh); the watchdog's script is about 130 KB.
 */
export const ROOT_FILE_BOUND_BYTES = 3 * 1024 * 1024;

const VPN_SERVER = "198.51.100.7";
type ExceptionInput = NonNullable<SettingsInput["exceptions"]>[number];
const NAS: ExceptionInput = { address: "10.20.0.5", port: 445, protocol: "tcp", label: "NAS" };
const WEEK_EXCEPTIONS: Record<string, ExceptionInput> = {
  homePrinter: { address: "192.168.1.40", label: "Home printer", scope: HOME_ID },
  cafePrinter: { address: "192.168.50.9", port: 631, protocol: "tcp", label: "Cafe printer", scope: CAFE_ID },
  nas: NAS,
};

export interface WeekReport {
  seed: number;
  days: number;
  vpnDrops: VpnDrops;
  events: number;
  /** Rounds of the checks above. */
  checks: number;
  /** Leaks the verifier found (a packet the policy blocks that the rules pass), over every check. */
  leaks: number;
  problems: string[];
  largestFile: { path: string; bytes: number };
  /** The root folder (the state directory, the record included) at its largest. */
  peakRootBytes: number;
  /** The most processes of the kill switch seen running at once after a check (tcpdump and the timer's sleep). */
  mostProcesses: number;
  /** Network changes (a join, the VPN down or up, a wake), and how many the one check after each followed. */
  networkChanges: { seen: number; followed: number };
  /** pf undone by another program (stopped, our anchor flushed, set skip, translation rules), and how many repaired. */
  pfTampering: { seen: number; followed: number };
  /** When each event came, in elapsed seconds. */
  eventTimes: number[];
  /** Each event as it came: its elapsed second and what it was, and what refused it. */
  log: string[];
}

export interface WeekOptions {
  /** Fewer days, to replay the start of a week. */
  days?: number;
  /** How often the VPN drops (week-schedule.ts); few unless told. */
  vpnDrops?: VpnDrops;
  /** Runs on the fake Mac at the week's end, before Disable (the bench traces checks there). */
  beforeDisable?: (mac: FakeMac) => Promise<void>;
}

export function summaryLine(report: WeekReport): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  return (
    `week seed ${report.seed} (${report.days} day${report.days === 1 ? "" : "s"}, ${report.vpnDrops} VPN drops): ${report.events} events, ${report.checks} checks, leaks ${report.leaks}, ` +
    `problems ${report.problems.length}, changes followed at the next check ${report.networkChanges.followed}/` +
    `${report.networkChanges.seen}, pf undone and repaired within one interval ${report.pfTampering.followed}/` +
    `${report.pfTampering.seen}, largest file ${report.largestFile.path} ${kb(report.largestFile.bytes)}, ` +
    `root folder at most ${kb(report.peakRootBytes)}, processes at most ${report.mostProcesses}`
  );
}

function settingsOf(exceptions: ExceptionInput[]): Settings {
  const parsed = parseSettings({
    vpnServers: [`${VPN_SERVER}:1194/udp`],
    protectFromStartup: true,
    blockedTrafficLog: RECORD_MB,
    exceptions,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.settings;
}

async function policyOf(settings: Settings): Promise<KillSwitchPolicy> {
  const resolved = await resolvePolicy(settings, async () => []);
  if (!resolved.ok) throw new Error(resolved.errors.join("; "));
  return resolved.policy;
}

const readJsonFile = (path: string): Record<string, unknown> | null => {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
};

/** The file at `path`, or every file under it, with its size. */
function filesUnder(path: string): { path: string; bytes: number }[] {
  if (!existsSync(path)) return [];
  const stat = statSync(path);
  if (stat.isFile()) return [{ path, bytes: stat.size }];
  if (!stat.isDirectory()) return [];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

/** The week for `seed`, played on a new fake Mac, which is removed at the end. */
export async function runWeek(seed: number, options: WeekOptions = {}): Promise<WeekReport> {
  const days = options.days ?? 7;
  const vpnDrops = options.vpnDrops ?? "few";
  const schedule = weekSchedule(seed, days, vpnDrops);
  const home: MacNetwork = { wifi: "home", vpn: "utun4" };
  const mac = createFakeMac({ network: macSnapshot(home), now: WEEK_START, bootTime: WEEK_START - 3600 });
  const report: WeekReport = {
    seed,
    days,
    vpnDrops,
    events: 0,
    checks: 0,
    leaks: 0,
    problems: [],
    largestFile: { path: "", bytes: 0 },
    peakRootBytes: 0,
    mostProcesses: 0,
    networkChanges: { seen: 0, followed: 0 },
    pfTampering: { seen: 0, followed: 0 },
    eventTimes: [],
    log: [],
  };
  try {
    await new Week(mac, report, options.beforeDisable).play(schedule);
  } finally {
    mac.cleanup();
  }
  return report;
}

/** A window (a portal's, an exception's) as the kill switch must time it: its wall-clock end and its elapsed end. */
interface Window {
  wallEnd: number;
  /** Elapsed seconds (Week.elapsed) at which it ends; null from a restart until the first check counts it again. */
  elapsedEnd: number | null;
}

class Week {
  /** Elapsed seconds since the week began: moved by time passing (awake or asleep), never by setting the clock. */
  private elapsed = START_OF_DAY;
  private place: Place = "home-wifi";
  private vpn: string | null = "utun4";
  private utun = 4;
  private exceptions: Record<string, ExceptionInput> = { ...WEEK_EXCEPTIONS };
  private windows = new Map<string, Window>();
  private portal: Window | null = null;
  private diskFull = false;
  private skipped: string | null = null;
  private label = "enabled";
  /** When Enable, Apply or Disable last ran (elapsed seconds): each may leave the timer before it a last step. */
  private lastRootAction = START_OF_DAY;
  /** How launchd's last check ended, said with what went wrong after it. */
  private lastRun = "";

  constructor(
    private readonly mac: FakeMac,
    private readonly report: WeekReport,
    private readonly beforeDisable?: (mac: FakeMac) => Promise<void>,
  ) {}

  private wall = () => Math.floor(this.mac.now().getTime() / 1000);
  private link = () => (this.place === "home-ethernet" ? "en7" : "en0");
  private macNetwork = (): MacNetwork => ({
    wifi: this.place === "cafe" ? "cafe" : "home",
    vpn: this.vpn,
    ...(this.place === "home-ethernet" ? { link: "en7" } : {}),
  });
  private networkState = (): NetworkState => macNetworkState(this.macNetwork());
  private problem = (text: string) =>
    this.report.problems.push(
      `${this.label} (${new Date(this.wall() * 1000).toISOString()}): ${text}; ${this.lastRun}`,
    );

  private async advance(seconds: number): Promise<void> {
    if (seconds <= 0) return;
    await this.mac.advanceClock(seconds);
    this.elapsed += seconds;
  }

  private open = (window: Window | null) =>
    window !== null && this.wall() < window.wallEnd && (window.elapsedEnd === null || this.elapsed < window.elapsedEnd);

  /** The settings in force now: the exceptions the user has, less those whose time is up. */
  private settingsNow(): Settings {
    return settingsOf(
      Object.entries(this.exceptions)
        .filter(([name]) => !this.windows.has(name) || this.open(this.windows.get(name) ?? null))
        .map(([, exception]) => exception),
    );
  }

  private userSettings = () => settingsOf(Object.values(this.exceptions));

  private setNetwork() {
    this.mac.setNetwork(macSnapshot(this.macNetwork()));
  }

  async play(schedule: Scheduled[]): Promise<void> {
    await enableKillSwitch({
      system: this.mac.system,
      settings: this.userSettings(),
      network: this.networkState(),
      now: this.mac.now(),
      lookup: async () => [],
    });
    await this.check("event");
    for (const { at, event } of schedule) {
      if (at < this.elapsed) continue; // a moment already lived (a restart or a nap ran past it)
      await this.moveTo(at);
      this.label = describe(event);
      this.report.log.push(`${at} ${this.label}`);
      this.report.eventTimes.push(at);
      this.report.events++;
      await this.apply(event);
    }
    await this.moveTo(this.elapsed + 600);
    if (this.beforeDisable) await this.beforeDisable(this.mac);
    await this.turnOff();
  }

  /** Lets time pass, awake, until `target`: launchd's checks now and then, and a look as each window ends. */
  private async moveTo(target: number): Promise<void> {
    let lastCheck = this.elapsed;
    while (this.elapsed < target) {
      const ends = [...this.windows.values(), ...(this.portal ? [this.portal] : [])]
        .filter((window) => this.open(window) && window.elapsedEnd !== null)
        .map((window) => Math.min(window.elapsedEnd as number, this.elapsed + window.wallEnd - this.wall()));
      const nextEnd = Math.min(...ends.filter((end) => end > this.elapsed));
      const stop = Math.min(target, lastCheck + IDLE_CHECK_SECONDS, nextEnd);
      await this.advance(stop - this.elapsed);
      if (stop === nextEnd) {
        // The timer closes it on the second, without the watchdog.
        this.label = "a window's time is up";
        await this.check("none");
      } else if (stop !== target) {
        this.label = "idle";
        await this.check("idle");
        lastCheck = this.elapsed;
      }
    }
  }

  private async apply(event: WeekEvent): Promise<void> {
    const mac = this.mac;
    switch (event.kind) {
      case "join":
        this.place = event.place;
        if (!event.keepVpn) this.vpn = null;
        this.setNetwork();
        return this.afterEvent(2, "network");
      case "vpn-up":
        if (this.vpn !== null) return;
        this.vpn = `utun${this.utun}`;
        this.setNetwork();
        return this.afterEvent(2, "network");
      case "vpn-down":
        if (this.vpn === null) return;
        this.vpn = null;
        this.setNetwork();
        return this.afterEvent(2, "network");
      case "portal": {
        if (this.place !== "cafe" || this.vpn !== null) return;
        const wallEnd = this.wall() + event.minutes * 60;
        const done = await this.userAction(() =>
          applyKillSwitch({
            system: mac.system,
            settings: this.userSettings(),
            network: this.networkState(),
            now: mac.now(),
            lookup: async () => [],
            captivePortalUntil: new Date(wallEnd * 1000),
            keepConnections: true,
          }),
        );
        if (done) this.portal = { wallEnd, elapsedEnd: this.elapsed + event.minutes * 60 };
        return this.check("event");
      }
      case "sleep": {
        await mac.sleepFor(event.seconds);
        this.elapsed += event.seconds;
        // Awake at `place`; the VPN reconnects a little later, on another utun.
        this.place = event.place;
        this.vpn = null;
        this.setNetwork();
        await this.afterEvent(3, "network");
        this.utun = this.utun >= 12 ? 4 : this.utun + 1;
        this.vpn = `utun${this.utun}`;
        this.setNetwork();
        return this.afterEvent(15, "network");
      }
      case "reboot":
        return this.reboot(event.vpnBeforeLogin);
      case "exception-add": {
        const wallEnd = this.wall() + event.hours * 3600;
        const exception = {
          address: event.address,
          label: event.name,
          expiresAt: new Date(wallEnd * 1000).toISOString(),
        };
        return this.changeSettings({ ...this.exceptions, [event.name]: exception }, () =>
          this.windows.set(event.name, { wallEnd, elapsedEnd: this.elapsed + event.hours * 3600 }),
        );
      }
      case "exception-remove": {
        if (!(event.name in this.exceptions)) return;
        const rest = Object.fromEntries(Object.entries(this.exceptions).filter(([name]) => name !== event.name));
        return this.changeSettings(rest, () => this.windows.delete(event.name));
      }
      case "exception-restore-nas":
        return this.changeSettings({ ...this.exceptions, nas: NAS }, () => {});
      case "pf-disabled":
        await mac.pfctlAsRoot(["-d"]);
        return this.afterEvent(5, "pf");
      case "anchor-flushed":
        await mac.pfctlAsRoot(["-a", ANCHOR_NAME, "-F", "all"]);
        return this.afterEvent(5, "pf");
      case "skip-added": {
        const file = `${mac.root}/etc/other-pf.conf`;
        writeFileSync(file, `set skip on ${this.link()}\n${readFileSync(`${mac.root}/etc/pf.conf`, "utf8")}`);
        await mac.pfctlAsRoot(["-f", file]);
        this.skipped = this.link();
        return this.afterEvent(5, "pf");
      }
      case "skip-removed":
        await mac.pfctlAsRoot(["-f", `${mac.root}/etc/pf.conf`]);
        this.skipped = null;
        return this.afterEvent(5);
      case "translation-loaded": {
        const file = `${mac.root}/etc/other-nat.conf`;
        const lines = ['nat-anchor "com.apple/*" all', 'rdr-anchor "com.apple/*" all'];
        writeFileSync(
          file,
          `${[...lines, `nat pass on ${this.link()} inet from any to any -> 192.168.1.23`].join("\n")}\n`,
        );
        await mac.pfctlAsRoot(["-N", "-f", file]);
        return this.afterEvent(5, "pf");
      }
      case "tcpdump-killed":
        for (const pid of mac.running().tcpdumps) killNow(pid);
        return this.afterEvent(5);
      case "disk-full":
        mac.fillDisk(true);
        this.diskFull = true;
        return this.afterEvent(5);
      case "disk-freed":
        mac.fillDisk(false);
        this.diskFull = false;
        return this.afterEvent(5);
      case "clock-step":
        await mac.stepClock(event.seconds);
        return this.afterEvent(5);
    }
  }

  /**
   * launchd runs the watchdog a few seconds after an event (WatchPaths, or its next StartInterval), within one
   * interval. A network change or pf undone by another program counts as followed when that one check left every
   * promise kept.
   */
  private async afterEvent(delay: number, change?: "network" | "pf"): Promise<void> {
    await this.advance(delay);
    const before = this.report.problems.length;
    await this.check("event");
    if (change === undefined) return;
    const counted = change === "network" ? this.report.networkChanges : this.report.pfTampering;
    counted.seen++;
    if (this.report.problems.length === before) counted.followed++;
  }

  /**
   * The user changes the exceptions, and the front-end applies them at once. Refused (a full disk), nothing changed:
   * the user is told, and the week goes on without the change.
   */
  private async changeSettings(exceptions: Record<string, ExceptionInput>, model: () => void): Promise<void> {
    const recorded = readJsonFile(`${this.mac.stateDirectory}/state.json`);
    const portal = typeof recorded?.captivePortalUntil === "number" ? recorded.captivePortalUntil : null;
    // As every front-end does: the portal window the record shows open is kept open by the new rules.
    const done = await this.userAction(() =>
      applyKillSwitch({
        system: this.mac.system,
        settings: settingsOf(Object.values(exceptions)),
        network: this.networkState(),
        now: this.mac.now(),
        lookup: async () => [],
        captivePortalUntil: portal !== null && portal > this.wall() ? new Date(portal * 1000) : null,
      }),
    );
    if (done) {
      this.exceptions = exceptions;
      model();
    }
    await this.check("event");
  }

  /** An action the user starts; false when it was refused with nothing changed (said in the log). */
  private async userAction(action: () => Promise<unknown>): Promise<boolean> {
    this.lastRootAction = this.elapsed;
    try {
      await action();
      return true;
    } catch (error) {
      if (!(error instanceof KillSwitchError) || !error.nothingChanged) throw error;
      this.report.log.push(`  refused, nothing changed: ${error.message.split("\n")[0]}`);
      if (!this.diskFull) this.problem(`the user's action was refused: ${error.message}`);
      return false;
    }
  }

  /** A restart: pf stopped and empty, the watchdog at RunAtLoad, Apple's rules, the login, the VPN. */
  private async reboot(vpnBeforeLogin: boolean): Promise<void> {
    const mac = this.mac;
    mac.reboot(this.wall());
    mac.writePf({ ...mac.readPf(), main: emptyRuleset(), anchors: {}, enabled: false });
    // A restart starts the elapsed count again: windows count by the wall clock from the first check of this boot.
    for (const window of [...this.windows.values(), ...(this.portal ? [this.portal] : [])]) window.elapsedEnd = null;
    this.place = this.place === "cafe" ? "cafe" : "home-wifi";
    this.utun = this.utun >= 12 ? 4 : this.utun + 1;
    this.vpn = vpnBeforeLogin ? `utun${this.utun}` : null;
    await this.advance(25);
    this.setNetwork();
    await this.check("event"); // RunAtLoad
    await this.advance(3);
    await mac.pfctlAsRoot(["-f", `${mac.root}/etc/pf.conf`]); // com.apple.pfctl
    await this.afterEvent(5);
    await this.advance(40);
    mac.login();
    await this.afterEvent(5);
    if (!vpnBeforeLogin) {
      this.vpn = `utun${this.utun}`;
      this.setNetwork();
      await this.afterEvent(20);
    }
  }

  /** The end of the week: Disable, and nothing of the kill switch is left. */
  private async turnOff(): Promise<void> {
    this.label = "disabled";
    await disableKillSwitch({ system: this.mac.system });
    // The timer, if one ran, ends at its next step.
    await this.mac.advanceClock(TIMER_STEP_SECONDS);
    const pf = this.mac.readPf();
    if (pf.anchors[ANCHOR_NAME]) this.problem("our anchor is still loaded after Disable");
    if (this.mac.launchDaemons().length > 0) this.problem("launchd still has the watchdog after Disable");
    if (existsSync(this.mac.stateDirectory)) this.problem("the state directory is still there after Disable");
    const running = this.mac.running();
    if (running.tcpdumps.length + running.sleepers.length > 0) {
      this.problem(`processes left after Disable: ${JSON.stringify(running)}`);
    }
    this.leftBehind();
  }

  /**
   * launchd's check (kind event or idle; none: only look), then every promise of the moment. The first check after a
   * restart counts each window's elapsed time again from then.
   */
  private async check(kind: "event" | "idle" | "none"): Promise<void> {
    const mac = this.mac;
    if (kind !== "none") {
      const run = await mac.runLaunchDaemon(PRODUCT_ID);
      this.lastRun = `the check exited ${run.exitCode}${run.stderr ? `: ${run.stderr.trim()}` : ""}`;
      for (const window of [...this.windows.values(), ...(this.portal ? [this.portal] : [])]) {
        window.elapsedEnd ??= this.elapsed + (window.wallEnd - this.wall());
      }
    }
    // Whatever the check or a timer left running has settled: ended, or asleep until the clock moves.
    await mac.advanceClock(0);
    this.report.checks++;
    const rules = anchorRules(mac);
    await this.verifyRules(rules);
    this.checkStates(rules);
    await this.checkStatus();
    this.checkDisk();
    this.checkProcesses();
    this.leftBehind();
    this.openConnections(rules);
  }

  private async verifyRules(rules: string) {
    const pf = this.mac.readPf();
    if (!pf.enabled) this.problem("pf is not enabled");
    if (evaluationOrder(pf)[0] !== ANCHOR_NAME)
      this.problem(`pf evaluates ${evaluationOrder(pf)[0]} before our anchor`);
    const watchdog = readJsonFile(`${this.mac.stateDirectory}/watchdog.json`);
    const blockingOnly = watchdog?.failedClosed === true || this.diskFull;
    const portal = this.open(this.portal) && this.portal ? new Date(this.portal.wallEnd * 1000) : null;
    const state = readJsonFile(`${this.mac.stateDirectory}/state.json`);
    const result = verifyRuleset(rules, {
      policy: await policyOf(this.settingsNow()),
      network: this.networkState(),
      now: this.mac.now(),
      captivePortalUntil: portal,
      rememberedServers: rememberedServers(state),
      rememberedTunnelRoutes: (state?.tunnelRoutes as string[] | undefined) ?? [],
    });
    const failures = result.clauses.flatMap((clause) => clause.failures).filter((f) => f.leak || !blockingOnly);
    this.report.leaks += failures.filter((failure) => failure.leak).length;
    if (failures.length > 0) {
      const leaks = failures.filter((failure) => failure.leak).length;
      const shown = failures
        .slice(0, 2)
        .map((f) => `${f.description}: expected ${f.expected}, ${f.actual}${f.rule ? ` (${f.rule.text})` : ""}`);
      this.problem(`verifier: ${failures.length} packets wrong, ${leaks} of them leaks; ${shown.join("; ")}`);
    }
    if (result.parseErrors.length > 0) this.problem(`rules do not parse: ${result.parseErrors.join("; ")}`);
  }

  /** Every connection pf still tracks must be one the rules in force would let start. */
  private checkStates(rules: string) {
    const evaluate = createEvaluator(parsePfRules(rules));
    const network = this.networkState();
    for (const entry of this.mac.readPf().states) {
      const verdict = evaluate(packetOf(entry, network)).action;
      if (verdict !== "pass") {
        this.problem(`a connection outlived its pass: ${entry.lan}:${entry.lanPort} -> ${entry.ext}:${entry.extPort}`);
      }
    }
  }

  private async checkStatus() {
    const network = this.networkState();
    const status = await getKillSwitchStatus({ system: this.mac.system, network, now: this.mac.now() });
    const watchdog = readJsonFile(`${this.mac.stateDirectory}/watchdog.json`);
    const physical = network.physical.map((link) => link.name);
    const skipping = (this.mac.readPf().skip ?? []).some((name) => physical.includes(name));
    // A failed check is Safe Mode when it fell back to the fail-closed rules, else Not Protected, as pf skipping is.
    const failed = watchdog?.result === "failed";
    const expected =
      failed && watchdog?.failedClosed && !skipping
        ? "safe-mode"
        : skipping || failed
          ? "not-protected"
          : this.vpn !== null
            ? "protected"
            : "blocking";
    if (status.state !== expected) {
      this.problem(
        `Status says ${status.state} (${status.headline}), pf calls for ${expected}; the check said: ${watchdog?.result} ${watchdog?.message}`,
      );
    }
    // Without a work folder the check cannot read what pf skips; it says it could not check.
    if (skipping && !this.diskFull && !status.headline.includes(this.skipped ?? "?")) {
      this.problem(`Status does not name the skipped ${this.skipped}`);
    }
  }

  private checkDisk() {
    const files = filesUnder(this.mac.stateDirectory);
    // What the root script keeps in /var/run (the windows' ends, the newest timer) is bounded as well.
    const run = `${this.mac.root}/var/run`;
    const runFiles = readdirSync(run)
      .filter((name) => name.startsWith(PRODUCT_ID))
      .flatMap((name) => filesUnder(join(run, name)));
    const capture = `${this.mac.root}${CAPTURE_DIRECTORY}`;
    const captures = files.filter((file) => file.path.startsWith(`${capture}/`) && /\.pcap\d+$/.test(file.path));
    const recorded = captures.reduce((sum, file) => sum + file.bytes, 0);
    if (recorded > RECORD_MB * 1024 * 1024) this.problem(`the record holds ${recorded} bytes, over ${RECORD_MB} MB`);
    for (const file of [...files, ...runFiles]) {
      if (!captures.includes(file) && file.bytes > ROOT_FILE_BOUND_BYTES)
        this.problem(`${file.path} holds ${file.bytes} bytes`);
      if (file.bytes > this.report.largestFile.bytes) {
        const inState = file.path.startsWith(`${this.mac.stateDirectory}/`);
        const path = inState
          ? file.path.slice(this.mac.stateDirectory.length + 1)
          : file.path.slice(this.mac.root.length);
        this.report.largestFile = { path, bytes: file.bytes };
      }
    }
    const total = files.reduce((sum, file) => sum + file.bytes, 0);
    this.report.peakRootBytes = Math.max(this.report.peakRootBytes, total);
  }

  private checkProcesses() {
    const running = this.mac.running();
    this.report.mostProcesses = Math.max(this.report.mostProcesses, running.tcpdumps.length + running.sleepers.length);
    const wanted = this.diskFull ? 0 : 1;
    if (running.tcpdumps.length !== wanted) this.problem(`${running.tcpdumps.length} tcpdumps run, not ${wanted}`);
    // A timer no longer wanted (another took over, or nothing is left to wait for) ends at its next step.
    if (this.elapsed - this.lastRootAction < TIMER_STEP_SECONDS) {
      if (running.sleepers.length > 2) this.problem(`${running.sleepers.length} timers sleep`);
      return;
    }
    const state = readJsonFile(`${this.mac.stateDirectory}/state.json`);
    const pending = typeof state?.nextChangeAt === "number";
    if (running.sleepers.length > (pending ? 1 : 0)) {
      this.problem(`${running.sleepers.length} timers sleep, with ${pending ? "one change" : "no change"} to wait for`);
    }
  }

  private leftBehind() {
    const tmp = `${this.mac.root}/tmp`;
    if (statSync(tmp).isDirectory()) {
      const folders = readdirSync(tmp).filter((name) => name.startsWith("killswitch."));
      if (folders.length > 0) this.problem(`work folders left in /tmp: ${folders.join(", ")}`);
    }
    const locks = readdirSync(`${this.mac.root}/var/run`).filter((name) => name.startsWith(`${PRODUCT_ID}.lock`));
    if (locks.length > 0) this.problem(`left in /var/run: ${locks.join(", ")}`);
  }

  /** Apps open what the rules let them: through the tunnel, to the VPN server, the printers, the web in a portal. */
  private openConnections(rules: string) {
    const network = this.networkState();
    const lan = network.physical[0]?.ipv4[0];
    if (!lan) return;
    const tunnel = network.tunnels[0]?.ipv4[0];
    const wanted: PfStateEntry[] = [
      connection(lan, 50001, VPN_SERVER, 1194, "udp"),
      connection(lan, 50631, "192.168.1.40", 631),
      connection(lan, 50632, "192.168.50.9", 631),
      connection(lan, 50445, "10.20.0.5", 445),
      connection(lan, 50022, "203.0.113.80", 22),
      connection(lan, 50023, "203.0.113.90", 22),
      connection(lan, 50443, "93.184.216.34", 443),
      connection(lan, 50053, "192.168.50.1", 53, "udp"),
      ...(tunnel ? [connection(tunnel, 50400, "93.184.216.34", 443)] : []),
    ];
    const evaluate = createEvaluator(parsePfRules(rules));
    const pf = this.mac.readPf();
    const key = (entry: PfStateEntry) => `${entry.lan}:${entry.lanPort}>${entry.ext}:${entry.extPort}`;
    const present = new Set(pf.states.map(key));
    const opened = wanted.filter(
      (entry) => !present.has(key(entry)) && evaluate(packetOf(entry, network)).action === "pass",
    );
    if (opened.length > 0) this.mac.writePf({ ...pf, states: [...pf.states, ...opened] });
  }
}

function connection(
  lan: string,
  lanPort: number,
  ext: string,
  extPort: number,
  proto: "tcp" | "udp" = "tcp",
): PfStateEntry {
  return { iface: "ALL", proto, direction: "out", lan, lanPort, ext, extPort, description: "ESTABLISHED:ESTABLISHED" };
}

/** A state's first packet, out of the interface that holds its address now (the first physical link when none does). */
function packetOf(entry: PfStateEntry, network: NetworkState) {
  const holder = [...network.tunnels, ...network.physical].find((link) => link.ipv4.includes(entry.lan));
  return {
    direction: "out" as const,
    interface: holder?.name ?? network.physical[0]?.name ?? "en0",
    family: "inet" as const,
    protocol: entry.proto,
    source: entry.lan,
    destination: entry.ext,
    sourcePort: entry.lanPort,
    destinationPort: entry.extPort,
  };
}

/** Our anchor as pf holds it now. */
function anchorRules(mac: FakeMac): string {
  const rules = mac.readPf().anchors[ANCHOR_NAME]?.filter ?? [];
  return rules.length > 0 ? `${rules.join("\n")}\n` : "";
}

function rememberedServers(state: Record<string, unknown> | null): Endpoint[] {
  const servers = (state?.servers as string[] | undefined) ?? [];
  return servers.flatMap((text) => {
    const server = parseRecordedServer(text);
    return server?.kind === "trusted" ? [server.endpoint] : [];
  });
}

function describe(event: WeekEvent): string {
  switch (event.kind) {
    case "join":
      return `joins ${event.place}${event.keepVpn ? " (VPN kept)" : ""}`;
    case "portal":
      return `captive portal window of ${event.minutes} minutes`;
    case "sleep":
      return `sleeps ${Math.round(event.seconds / 60)} minutes, wakes at ${event.place}`;
    case "reboot":
      return `restarts, VPN ${event.vpnBeforeLogin ? "before" : "after"} login`;
    case "exception-add":
      return `exception ${event.name} for ${event.hours} hours`;
    case "exception-remove":
      return `exception ${event.name} removed`;
    case "clock-step":
      return `wall clock set ${event.seconds > 0 ? "forward" : "back"} ${Math.abs(event.seconds)} s`;
    default:
      return event.kind;
  }
}
