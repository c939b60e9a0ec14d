/**
 * The fake Mac's clock: `date +%s` prints it and `sleep N` waits until it has moved N seconds on, which only
 * a test does (FakeMac.advanceClock). So timers, expiry and intervals are tested without waiting.
 */
import type { ProgramIo } from "./pfctl";

export function runDate(args: string[], io: ProgramIo, now: number): number {
  if (args.length !== 1 || args[0] !== "+%s") {
    io.stderr.push(`date: the fake date prints +%s only, not ${args.join(" ")}`);
    return 1;
  }
  io.stdout.push(String(Math.floor(now)));
  return 0;
}

/** The seconds `sleep` was given (an unsigned decimal, as macOS's sleep takes), or null after its usage line. */
export function sleepSeconds(args: string[], io: ProgramIo): number | null {
  if (args.length === 1 && /^(\d+(\.\d*)?|\.\d+)$/.test(args[0])) return Number(args[0]);
  io.stderr.push("usage: sleep seconds");
  return null;
}
