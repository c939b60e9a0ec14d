/**
 * Proves a ruleset keeps the kill switch's promise: the policy, stated once more as a plain decision per
 * packet (`intendedVerdict`, independent of pf syntax), is checked against what pf would do with the rules
 * (evaluate.ts) for a matrix of packets: interface kinds x direction x family x protocol x destination.
 * Works on the builder's text and on what `pfctl -sr` prints back from a Mac. The promise per packet is in
 * intent.ts, the packets that probe each clause in probes.ts; this file judges, with pf's state table.
 */
import { type Evaluation, type Packet, createEvaluator, decidingLine, describePacket } from "./evaluate";
import { intendedVerdict, viewPolicy } from "./intent";
import { ruleDestinationPackets } from "./rule-probes";
import { lintRuleset } from "./lint";
import { parsePfRules } from "./parse-rules";
import type { ClauseFailure, ClauseResult, Expectation, VerificationResult, VerifyInput } from "./clauses";
import { policyProbes } from "./probes";
import { type ProbePacket, withoutOpener } from "./probe-packets";

export type { ClauseFailure, ClauseId, ClauseResult, Expectation, VerificationResult, VerifyInput } from "./clauses";
export { intendedVerdictFor } from "./intent";
export { type PolicyProbe, policyProbes } from "./probes";
export type { ProbePacket } from "./probe-packets";

/**
 * pf's state table for one probe: a state made by the rule that let `after` through matches the probe
 * first (before any rule), on any interface for a floating state, only on the same one for `(if-bound)`.
 */
export function evaluateProbe(
  p: ProbePacket,
  evaluate: (packet: Packet) => Evaluation,
): Evaluation & { viaState?: true } {
  if (p.after) {
    const opener = evaluate(p.after);
    const rule = opener.rule;
    // A translation rule with `pass` makes a floating state, as a stateful filter pass does.
    const keepsState =
      opener.action === "pass" && (opener.translation?.pass || (rule !== null && rule.state !== "none"));
    if (keepsState && (rule?.stateBinding !== "if-bound" || p.after.interface === p.interface)) {
      return { ...opener, viaState: true };
    }
  }
  return evaluate(withoutOpener(p));
}

function describeActual(evaluation: Evaluation & { viaState?: true }): string {
  if (evaluation.viaState) {
    const bound = evaluation.rule?.stateBinding === "if-bound" ? "" : ", a floating state";
    return `pass on the state of line ${decidingLine(evaluation)?.line}${bound}`;
  }
  if (evaluation.translation?.pass) return "pass by a translation rule with pass, which skips the filter rules";
  if (evaluation.action === "pass") return evaluation.rule ? "pass" : "pass (no rule matched)";
  if (!evaluation.quick) return "block, but not quick (a later rule in the main ruleset can still pass it)";
  return evaluation.returns ? "block (return)" : "block (drop)";
}

function withRule(evaluation: Evaluation): { rule?: { line: number; text: string } } {
  const rule = decidingLine(evaluation);
  return rule ? { rule } : {};
}

function judge(expected: Expectation, evaluation: Evaluation): { ok: boolean; leak: boolean } {
  if (expected === "pass") return { ok: evaluation.action === "pass", leak: false };
  const blocked = evaluation.action === "block" && evaluation.quick;
  if (!blocked) return { ok: false, leak: true };
  return { ok: expected === "block" || evaluation.returns, leak: false };
}

const EXPECTATION_WORDS: Record<Expectation, string> = {
  pass: "pass",
  block: "block",
  "block-return": "block (return)",
};

export function describeExpectation(expected: Expectation): string {
  return EXPECTATION_WORDS[expected];
}

/** Checks rule text (ours or `pfctl -sr` output) against the kill-switch policy for this network. */
export function verifyRuleset(text: string, input: VerifyInput): VerificationResult {
  const parsed = parsePfRules(text);
  const lint = lintRuleset(text, parsed);
  const evaluate = createEvaluator(parsed);
  const { clauses: specs, probes } = policyProbes(input);

  const clauses = specs.map((spec): ClauseResult => {
    const failures: ClauseFailure[] = [];
    const mine = probes.filter((probe) => probe.clause === spec.id);
    for (const { packet, description, expected, because } of mine) {
      const evaluation = evaluateProbe(packet, evaluate);
      const verdict = judge(expected, evaluation);
      if (verdict.ok) continue;
      failures.push({
        packet,
        description,
        expected,
        because,
        actual: describeActual(evaluation),
        leak: verdict.leak,
        ...withRule(evaluation),
      });
    }
    return { ...spec, passed: failures.length === 0, checked: mine.length, failures };
  });

  clauses.push(ruleDestinationsClause(parsed, input, evaluate));

  const passed =
    parsed.errors.length === 0 && !lint.some((f) => f.severity === "error") && clauses.every((c) => c.passed);
  return { passed, clauses, lint, parseErrors: parsed.errors };
}

/**
 * Every destination an outbound pass names, tried from each physical link: only a leak counts here (the
 * policy says block, the rules pass), since what should pass is the other clauses' to prove.
 */
function ruleDestinationsClause(
  parsed: ReturnType<typeof parsePfRules>,
  input: VerifyInput,
  evaluate: (packet: Packet) => Evaluation,
): ClauseResult {
  const view = viewPolicy(input);
  const packets = ruleDestinationPackets(parsed, input.network);
  const failures: ClauseFailure[] = [];
  for (const packet of packets) {
    const { expected, because } = intendedVerdict(packet, view);
    if (expected === "pass") continue;
    const evaluation = evaluate(packet);
    const verdict = judge(expected, evaluation);
    if (!verdict.leak) continue;
    failures.push({
      packet,
      description: describePacket(packet),
      expected,
      because,
      actual: describeActual(evaluation),
      leak: true,
      ...withRule(evaluation),
    });
  }
  return {
    id: "rule-destinations",
    description: "No pass in the rules reaches, outside the VPN, a place the policy does not open",
    passed: failures.length === 0,
    checked: packets.length,
    failures,
  };
}

/** One line per failing clause: `dns: out en0 ... expected block (return), got pass (line 31: ...)`. */
export function describeFailure(failure: ClauseFailure): string {
  const rule = failure.rule ? ` by line ${failure.rule.line}: ${failure.rule.text}` : "";
  return `${failure.description}: expected ${describeExpectation(failure.expected)} (${failure.because}), got ${failure.actual}${rule}`;
}

/** For `preview`: whether the ruleset keeps the promise, and each problem in one line. */
export function verificationSummary(result: VerificationResult): { passed: boolean; failures: string[] } {
  const failures = [
    ...result.parseErrors.map((e) => `line ${e.line}: cannot read "${e.text}": ${e.reason}`),
    ...result.lint
      .filter((f) => f.severity === "error")
      .map((f) => (f.line > 0 ? `line ${f.line}: ${f.message}` : f.message)),
    ...result.clauses
      .filter((c) => !c.passed)
      .map((c) => {
        const more = c.failures.length > 1 ? ` (and ${c.failures.length - 1} more)` : "";
        return `${c.id}: ${describeFailure(c.failures[0])}${more}`;
      }),
  ];
  return { passed: result.passed, failures };
}
