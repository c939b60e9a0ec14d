/**
 * Budgets and the one table the bench prints. Pure: figures in, verdicts and text out.
 *
 * Counts (processes, rules, packets) and bundle sizes are exact, so any excess breaks the budget. CPU times
 * vary from run to run and machine to machine: a time over its budget breaks it only beyond
 * `TIME_NOISE_ALLOWANCE` times the budget; between the two it is reported as over, within noise.
 */

export const TIME_NOISE_ALLOWANCE = 2;

export type Unit = "processes" | "ms" | "bytes" | "rules" | "packets";

export type Budget =
  /** The figure must not exceed `limit` (exact). */
  | { kind: "at-most"; limit: number }
  /** The figure must be exactly `value`. */
  | { kind: "exactly"; value: number }
  /** A CPU time in ms: at most `limitMs`, failing only beyond the noise allowance. */
  | { kind: "time"; limitMs: number }
  /** No budget: shown for comparison. */
  | { kind: "none" };

export type Verdict = "met" | "over, within noise" | "BROKEN" | "for comparison";

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
      if (value <= budget.limitMs) return "met";
      return value <= budget.limitMs * TIME_NOISE_ALLOWANCE ? "over, within noise" : "BROKEN";
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
  }
}

export function formatBudget(budget: Budget, unit: Unit): string {
  switch (budget.kind) {
    case "at-most":
      return `≤ ${formatValue(budget.limit, unit)}`;
    case "exactly":
      return `exactly ${formatValue(budget.value, unit)}`;
    case "time":
      return `≤ ${formatValue(budget.limitMs, "ms")} own CPU`;
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

/** Non-zero when any budget is broken beyond what noise would explain. */
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
