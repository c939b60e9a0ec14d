import { type LeakTestResult, type ProbeResult, runLeakTest } from "../leaktest/leak-test";
import { getKillSwitchStatus } from "../lifecycle";
import { LEAK_TEST_WHILE_OFF } from "../words/messages";
import { namedSetting } from "../words/settings";
import { leakTestHeadline, leakTestOutcome } from "../leaktest/outcome";
import { readBlockedTrafficRecord } from "../pflog/record";
import { parseCommandArgs } from "./args";
import { readNetwork } from "./context";
import { requireMacOs } from "./enable-command";
import type { CliCommand } from "./io";
import { printable } from "./printable";

const USAGE = `Usage: killswitch test [--json]

Tests the kill switch on this Mac, without a password: sends a few probes outside the VPN tunnel on purpose
(TCP and UDP to a public address, DNS to the router, IPv6 when the link has it), bound to the physical
interface and its address, from source ports drawn at random for this run, and one through the tunnel. A
probe counts as blocked only when pf's log holds the block of that very probe, written while it was sent (the
record of blocked traffic must be on: blockedTrafficLog); one that got out is a LEAK; one that could not be
sent, or whose verdict pf's log cannot give, is "not proven". Exit status 0 only when every probe outside the
tunnel was proven blocked; 1 on a leak or when one is not proven. While the kill switch is off it sends
nothing and says so (exit status 1: nothing was tested).
  --json   print {"results": [...], "skipped": [...], "leaks": N, "unproven": N} instead of text
           ({"tested": false, "state": "off", "reason": "..."} while the kill switch is off)`;

const WORDS: Record<ProbeResult["verdict"], string> = {
  blocked: "blocked",
  leak: "LEAK",
  passed: "passed",
  "no-answer": "no answer",
  "tunnel-blocked": "BLOCKED IN THE TUNNEL",
  "not-proven": "not proven",
};

function describe(result: LeakTestResult): string[] {
  const lines = result.results.map(
    ({ probe, verdict, detail }) => `  ${WORDS[verdict].padEnd(10)} ${probe.title}: ${detail}`,
  );
  const advice =
    result.leaks > 0
      ? [
          "Do not rely on the kill switch now: run `killswitch status`, enable it again, and test again. Until a",
          "test passes, disconnect from the network if what you send must not be seen outside the VPN.",
        ]
      : result.unproven > 0
        ? [
            `pf's verdict is read from its log: ${namedSetting("blockedTrafficLog")} must be on. Enable the kill`,
            "switch again and test again.",
          ]
        : [];
  return [leakTestHeadline(result), ...lines, ...result.skipped.map((line) => `  (${line})`), ...advice];
}

export const testCommand: CliCommand = {
  name: "test",
  summary: "send probes outside the VPN on purpose and say whether pf blocked them (no password needed)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { json: { type: "boolean" } });
    requireMacOs("test", io, "reads");
    const { network } = await readNetwork(undefined, io);
    const status = await getKillSwitchStatus({ system: io.system, network, now: io.now() });
    if (status.state === "off") {
      io.stdout(
        values.json
          ? `${JSON.stringify({ tested: false, state: "off", reason: LEAK_TEST_WHILE_OFF.text }, null, 2)}\n`
          : `${LEAK_TEST_WHILE_OFF.title}. ${LEAK_TEST_WHILE_OFF.text}\n`,
      );
      return 1;
    }
    const result = await runLeakTest({
      system: io.system,
      network,
      readRecord: () => readBlockedTrafficRecord(io.system),
      wait: io.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      now: () => io.now(),
      randomInt: io.randomInt,
    });
    io.stdout(
      values.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : `${describe(result)
            .map((line) => printable(line))
            .join("\n")}\n`,
    );
    return leakTestOutcome(result) === "no-leak" ? 0 : 1;
  },
};
