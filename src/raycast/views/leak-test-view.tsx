/**
 * Test Kill Switch: the live leak test (leaktest/leak-test.ts) from Raycast, without a password. Each probe
 * with pf's verdict; a leak is said first and loudly, with what to do.
 */
import { Action, ActionPanel, Detail, Icon } from "@raycast/api";
import { useEffect, useState } from "react";
import { type LeakTestResult, runLeakTest } from "../../leaktest/leak-test";
import { readBlockedTrafficRecord } from "../../pflog/record";
import { readNetworkState } from "../reading/network-reading";
import { systemCommands } from "../system";

const MARKS: Record<string, string> = {
  blocked: "✅ Blocked",
  leak: "🚨 **LEAK**",
  passed: "✅ Through the VPN",
  "tunnel-blocked": "⚠️ Blocked in the tunnel",
  unknown: "❔ Not proven",
};

/** The result as the view shows it, in Markdown. */
export function describeLeakTest(result: LeakTestResult): string {
  const head =
    result.leaks > 0
      ? `# 🚨 ${result.leaks} probe${result.leaks === 1 ? "" : "s"} left this Mac outside the VPN\n\nDo not rely on the kill switch now: enable it again and test again. Until a test passes, disconnect from the network if what you send must not be seen outside the VPN.`
      : result.results.some((r) => r.verdict === "unknown")
        ? "# ❔ Not proven\n\npf's verdict could not be read for every probe: turn on Blocked Traffic Log in the preferences, enable the kill switch again and test again."
        : "# ✅ No leak\n\nEvery probe sent outside the tunnel was blocked by pf.";
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

export function LeakTestView() {
  const [markdown, setMarkdown] = useState<string | null>(null);
  const [run, setRun] = useState(0);
  useEffect(() => {
    setMarkdown(null);
    const system = systemCommands();
    readNetworkState()
      .then((network) =>
        runLeakTest({
          system,
          network,
          readRecord: () => readBlockedTrafficRecord(system),
          wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        }),
      )
      .then((result) => setMarkdown(describeLeakTest(result)))
      .catch((error: unknown) =>
        setMarkdown(`# ❔ The test could not run\n\n${error instanceof Error ? error.message : String(error)}`),
      );
  }, [run]);
  return (
    <Detail
      isLoading={markdown === null}
      markdown={markdown ?? "Sending probes outside the VPN on purpose…"}
      actions={
        <ActionPanel>
          <Action title="Test Again" icon={Icon.ArrowClockwise} onAction={() => setRun((n) => n + 1)} />
        </ActionPanel>
      }
    />
  );
}
