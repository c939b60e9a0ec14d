import { TEXT_FILE_LIMITS, readTextFile } from "../files/text-file";
import { printable } from "./printable";
import { resolve } from "node:path";
import { buildKillSwitchAnchor, summarizeAnchor } from "../pf/anchor";
import { trustWarnings } from "../policy/warnings";
import { describeNameToConfirm } from "../policy/name-trust";
import { type ParseError, parsePfRules } from "../verify/parse-rules";
import { RulesInForceError, readRulesInForce } from "../verify/rules-in-force";
import {
  type ClauseResult,
  type VerificationResult,
  describeFailure,
  verificationSummary,
  verifyRuleset,
} from "../verify/verify-policy";
import { parseCommandArgs } from "./args";
import { type CliContext, anchorInputOf, loadCliContext, loadSettingsAndSource, readNetwork } from "./context";
import { requireMacOs } from "./enable-command";
import { type CliCommand, CliError, type CliIo, optionError } from "./io";

const USAGE = `Usage: killswitch verify [--rules FILE|- | --in-force] [--snapshot DIR] [--config FILE] [--json]

Checks that a pf ruleset keeps the kill switch's promise on this network: loopback and the tunnel pass,
the VPN servers and link plumbing (DHCP, neighbour discovery) pass, DNS goes only to your resolvers, and
nothing else leaves or enters outside the tunnel. Exit status 1 when a check fails, 2 on unreadable input.
  --rules FILE    the rules to check: an anchor file, or what \`sudo pfctl -a NAME -sr\` printed
                  ("-" reads standard input); default: the anchor \`preview\` would build
  --in-force      the rules the kill switch last loaded on this Mac (readable by admins, no password),
                  judged on this Mac's network with host names as Enable resolved them, as Raycast's
                  Verify Kill Switch Rules does
  --snapshot DIR  read command outputs saved by \`killswitch snapshot DIR\`
  --config FILE   settings JSON (vpnServers, allowLan, exceptions, ...; see README); default: the user's
                  settings file (killswitch help)
  --json          print one JSON object instead of text`;

export interface RulesSource {
  text: string;
  /** For people: the file name, "standard input", or what was built. */
  origin: string;
}

/** The rules to judge: a file, standard input (`-`), or the anchor the builder makes from the context. */
export async function loadRulesText(path: string | undefined, context: CliContext, io: CliIo): Promise<RulesSource> {
  if (path === undefined) {
    const text = buildKillSwitchAnchor(anchorInputOf(context, io.now()));
    return { text, origin: `the anchor preview builds (network read from: ${context.source})` };
  }
  if (path === "-") {
    const text = await io.readStdin();
    if (Buffer.byteLength(text) > TEXT_FILE_LIMITS.rules) {
      throw new CliError(
        `the rules on standard input are over the limit of ${TEXT_FILE_LIMITS.rules / 1024 / 1024} MB`,
      );
    }
    if (text.includes("\0")) throw new CliError("the rules on standard input are not text (they hold NUL bytes)");
    return { text, origin: "standard input" };
  }
  const full = resolve(io.cwd, path);
  try {
    return { text: await readTextFile(full, "rules file", TEXT_FILE_LIMITS.rules), origin: full };
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** Rules that cannot be read are bad input (exit 2), listed with their line numbers. */
export function rejectUnreadableRules(errors: ParseError[], origin: string): void {
  if (errors.length === 0) return;
  // A readable message whatever the file: each line cut short, at most 20 of them.
  const cut = (text: string) => printable(text.length > 160 ? `${text.slice(0, 160)}…` : text);
  const lines = errors.slice(0, 20).map((e) => `  line ${e.line}: ${cut(e.reason)}\n    ${cut(e.text)}`);
  if (errors.length > 20) lines.push(`  …and ${errors.length - 20} more`);
  throw new CliError(
    `${errors.length} line(s) of ${origin} are not pf rules this tool understands:\n${lines.join("\n")}`,
  );
}

function clauseTable(clauses: ClauseResult[]): string[] {
  const width = Math.max(...clauses.map((c) => c.id.length));
  const rows = clauses.map((c) => {
    const result = c.checked === 0 ? "n/a " : c.passed ? "pass" : "FAIL";
    const first = c.failures[0];
    const detail = first
      ? `${first.leak ? "LEAK " : ""}${describeFailure(first)}${c.failures.length > 1 ? ` (+${c.failures.length - 1} more)` : ""}`
      : c.description;
    return `  ${c.id.padEnd(width)}  ${result}  ${String(c.checked).padStart(4)}  ${detail}`;
  });
  return [`  ${"clause".padEnd(width)}  result  packets  detail`, ...rows];
}

interface Verdict {
  origin: string;
  /** What the rules were judged against, for people. */
  against: string;
  source: string;
  result: VerificationResult;
  warnings: string[];
  /** The exit status when every clause holds (1 when the network read holds nothing usable). */
  passedStatus: number;
}

/** Prints the verdict (text or JSON) and returns the exit status: 1 when a clause fails. */
function reportVerdict(io: CliIo, json: boolean, verdict: Verdict): number {
  const { result, warnings } = verdict;
  const status = result.passed ? verdict.passedStatus : 1;
  if (json) {
    const summary = verificationSummary(result);
    io.stdout(
      `${JSON.stringify({ rules: verdict.origin, source: verdict.source, ...summary, warnings, result }, null, 2)}\n`,
    );
    return status;
  }
  const failing = result.clauses.filter((c) => !c.passed);
  const leaking = failing.filter((c) => c.failures.some((f) => f.leak));
  const lintLines = result.lint.map(
    (f) => `  ${f.severity === "error" ? "error  " : "warning"}  ${f.line > 0 ? `line ${f.line}: ` : ""}${f.message}`,
  );
  const lintErrors = result.lint.filter((f) => f.severity === "error").length;
  const line = result.passed
    ? "PASS: every clause holds; nothing leaves outside the tunnel that the settings do not allow."
    : [
        `FAIL: ${failing.length} clause(s) fail${leaking.length ? `, ${leaking.length} of them LEAK` : ""}`,
        lintErrors ? `, ${lintErrors} lint error(s)` : "",
        ".",
      ].join("");
  io.stdout(
    [
      `Verifying ${verdict.origin}`,
      `against ${verdict.against}`,
      "",
      ...clauseTable(result.clauses),
      "",
      ...(lintLines.length ? ["Lint", ...lintLines, ""] : []),
      ...warnings.map((warning) => `Warning: ${warning}`),
      line,
      "",
    ].join("\n"),
  );
  return status;
}

/** The message when the kill switch has no rules loaded. */
export const NO_RULES_IN_FORCE = "The kill switch is off: no rules to verify.";

/** `verify --in-force`: the rules last loaded on this Mac, judged as Raycast's Verify Kill Switch Rules judges them. */
async function verifyInForce(
  values: { rules?: string; snapshot?: string; config?: string; json?: boolean },
  io: CliIo,
): Promise<number> {
  if (values.rules !== undefined) throw optionError("--rules", values.rules, "give --rules or --in-force, not both");
  if (values.snapshot !== undefined) {
    throw optionError(
      "--snapshot",
      values.snapshot,
      "--in-force judges this Mac's own network: it takes no --snapshot",
    );
  }
  requireMacOs("verify --in-force", io, "reads");
  const { settings, source } = await loadSettingsAndSource(values.config, io);
  const { network } = await readNetwork(undefined, io);
  let rules;
  try {
    rules = await readRulesInForce({ system: io.system, settings, network, now: io.now(), lookup: io.lookup });
  } catch (error) {
    if (error instanceof RulesInForceError) throw new CliError(error.message);
    throw error;
  }
  if (rules === null) {
    io.stdout(
      values.json
        ? `${JSON.stringify({ rules: null, passed: null, message: NO_RULES_IN_FORCE }, null, 2)}\n`
        : `${NO_RULES_IN_FORCE}\n`,
    );
    return 0;
  }
  rejectUnreadableRules(parsePfRules(rules.text).errors, rules.origin);
  return reportVerdict(io, values.json ?? false, {
    origin: rules.origin,
    against: `${source} on the network read from: this Mac`,
    source: "this Mac",
    result: verifyRuleset(rules.text, rules.input),
    warnings: trustWarnings(summarizeAnchor(rules.input)),
    passedStatus: 0,
  });
}

export const verifyCommand: CliCommand = {
  name: "verify",
  summary: "check that a pf ruleset (built, in force, or printed by pfctl) does not leak outside the VPN",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      rules: { type: "string" },
      "in-force": { type: "boolean" },
      snapshot: { type: "string" },
      config: { type: "string" },
      json: { type: "boolean" },
    });
    if (values["in-force"]) return verifyInForce(values, io);
    const context = await loadCliContext({ config: values.config, snapshot: values.snapshot }, io);
    for (const warning of context.warnings) io.stderr(`killswitch verify: warning: ${printable(warning)}\n`);
    for (const name of context.unconfirmedNames) {
      io.stderr(`killswitch verify: note: ${printable(describeNameToConfirm(name))}\n`);
    }
    const rules = await loadRulesText(values.rules, context, io);
    rejectUnreadableRules(parsePfRules(rules.text).errors, rules.origin);
    return reportVerdict(io, values.json ?? false, {
      origin: rules.origin,
      against: `${context.settingsSource} on the network read from: ${context.source}`,
      source: context.source,
      result: verifyRuleset(rules.text, anchorInputOf(context, io.now())),
      warnings: trustWarnings(summarizeAnchor(anchorInputOf(context, io.now()))),
      // A verdict on a network that is not there proves nothing: not a pass.
      passedStatus: context.warnings.length > 0 ? 1 : 0,
    });
  },
};
