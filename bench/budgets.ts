/**
 * Budgets and the one table the bench prints. Pure: figures in, verdicts and text out.
 *
 * Counts (processes, rules, packets) and bundle sizes are exact, so any excess breaks the budget. A time
 * depends on how fast and how busy the machine is, so it never breaks anything on its own: it is reported
 * against its budget, and again as a ratio to a reference workload measured in the same run (a slow or busy
 * machine slows both alike). Only the ratio gates, with `RATIO_MARGIN` over what the time budget implies.
 */

/** How far a ratio may exceed its nominal budget before it counts as broken: more than a busy machine moves it. */
export const RATIO_MARGIN = 2;

export type Unit = "processes" | "ms" | "bytes" | "rules" | "packets" | "ratio" | "checks";

export type Budget =
  /** The figure must not exceed `limit` (exact). */
  | { kind: "at-most"; limit: number }
  /** The figure must be exactly `value`. */
  | { kind: "exactly"; value: number }
  /** A time in ms: at most `limitMs`, reported and never gated. */
  | { kind: "time"; limitMs: number; what: "own CPU" | "wall" }
  /** A ratio to the reference workload: at most `limit` (nominal); broken only beyond `limit * RATIO_MARGIN`. */
  | { kind: "ratio"; limit: number }
  /** No budget: shown for comparison. */
  | { kind: "none" };

export type Verdict = "met" | "over (a time: not gated)" | "over, within margin" | "BROKEN" | "for comparison";

export interface Measurement {
  /** What was measured, for people. */
  measure: string;
  value: number;
  unit: Unit;
  budget: Budget;
  /** How the figure was obtained or what it is made of (`median of 7, first run 31.0 ms`). */
  detail?: string;
}

export function judge(measurement: Pick<Measurement, "value" | "budget">): Verdict {
  const { value, budget } = measurement;
  switch (budget.kind) {
    case "at-most":
      return value <= budget.limit ? "met" : "BROKEN";
    case "exactly":
      return value === budget.value ? "met" : "BROKEN";
    case "time":
      return value <= budget.limitMs ? "met" : "over (a time: not gated)";
    case "ratio":
      if (value <= budget.limit) return "met";
      return value <= budget.limit * RATIO_MARGIN ? "over, within margin" : "BROKEN";
    case "none":
      return "for comparison";
  }
}

/** A figure with its unit: `3 processes`, `12.4 ms`, `186.3 KB`, `1 rule`. */
export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case "ms":
      return `${value.toFixed(1)} ms`;
    case "bytes":
      return `${(value / 1024).toFixed(1)} KB`;
    case "processes":
      return `${value} process${value === 1 ? "" : "es"}`;
    case "rules":
      return `${value} rule${value === 1 ? "" : "s"}`;
    case "packets":
      return `${value} packet${value === 1 ? "" : "s"}`;
    case "ratio":
      return `${value.toFixed(2)} ×`;
    case "checks":
      return `${value} check${value === 1 ? "" : "s"}`;
  }
}

export function formatBudget(budget: Budget, unit: Unit): string {
  switch (budget.kind) {
    case "at-most":
      return `≤ ${formatValue(budget.limit, unit)}`;
    case "exactly":
      return `exactly ${formatValue(budget.value, unit)}`;
    case "time":
      return `≤ ${formatValue(budget.limitMs, "ms")} ${budget.what}`;
    case "ratio":
      return `≤ ${formatValue(budget.limit, "ratio")} (breaks past ${formatValue(budget.limit * RATIO_MARGIN, "ratio")})`;
    case "none":
      return "—";
  }
}

const HEADERS = ["Measure", "Latest", "Budget", "Verdict", "Detail"] as const;

/** One Markdown table (aligned for a terminal, pasteable into the README). */
export function renderTable(measurements: readonly Measurement[]): string {
  const rows = measurements.map((m) => [
    m.measure,
    formatValue(m.value, m.unit),
    formatBudget(m.budget, m.unit),
    judge(m),
    m.detail ?? "",
  ]);
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  return [line(HEADERS), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/** Non-zero when any budget is broken (a time alone never is). */
export function exitStatus(measurements: readonly Measurement[]): number {
  return measurements.some((m) => judge(m) === "BROKEN") ? 1 : 0;
}

/** The middle figure (the mean of the two middle ones for an even count); throws on none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
