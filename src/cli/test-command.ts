import { type LeakTestResult, type ProbeResult, runLeakTest } from "../leaktest/leak-test";
import { readBlockedTrafficRecord } from "../pflog/record";
import { parseCommandArgs } from "./args";
import { readNetwork } from "./context";
import { requireMacOs } from "./enable-command";
import type { CliCommand } from "./io";
import { printable } from "./printable";

const USAGE = `Usage: killswitch test [--json]

Tests the kill switch on this Mac, without a password: sends a few probes outside the VPN tunnel on purpose
(TCP and UDP to a public address, DNS to the router, IPv6 when the link has it), bound to the physical
interface, and one through the tunnel. A probe counts as blocked only when pf's log holds it (the record of
blocked traffic must be on: blockedTrafficLog); one that got out is a leak. Exit status 1 on any leak.
  --json   print {"results": [...], "skipped": [...], "leaks": N} instead of text`;

const WORDS: Record<ProbeResult["verdict"], string> = {
  blocked: "blocked",
  leak: "LEAK",
  passed: "passed",
  "tunnel-blocked": "BLOCKED IN THE TUNNEL",
  unknown: "unknown",
};

function describe(result: LeakTestResult): string[] {
  const lines = result.results.map(
    ({ probe, verdict, detail }) => `  ${WORDS[verdict].padEnd(8)} ${probe.title}: ${detail}`,
  );
  const head =
    result.leaks > 0
      ? `LEAK: ${result.leaks} probe${result.leaks === 1 ? "" : "s"} left this Mac outside the VPN.`
      : result.results.some((r) => r.verdict === "unknown")
        ? "Not proven: pf's verdict could not be read for every probe."
        : "No leak: every probe outside the tunnel was blocked by pf.";
  const advice =
    result.leaks > 0
      ? [
          "Do not rely on the kill switch now: run `killswitch status`, enable it again, and test again. Until a",
          "test passes, disconnect from the network if what you send must not be seen outside the VPN.",
        ]
      : [];
  return [head, ...lines, ...result.skipped.map((line) => `  (${line})`), ...advice];
}

export const testCommand: CliCommand = {
  name: "test",
  summary: "send probes outside the VPN on purpose and say whether pf blocked them (no password needed)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { json: { type: "boolean" } });
    requireMacOs("test", io, "reads");
    const { network } = await readNetwork(undefined, io);
    const result = await runLeakTest({
      system: io.system,
      network,
      readRecord: () => readBlockedTrafficRecord(io.system),
      wait: io.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    });
    io.stdout(
      values.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : `${describe(result)
            .map((line) => printable(line))
            .join("\n")}\n`,
    );
    return result.leaks > 0 ? 1 : 0;
  },
};
