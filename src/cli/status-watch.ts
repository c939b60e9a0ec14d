/**
 * `killswitch status --watch`: the kill switch's state as a live line, read again every few seconds (never a
 * password), until Ctrl-C or `--count` readings. In a terminal the line is rewritten in place; into a pipe or a
 * file, a line is printed whenever what it says changes, so a log of it stays short. The waits and the
 * interruption come through the CLI's io, so a test drives them.
 */
import { getKillSwitchStatus } from "../lifecycle";
import { untrustedTunnelsNow } from "../lifecycle/describe";
import type { NetworkState } from "../network/state";
import { readNetwork } from "./context";
import { type CliIo, optionError } from "./io";
import { printable } from "./printable";

export const WATCH_OPTIONS = {
  watch: { type: "boolean" },
  interval: { type: "string" },
  count: { type: "string" },
} as const;

export const WATCH_USAGE = `  --watch         keep reading: one live line (rewritten in a terminal; printed again when it changes
                  into a pipe), until Ctrl-C
  --interval SECONDS
                  with --watch: seconds between two readings, 1 to 3600 (default 5)
  --count N       with --watch: stop after N readings`;

export interface WatchRequest {
  intervalSeconds: number;
  /** Readings before stopping; null: until interrupted. */
  count: number | null;
}

const DEFAULT_INTERVAL_SECONDS = 5;

function wholeNumber(option: string, text: string, min: number, max: number): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw optionError(option, text, `${option}: ${JSON.stringify(text)} is not a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

/** The watch asked for, or null without --watch; --interval or --count without it is a mistake. */
export function watchRequested(values: { watch?: boolean; interval?: string; count?: string }): WatchRequest | null {
  if (!values.watch) {
    const stray = values.interval !== undefined ? "--interval" : values.count !== undefined ? "--count" : null;
    if (stray) throw optionError(stray, values.interval ?? values.count ?? null, `${stray} goes with --watch`);
    return null;
  }
  return {
    intervalSeconds:
      values.interval === undefined ? DEFAULT_INTERVAL_SECONDS : wholeNumber("--interval", values.interval, 1, 3600),
    count: values.count === undefined ? null : wholeNumber("--count", values.count, 1, 1_000_000),
  };
}

/** HH:MM:SS in local time. */
const clock = (date: Date) => date.toTimeString().slice(0, 8);

interface Reading {
  checkedAt: string;
  state: string;
  headline: string;
  captivePortalUntil: string | null;
  untrustedTunnels: string[];
}

async function readOnce(snapshot: string | undefined, io: CliIo): Promise<Reading> {
  let network: NetworkState | null = null;
  try {
    network = (await readNetwork(snapshot, io)).network;
  } catch (error) {
    if (snapshot !== undefined) throw error;
  }
  const now = io.now();
  const status = await getKillSwitchStatus({ system: io.system, network, now });
  return {
    checkedAt: now.toISOString(),
    state: status.state,
    headline: status.headline,
    captivePortalUntil: status.captivePortalUntil ? status.captivePortalUntil.toISOString() : null,
    untrustedTunnels: untrustedTunnelsNow(status, network),
  };
}

/** What the line says, without the time: what changes it. */
function describeReading(reading: Reading): string {
  const parts = [reading.headline];
  if (reading.captivePortalUntil)
    parts.push(`captive portal open until ${clock(new Date(reading.captivePortalUntil))}`);
  if (reading.untrustedTunnels.length > 0) parts.push(`not trusted: ${reading.untrustedTunnels.join(", ")}`);
  return printable(parts.join(" · "));
}

/** A wait that ends early when `stop` is called (Ctrl-C), so the process ends at once. */
function stoppableWait(io: CliIo): { wait(ms: number): Promise<void>; stop(): void } {
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  return {
    wait: (ms) =>
      new Promise<void>((resolve) => {
        wake = resolve;
        if (io.wait) void io.wait(ms).then(resolve);
        else timer = setTimeout(resolve, ms);
      }),
    stop: () => {
      if (timer) clearTimeout(timer);
      wake?.();
    },
  };
}

/** Reads the status again and again, printing the live line; exit status 0 when stopped. */
export async function watchStatus(
  request: WatchRequest,
  options: { snapshot?: string; json: boolean },
  io: CliIo,
): Promise<number> {
  let stopped = false;
  const pause = stoppableWait(io);
  const unsubscribe =
    io.onInterrupt?.(() => {
      stopped = true;
      pause.stop();
    }) ?? (() => undefined);
  const live = io.stdoutIsTerminal === true && !options.json;
  let last: string | null = null;
  try {
    for (let readings = 1; !stopped; readings++) {
      const reading = await readOnce(options.snapshot, io);
      const said = describeReading(reading);
      if (live) io.stdout(`\r\u001b[2K${clock(new Date(reading.checkedAt))}  ${said}`);
      else if (said !== last) {
        io.stdout(options.json ? `${JSON.stringify(reading)}\n` : `${clock(new Date(reading.checkedAt))}  ${said}\n`);
      }
      last = said;
      if (request.count !== null && readings >= request.count) break;
      await pause.wait(request.intervalSeconds * 1000);
    }
  } finally {
    unsubscribe();
    if (live) io.stdout("\n");
  }
  return 0;
}
