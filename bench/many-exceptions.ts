/**
 * A thousand exceptions: what Enable does with them before the prompt (build the anchor, the watchdog's
 * templates, and verify the anchor), timed at 1,000 and 2,000 to show the cost grows linearly.
 */
import { buildKillSwitchAnchor } from "../src/pf/anchor";
import { type KillSwitchPolicy, resolvePolicy } from "../src/policy/policy";
import { parseSettings } from "../src/policy/settings";
import { verifyRuleset } from "../src/verify/verify-policy";
import { buildRuleTemplates } from "../src/watchdog/templates";
import { type Measurement, median } from "./budgets";
import { ownCpuTime } from "./measure";
import { REFERENCE_NOMINAL_MS } from "./reference";
import { BENCH_NOW, benchNetwork, noHostLookup } from "./scenario";

export const MANY_EXCEPTIONS = 1000;
/** Build, templates and verify of 1,000 exceptions, on an idle 2-core machine. */
export const MANY_EXCEPTIONS_CPU_BUDGET_MS = 1000;
const ROUNDS = 3;

/** `count` single-host exceptions spread over 10.x.y.7, each on TCP 443. */
async function policyWith(count: number): Promise<KillSwitchPolicy> {
  const exceptions = Array.from({ length: count }, (_, i) => ({
    address: `10.${(i >> 8) & 255}.${i & 255}.7`,
    protocol: "tcp" as const,
    port: 443,
    label: `server ${i}`,
  }));
  const parsed = parseSettings({ vpnServers: ["198.51.100.7:1194/udp"], exceptions });
  if (!parsed.ok) throw new Error(`many exceptions: ${parsed.errors.join("; ")}`);
  const resolved = await resolvePolicy(parsed.settings, noHostLookup);
  if (!resolved.ok) throw new Error(`many exceptions: ${resolved.errors.join("; ")}`);
  return resolved.policy;
}

async function cpuFor(count: number): Promise<number> {
  const input = { policy: await policyWith(count), network: benchNetwork(), now: BENCH_NOW };
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const timed = await ownCpuTime(async () => {
      const rules = buildKillSwitchAnchor(input);
      buildRuleTemplates(input);
      return verifyRuleset(rules, input);
    });
    if (!timed.result.passed) throw new Error(`the anchor with ${count} exceptions does not verify`);
    times.push(timed.cpuMs);
  }
  return median(times);
}

/** The rows; `referenceMs` is the reference workload of the same run, for the gated ratio. */
export async function manyExceptionMeasurements(referenceMs: number): Promise<Measurement[]> {
  const thousand = await cpuFor(MANY_EXCEPTIONS);
  const twoThousand = await cpuFor(2 * MANY_EXCEPTIONS);
  const title = `${MANY_EXCEPTIONS.toLocaleString("en-US")} exceptions: build, watchdog templates and verify`;
  return [
    {
      measure: `${title}: our CPU`,
      value: thousand,
      unit: "ms",
      budget: { kind: "time", limitMs: MANY_EXCEPTIONS_CPU_BUDGET_MS, what: "own CPU" },
      detail: `median of ${ROUNDS} runs`,
    },
    {
      measure: `${title}: our CPU as a ratio to the reference workload`,
      value: thousand / referenceMs,
      unit: "ratio",
      budget: { kind: "ratio", limit: MANY_EXCEPTIONS_CPU_BUDGET_MS / REFERENCE_NOMINAL_MS },
      detail: `${thousand.toFixed(1)} ms / ${referenceMs.toFixed(1)} ms; nominal ${MANY_EXCEPTIONS_CPU_BUDGET_MS} ms / ${REFERENCE_NOMINAL_MS} ms`,
    },
    {
      measure: `${(2 * MANY_EXCEPTIONS).toLocaleString("en-US")} exceptions against ${MANY_EXCEPTIONS.toLocaleString("en-US")}: CPU ratio`,
      value: twoThousand / thousand,
      unit: "ratio",
      budget: { kind: "none" },
      detail: `${twoThousand.toFixed(1)} ms / ${thousand.toFixed(1)} ms; about 2 when the cost grows linearly`,
    },
  ];
}
