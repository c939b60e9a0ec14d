/** How the bench counts processes and times our own work. */
import type { SystemCommands, SystemTool } from "../src/system/commands";

/** The tools that run something as root (each is one authorisation prompt). */
export const PRIVILEGED_TOOLS: readonly SystemTool[] = ["osascript", "sudo"];

export interface CountingCommands {
  system: SystemCommands;
  /** Every tool started through `system`, in order, since the last `reset`. */
  started(): SystemTool[];
  reset(): void;
}

/** Wraps the port so every process the product starts is counted (children of those are theirs, not ours). */
export function countingCommands(inner: SystemCommands): CountingCommands {
  let started: SystemTool[] = [];
  return {
    system: {
      binaries: inner.binaries,
      run(tool, args, options) {
        started.push(tool);
        return inner.run(tool, args, options);
      },
    },
    started: () => [...started],
    reset: () => {
      started = [];
    },
  };
}

/** `ifconfig, netstat, 2 × route` : the tools started, grouped, for the table's detail column. */
export function describeStarted(tools: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const tool of tools) counts.set(tool, (counts.get(tool) ?? 0) + 1);
  return [...counts].map(([tool, count]) => (count === 1 ? tool : `${count} × ${tool}`)).join(", ");
}

export interface Timed<T> {
  result: T;
  /** CPU time of this process (user + system, all its threads) in ms; time spent waiting on children is not in it. */
  cpuMs: number;
}

/** Runs `work` and reports our own CPU time: what the Mac pays for our code, whatever the programs we ran cost. */
export async function ownCpuTime<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const before = process.cpuUsage();
  const result = await work();
  const spent = process.cpuUsage(before);
  return { result, cpuMs: (spent.user + spent.system) / 1000 };
}
