import { describe, expect, it } from "vitest";
import {
  type Measurement,
  RATIO_MARGIN,
  exitStatus,
  formatBudget,
  formatValue,
  judge,
  median,
  renderTable,
} from "../../bench/budgets";
import { countingCommands, describeStarted } from "../../bench/measure";
import {
  buildBenchRules,
  fixedTunnelListRules,
  measureLeakWindow,
  measureRuleCosts,
  ruleCostCases,
  withoutTunnels,
} from "../../bench/rule-cost";
import { BENCH_NOW, benchNetwork, benchPolicy } from "../../bench/scenario";
import { createSystemCommands } from "../../src/system/commands";

const row = (value: number, budget: Measurement["budget"], unit: Measurement["unit"] = "ms"): Measurement => ({
  measure: "x",
  value,
  unit,
  budget,
});

describe("budget judgement", () => {
  it("holds counts and sizes to the exact figure", () => {
    expect(judge(row(3, { kind: "at-most", limit: 3 }, "processes"))).toBe("met");
    expect(judge(row(4, { kind: "at-most", limit: 3 }, "processes"))).toBe("BROKEN");
    expect(judge(row(1, { kind: "exactly", value: 1 }, "processes"))).toBe("met");
    expect(judge(row(0, { kind: "exactly", value: 1 }, "processes"))).toBe("BROKEN");
    expect(judge(row(204_801, { kind: "at-most", limit: 204_800 }, "bytes"))).toBe("BROKEN");
  });

  it("never breaks on a time; gates a ratio only beyond its margin", () => {
    const time = { kind: "time", limitMs: 50, what: "own CPU" } as const;
    expect(judge(row(50, time))).toBe("met");
    expect(judge(row(51, time))).toBe("over (a time: not gated)");
    expect(judge(row(50_000, time))).toBe("over (a time: not gated)");
    const ratio = { kind: "ratio", limit: 4 } as const;
    expect(judge(row(4, ratio, "ratio"))).toBe("met");
    expect(judge(row(4.1, ratio, "ratio"))).toBe("over, within margin");
    expect(judge(row(4 * RATIO_MARGIN, ratio, "ratio"))).toBe("over, within margin");
    expect(judge(row(4 * RATIO_MARGIN + 0.01, ratio, "ratio"))).toBe("BROKEN");
    expect(judge(row(10_000, { kind: "none" }, "rules"))).toBe("for comparison");
  });

  it("fails the run only for a broken budget", () => {
    const within = [
      row(6000, { kind: "time", limitMs: 50, what: "own CPU" }),
      row(5, { kind: "ratio", limit: 4 }, "ratio"),
      row(33, { kind: "none" }, "rules"),
    ];
    expect(exitStatus(within)).toBe(0);
    expect(exitStatus([...within, row(10, { kind: "at-most", limit: 3 }, "processes")])).toBe(1);
    expect(exitStatus([...within, row(9, { kind: "ratio", limit: 4 }, "ratio")])).toBe(1);
  });
});

describe("table", () => {
  it("writes figures and budgets with their units", () => {
    expect(formatValue(1, "processes")).toBe("1 process");
    expect(formatValue(10, "processes")).toBe("10 processes");
    expect(formatValue(204_800, "bytes")).toBe("200.0 KB");
    expect(formatValue(37.04, "ms")).toBe("37.0 ms");
    expect(formatBudget({ kind: "at-most", limit: 5 }, "rules")).toBe("≤ 5 rules");
    expect(formatBudget({ kind: "exactly", value: 0 }, "packets")).toBe("exactly 0 packets");
    expect(formatBudget({ kind: "time", limitMs: 100, what: "own CPU" }, "ms")).toBe("≤ 100.0 ms own CPU");
    expect(formatBudget({ kind: "time", limitMs: 30, what: "wall" }, "ms")).toBe("≤ 30.0 ms wall");
    expect(formatValue(2.345, "ratio")).toBe("2.35 ×");
    expect(formatValue(1, "checks")).toBe("1 check");
    expect(formatBudget({ kind: "exactly", value: 0 }, "checks")).toBe("exactly 0 checks");
    expect(formatBudget({ kind: "ratio", limit: 4 }, "ratio")).toBe("≤ 4.00 × (breaks past 8.00 ×)");
  });

  it("prints one aligned Markdown table with a verdict per row", () => {
    const table = renderTable([
      { ...row(10, { kind: "at-most", limit: 3 }, "processes"), measure: "Status refresh", detail: "ifconfig" },
      { ...row(2, { kind: "at-most", limit: 5 }, "rules"), measure: "Rules walked: tunnel traffic" },
    ]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\| Measure +\| Latest +\| Budget +\| Verdict +\| Detail +\|$/);
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+ \| -+ \| -+ \|$/);
    expect(lines[2]).toContain("| 10 processes | ≤ 3 processes | BROKEN");
    expect(lines[3]).toContain("| 2 rules      | ≤ 5 rules     | met");
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
  });

  it("takes the middle figure", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });
});

describe("measuring", () => {
  it("counts every process started through the port", async () => {
    const counting = countingCommands(createSystemCommands({ root: "/nonexistent-bench-root" }));
    await counting.system.run("ifconfig", ["-a"]);
    await counting.system.run("route", ["-n", "get", "default"]);
    await counting.system.run("route", ["-n", "get", "1.1.1.1"]);
    expect(counting.started()).toEqual(["ifconfig", "route", "route"]);
    expect(describeStarted(counting.started())).toBe("ifconfig, 2 × route");
    counting.reset();
    expect(counting.started()).toEqual([]);
  });

  it("puts a fixed utun0…utun30 list where the tunnel rule was, and it costs the VPN transport 30 more rules", async () => {
    const policy = await benchPolicy();
    const network = benchNetwork();
    const rules = buildBenchRules({ policy, network, now: BENCH_NOW });
    const fixed = fixedTunnelListRules(rules, "utun4");
    expect(fixed).not.toMatch(/on utun4 all flags any/);
    expect(fixed.match(/^pass quick on utun\d+ all$/gm)).toHaveLength(31);
    const cases = ruleCostCases(network, { address: "198.51.100.7", port: 1194 });
    const ours = measureRuleCosts(rules, cases);
    const theirs = measureRuleCosts(fixed, cases);
    const transport = (costs: typeof ours) => costs.find((c) => c.name === "VPN transport")!;
    expect(ours.every((c) => c.action === c.expected)).toBe(true);
    expect(transport(theirs).walked - transport(ours).walked).toBe(30);
  });

  it("finds no packet leaving outside the tunnel once it is gone", async () => {
    const policy = await benchPolicy();
    const network = benchNetwork();
    const rules = buildBenchRules({ policy, network, now: BENCH_NOW });
    const leak = measureLeakWindow(rules, withoutTunnels(network), ["198.51.100.7"]);
    expect(leak.sent).toBeGreaterThan(100);
    expect(leak.passed).toEqual([]);
    // The same matrix does find a leak in rules that pass everything.
    expect(measureLeakWindow("pass out quick all\n", withoutTunnels(network), []).passed).toHaveLength(leak.sent);
  });
});
