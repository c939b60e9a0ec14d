import { beforeEach, describe, expect, it, vi } from "vitest";
import type { LeakTestResult } from "../../src/leaktest/leak-test";
import { LeakTestView, describeLeakTest } from "../../src/raycast/views/leak-test-view";
import { KILL_SWITCH_STATES } from "../../src/raycast/models/kill-switch-state";
import { LaunchType, raycast, resetRaycast } from "../mocks/raycast-api";
import { lifecycle, resetSpies, statusFor } from "./helpers";
import { all, click, item, one, render, settle } from "./render";

const leakTest = vi.hoisted(() => ({ runLeakTest: vi.fn() }));
vi.mock("../../src/leaktest/leak-test", () => leakTest);
vi.mock("../../src/lifecycle", async (original) => (await import("./helpers")).withLifecycleSpies(await original()));
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("./helpers")).withNetworkSpy(await original()),
);

const probe = (id: string, outside = true) => ({
  id,
  title: `${id} probe`,
  outside,
  interface: outside ? "en0" : "utun4",
  protocol: "tcp" as const,
  source: outside ? "192.168.1.23" : "10.8.0.2",
  destination: "1.1.1.1",
  port: 443,
  sourcePort: 49700,
});

const RESULT: LeakTestResult = {
  results: [
    { probe: probe("tcp-ipv4"), verdict: "leak", detail: "pf did not block it: it left the Mac outside the VPN" },
    { probe: probe("udp-ipv4"), verdict: "blocked", detail: "pf blocked it (rule 40 of 000.vpnkillswit)" },
    { probe: probe("tunnel", false), verdict: "passed", detail: "it went through the VPN tunnel" },
  ],
  skipped: ["no IPv6 probe: en0 has no global IPv6 address"],
  leaks: 1,
  unproven: 0,
};

beforeEach(() => {
  resetRaycast();
  resetSpies();
  leakTest.runLeakTest.mockReset();
  lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("protected"));
});

/** The view as text: its Markdown and the titles of its actions. */
async function shownFor(state: (typeof KILL_SWITCH_STATES)[number], result: LeakTestResult = RESULT) {
  lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor(state));
  leakTest.runLeakTest.mockResolvedValue(result);
  const renderer = await render(<LeakTestView />);
  await settle();
  const actions = all(renderer, "Action").map((node) => `[${String(node.props.title)}]`);
  return { renderer, text: `${String(one(renderer, "Detail").props.markdown)}\n\n${actions.join(" ")}` };
}

describe("Test Kill Switch", () => {
  it("says a leak first and loudly, then each probe with pf's verdict", async () => {
    leakTest.runLeakTest.mockResolvedValue(RESULT);
    const renderer = await render(<LeakTestView />);
    await settle();
    const markdown = String(one(renderer, "Detail").props.markdown);
    expect(markdown).toMatch(/^# 🚨 1 probe left this Mac outside the VPN/);
    expect(markdown).toContain("| 🚨 **LEAK** | tcp-ipv4 probe | pf did not block it");
    expect(markdown).toContain("| ✅ Blocked | udp-ipv4 probe |");
    expect(markdown).toContain("- no IPv6 probe: en0 has no global IPv6 address");
    expect(leakTest.runLeakTest).toHaveBeenCalledTimes(1);
  });

  it("says no leak only when every outside probe was blocked, and how many are not proven otherwise", () => {
    const clean = { ...RESULT, leaks: 0, results: RESULT.results.slice(1) };
    expect(describeLeakTest(clean)).toMatch(/^# ✅ No leak/);
    const blind = { ...clean, unproven: 1, results: [{ ...clean.results[0], verdict: "not-proven" as const }] };
    expect(describeLeakTest(blind)).toMatch(/^# ❔ Not proven\n\n1 probe outside the tunnel got no verdict from pf/);
    expect(describeLeakTest(blind)).toContain("| ❔ Not proven | udp-ipv4 probe |");
    const tunnelOnly = { ...clean, results: clean.results.slice(1) };
    expect(describeLeakTest(tunnelOnly)).toMatch(/^# ❔ Not proven\n\nNo probe could be sent outside the tunnel/);
    const both = { ...RESULT, unproven: 2 };
    expect(describeLeakTest(both)).toMatch(
      /^# 🚨 1 probe left this Mac outside the VPN[^\n]*\n\n.*2 more could not be judged \(not proven\)\./,
    );
  });

  it("says the kill switch is off, and sends no probe, when it is off: that is no leak report", async () => {
    const { renderer, text } = await shownFor("off");
    expect(leakTest.runLeakTest).not.toHaveBeenCalled();
    expect(text).toMatchSnapshot();
    expect(text).not.toMatch(/LEAK|🚨/);
    await click(item(renderer, "Action", "Enable Kill Switch"));
    expect(raycast.launches).toEqual([
      { name: "enable-kill-switch", type: LaunchType.UserInitiated, context: undefined },
    ]);
  });

  it("calls a tunnel probe that got no answer sent into the tunnel, not through the VPN", async () => {
    const quiet: LeakTestResult = {
      ...RESULT,
      leaks: 0,
      results: [
        RESULT.results[1],
        { probe: probe("tunnel", false), verdict: "no-answer", detail: "sent into the tunnel, no answer" },
      ],
    };
    const { text } = await shownFor("protected", quiet);
    expect(text).toContain("| ❔ Sent into the tunnel, no answer | tunnel probe | sent into the tunnel, no answer |");
    expect(text).not.toContain("Through the VPN");
  });

  it.each(KILL_SWITCH_STATES)("shows, in %s, the test's outcome as the user reads it", async (state) => {
    const outcomes: Record<string, LeakTestResult> = {
      leak: RESULT,
      "no leak": { ...RESULT, leaks: 0, results: RESULT.results.slice(1) },
      "not proven": {
        ...RESULT,
        leaks: 0,
        unproven: 1,
        results: [
          { ...RESULT.results[1], verdict: "not-proven", detail: "no record of blocked traffic is being kept" },
        ],
      },
    };
    const shown: string[] = [];
    for (const [name, result] of Object.entries(outcomes)) {
      leakTest.runLeakTest.mockClear();
      shown.push(`## ${name}\n${(await shownFor(state, result)).text}`);
    }
    expect(shown.join("\n\n")).toMatchSnapshot();
  });
});
