/**
 * Test Kill Switch: the live leak test (leaktest/leak-test.ts) from Raycast, without a password. Each probe
 * with pf's verdict; a leak is said first and loudly, with what to do, and "no leak" only when pf's log proves
 * each probe outside the tunnel blocked.
 */
import { Action, ActionPanel, Detail, Icon, LaunchType, launchCommand } from "@raycast/api";
import { useEffect, useState } from "react";
import { ACTION_TITLES } from "../../words/actions";
import { LEAK_TEST_WHILE_OFF } from "../../words/messages";
import { type LeakTestResult, type ProbeVerdict, runLeakTest } from "../../leaktest/leak-test";
import { leakTestOutcome } from "../../leaktest/outcome";
import { readBlockedTrafficRecord } from "../../pflog/record";
import { readNetworkState } from "../reading/network-reading";
import { readKillSwitch } from "../reading/kill-switch-reading";
import { COMMANDS } from "../commands";
import { systemCommands } from "../system";

const MARKS: Record<ProbeVerdict, string> = {
  blocked: "✅ Blocked",
  leak: "🚨 **LEAK**",
  passed: "✅ Through the VPN",
  "no-answer": "❔ Sent into the tunnel, no answer",
  "tunnel-blocked": "⚠️ Blocked in the tunnel",
  "not-proven": "❔ Not proven",
};

const probes = (count: number) => `${count} probe${count === 1 ? "" : "s"}`;

function headline(result: LeakTestResult): string {
  switch (leakTestOutcome(result)) {
    case "leak": {
      const unproven = result.unproven > 0 ? ` ${result.unproven} more could not be judged (not proven).` : "";
      return `# 🚨 ${probes(result.leaks)} left this Mac outside the VPN\n\nDo not rely on the kill switch now: enable it again and test again. Until a test passes, disconnect from the network if what you send must not be seen outside the VPN.${unproven}`;
    }
    case "not-proven":
      return result.unproven > 0
        ? `# ❔ Not proven\n\n${probes(result.unproven)} outside the tunnel got no verdict from pf, so no leak is ruled out. pf's verdict is read from its log: Blocked Traffic Log must be on in the preferences; enable the kill switch again and test again.`
        : "# ❔ Not proven\n\nNo probe could be sent outside the tunnel.";
    case "no-leak":
      return "# ✅ No leak\n\npf blocked every probe sent outside the tunnel, each by its own entry in its log.";
  }
}

/** The result as the view shows it, in Markdown. */
export function describeLeakTest(result: LeakTestResult): string {
  const head = headline(result);
  const rows = result.results.map(
    ({ probe, verdict, detail }) => `| ${MARKS[verdict]} | ${probe.title} | ${detail.replace(/\|/g, "\\|")} |`,
  );
  return [
    head,
    "",
    "| Verdict | Probe | What pf said |",
    "| --- | --- | --- |",
    ...rows,
    "",
    ...result.skipped.map((line) => `- ${line}`),
  ].join("\n");
}

/** Said instead of a test when the kill switch is off: nothing blocks, so probes getting out are no leak. */
export const KILL_SWITCH_OFF = `# ${LEAK_TEST_WHILE_OFF.title}\n\n${LEAK_TEST_WHILE_OFF.text}`;

/** Reads the status first: a test runs only while the kill switch has rules to test. */
async function testNow(): Promise<{ markdown: string; off: boolean }> {
  const system = systemCommands();
  const network = await readNetworkState();
  const status = await readKillSwitch(network);
  if (status.state === "off") return { markdown: KILL_SWITCH_OFF, off: true };
  const result = await runLeakTest({
    system,
    network,
    readRecord: () => readBlockedTrafficRecord(system),
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => new Date(),
  });
  return { markdown: describeLeakTest(result), off: false };
}

export function LeakTestView() {
  const [shown, setShown] = useState<{ markdown: string; off: boolean } | null>(null);
  const [run, setRun] = useState(0);
  useEffect(() => {
    setShown(null);
    testNow()
      .then(setShown)
      .catch((error: unknown) =>
        setShown({
          markdown: `# ❔ The test could not run\n\n${error instanceof Error ? error.message : String(error)}`,
          off: false,
        }),
      );
  }, [run]);
  return (
    <Detail
      isLoading={shown === null}
      markdown={shown?.markdown ?? "Sending probes outside the VPN on purpose…"}
      actions={
        <ActionPanel>
          {shown?.off ? (
            <Action
              title={ACTION_TITLES.enable}
              icon={Icon.Shield}
              onAction={() => launchCommand({ name: COMMANDS.enable, type: LaunchType.UserInitiated })}
            />
          ) : null}
          <Action title={ACTION_TITLES.testAgain} icon={Icon.ArrowClockwise} onAction={() => setRun((n) => n + 1)} />
        </ActionPanel>
      }
    />
  );
}
