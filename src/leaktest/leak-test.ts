/**
 * The live leak test: a handful of probes sent outside the tunnel on purpose and one through it (probes.ts),
 * judged by pf's own word, the kill switch's record of blocked traffic, with nothing older than the run.
 *
 * How each probe outside the tunnel is judged, from what this run saw alone:
 * - **blocked**: pf logged the block of this very probe: its interface, addresses, protocol and ports, going
 *   out, stamped while its `nc` ran (probe-entry.ts). With source ports drawn at random for each run, neither
 *   an earlier run's entries nor packets another program sends from the same port can stand in for it.
 * - **leak**: it got out. A TCP probe that connected did; and so did one that was sent while the record is
 *   being kept and that pf did not log, since every block of the kill switch's rules is logged, at the moment
 *   pf decides (when pf is off, or our rules are not in force, nothing is logged and every probe leaves). This
 *   holds for a UDP probe too, which `nc` cannot tell about, and for a TCP probe whose answer the network
 *   dropped: each is judged by its own entry, whatever the others did. (Were the record's tcpdump dead, this
 *   errs towards a false alarm, never towards a false "blocked".)
 * - **not proven**: nothing can tell. It could not be sent (`nc` failed before sending), this Mac refused it
 *   with no block of it logged (so it did not leave, but not by the kill switch's doing), or no record is
 *   being kept, so pf's verdict cannot be read. The summary never says "no leak" while one is not proven.
 * The tunnel probe is **tunnel-blocked** when pf logged its block, **passed** when it connected, **no-answer**
 * when it was sent and not refused while the record is kept without a block logged (it went into the tunnel,
 * but nothing proves it came out the other end), else not proven.
 */
import type { NetworkState } from "../network/state";
import type { BlockedTrafficRecord } from "../pflog/record";
import type { CommandResult, SystemCommands } from "../system/commands";
import { type SentProbe, isProbeEntry } from "./probe-entry";
import { type Probe, type RandomInt, planProbes, probeArguments } from "./probes";

export type ProbeVerdict =
  /** pf logged the block of this probe, during this run. */
  | "blocked"
  /** An outside probe that left the Mac outside the VPN. */
  | "leak"
  /** The tunnel probe went through the tunnel: it connected. */
  | "passed"
  /** The tunnel probe was sent into the tunnel, pf logged no block of it, and no answer came: not a pass. */
  | "no-answer"
  /** The tunnel probe was blocked by pf. */
  | "tunnel-blocked"
  /** Nothing tells what became of it: it could not be sent, or pf's log is not being kept. */
  | "not-proven";

export interface ProbeResult {
  probe: Probe;
  verdict: ProbeVerdict;
  /** Why, in words: the rule that blocked it, what nc said. */
  detail: string;
}

export interface LeakTestResult {
  results: ProbeResult[];
  /** Why a probe was not planned: no tunnel, no IPv6 on the link. */
  skipped: string[];
  /** Probes outside the tunnel that got out. */
  leaks: number;
  /** Probes outside the tunnel whose fate is not proven either way. */
  unproven: number;
}

export interface LeakTestRequest {
  system: SystemCommands;
  network: NetworkState;
  /** The kill switch's record of blocked traffic (null: none is kept). */
  readRecord: () => Promise<BlockedTrafficRecord | null>;
  /** Waits between two readings of the record (tcpdump writes each packet as it comes). */
  wait: (milliseconds: number) => Promise<void>;
  /** The clock pf's log is stamped by: the Mac's own. */
  now: () => Date;
  /** Draws the source ports; default: node:crypto. */
  randomInt?: RandomInt;
}

const READINGS = 10;
const BETWEEN_READINGS_MS = 200;

/** What `nc` says when it gave up before sending anything. */
const NOT_SENT =
  /usage|illegal option|invalid option|Address already in use|Can't assign requested address|bind failed/i;

/** Why the probe was not sent, or null when `nc` got as far as sending it. */
function notSent(run: CommandResult): string | null {
  const said = `${run.stderr}${run.stdout}`.trim();
  if (run.exitCode < 0 || run.exitCode >= 126) return `nc did not run: ${said || `exit ${run.exitCode}`}`;
  return NOT_SENT.test(said) ? `nc could not send it: ${said}` : null;
}

/** What `nc` says when this Mac refused the packet (xnu answers a packet pf drops with EHOSTUNREACH too). */
const REFUSED_HERE = /No route to host|Network is unreachable|Network is down/i;

/** A TCP probe whose `nc -z` exits 0 made its connection. */
const connects = (probe: Probe, run: CommandResult) => probe.protocol === "tcp" && run.exitCode === 0;

/** The current capture (blocked.pcapN, the running tcpdump's) is what makes pf's silence mean something. */
const isKept = (record: BlockedTrafficRecord | null) =>
  record?.files.some((name) => name.startsWith("blocked.")) ?? false;

/** Refused on this Mac, yet not by a logged rule of the kill switch: it did not leave, and nothing says why. */
const refusedHere = (said: string) => `this Mac refused to send it (${said}), but pf's log holds no block of it`;

function judge(sent: SentProbe & { run: CommandResult }, record: BlockedTrafficRecord | null): ProbeResult {
  const { probe, run } = sent;
  const said = `${run.stderr}${run.stdout}`.trim();
  const unsent = notSent(run);
  if (unsent) return { probe, verdict: "not-proven", detail: unsent };
  const connected = connects(probe, run);
  const logged = record?.packets.find((packet) => isProbeEntry(sent, packet)) ?? null;
  const rule = logged && `rule ${logged.rule} of ${logged.ruleset || "the main ruleset"}`;
  const answer = probe.protocol === "tcp" && said ? ` (${said})` : "";
  const unreadable = "no record of blocked traffic is being kept, so pf's verdict cannot be read";
  if (probe.outside) {
    if (connected) return { probe, verdict: "leak", detail: `the connection was made outside the VPN${answer}` };
    if (logged) return { probe, verdict: "blocked", detail: `pf blocked it (${rule})` };
    if (!isKept(record)) return { probe, verdict: "not-proven", detail: unreadable };
    if (REFUSED_HERE.test(said)) return { probe, verdict: "not-proven", detail: refusedHere(said) };
    return {
      probe,
      verdict: "leak",
      detail: `pf did not block it (no block of it in pf's log): it left the Mac outside the VPN${answer}`,
    };
  }
  if (logged) return { probe, verdict: "tunnel-blocked", detail: `pf blocked it in the tunnel (${rule})` };
  if (connected) return { probe, verdict: "passed", detail: "it went through the VPN tunnel" };
  if (!isKept(record))
    return { probe, verdict: "not-proven", detail: `it did not connect${answer}, and ${unreadable}` };
  if (REFUSED_HERE.test(said)) return { probe, verdict: "not-proven", detail: refusedHere(said) };
  return { probe, verdict: "no-answer", detail: `sent into the tunnel, no answer${answer}` };
}

/** Sends every probe, then judges each by pf's record. Never needs a password. */
export async function runLeakTest(request: LeakTestRequest): Promise<LeakTestResult> {
  const { probes, skipped } = planProbes(request.network, request.randomInt);
  const sent: (SentProbe & { run: CommandResult })[] = [];
  for (const probe of probes) {
    const startedAt = request.now().getTime();
    const run = await request.system
      .run("nc", probeArguments(probe), { timeoutMs: 10_000 })
      .catch((error: unknown) => ({
        exitCode: -1,
        stdout: "",
        stderr: error instanceof Error ? error.message : String(error),
      }));
    sent.push({ probe, run, startedAt, endedAt: request.now().getTime() });
  }
  let record = await request.readRecord();
  const awaited = sent.filter(({ probe, run }) => probe.outside && notSent(run) === null && !connects(probe, run));
  const unlogged = () => awaited.some((entry) => !record?.packets.some((packet) => isProbeEntry(entry, packet)));
  // Wait for the log of the outside probes: each must appear unless pf let it through.
  for (let reading = 1; isKept(record) && reading < READINGS && unlogged(); reading++) {
    await request.wait(BETWEEN_READINGS_MS);
    record = await request.readRecord();
  }
  const results = sent.map((entry) => judge(entry, record));
  const outside = results.filter((result) => result.probe.outside);
  return {
    results,
    skipped,
    leaks: outside.filter((result) => result.verdict === "leak").length,
    unproven: outside.filter((result) => result.verdict === "not-proven").length,
  };
}
