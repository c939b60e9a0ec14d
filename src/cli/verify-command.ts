import { TEXT_FILE_LIMITS, readTextFile } from "../files/text-file";
import { printable } from "./printable";
import { resolve } from "node:path";
import { buildKillSwitchAnchor, summarizeAnchor } from "../pf/anchor";
import { trustWarnings } from "../policy/warnings";
import { describeNameToConfirm } from "../policy/name-trust";
import { type ParseError, parsePfRules } from "../verify/parse-rules";
import { type ClauseResult, describeFailure, verificationSummary, verifyRuleset } from "../verify/verify-policy";
import { parseCommandArgs } from "./args";
import { type CliContext, anchorInputOf, loadCliContext } from "./context";
import { type CliCommand, CliError, type CliIo } from "./io";

const USAGE = `Usage: killswitch verify [--rules FILE|-] [--snapshot DIR] [--config FILE] [--json]

Checks that a pf ruleset keeps the kill switch's promise on this network: loopback and the tunnel pass,
the VPN servers and link plumbing (DHCP, neighbour discovery) pass, DNS goes only to your resolvers, and
nothing else leaves or enters outside the tunnel. Exit status 1 when a check fails, 2 on unreadable input.
  --rules FILE    the rules to check: an anchor file, or what \`sudo pfctl -a NAME -sr\` printed
                  ("-" reads standard input); default: the anchor \`preview\` would build
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

export const verifyCommand: CliCommand = {
  name: "verify",
  summary: "check that a pf ruleset (built, or printed by pfctl) does not leak outside the VPN",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      rules: { type: "string" },
      snapshot: { type: "string" },
      config: { type: "string" },
      json: { type: "boolean" },
    });
    const context = await loadCliContext({ config: values.config, snapshot: values.snapshot }, io);
    for (const warning of context.warnings) io.stderr(`killswitch verify: warning: ${printable(warning)}\n`);
    for (const name of context.unconfirmedNames) {
      io.stderr(`killswitch verify: note: ${printable(describeNameToConfirm(name))}\n`);
    }
    // A verdict on a network that is not there proves nothing: not a pass.
    const unusable = context.warnings.length > 0 ? 1 : 0;
    const rules = await loadRulesText(values.rules, context, io);
    rejectUnreadableRules(parsePfRules(rules.text).errors, rules.origin);
    const result = verifyRuleset(rules.text, anchorInputOf(context, io.now()));
    const summary = verificationSummary(result);
    const warnings = trustWarnings(summarizeAnchor(anchorInputOf(context, io.now())));

    if (values.json) {
      io.stdout(
        `${JSON.stringify({ rules: rules.origin, source: context.source, ...summary, warnings, result }, null, 2)}\n`,
      );
      return result.passed ? unusable : 1;
    }
    const failing = result.clauses.filter((c) => !c.passed);
    const leaking = failing.filter((c) => c.failures.some((f) => f.leak));
    const lintLines = result.lint.map(
      (f) => `  ${f.severity === "error" ? "error  " : "warning"}  ${f.line > 0 ? `line ${f.line}: ` : ""}${f.message}`,
    );
    const lintErrors = result.lint.filter((f) => f.severity === "error").length;
    const verdict = result.passed
      ? "PASS: every clause holds; nothing leaves outside the tunnel that the settings do not allow."
      : [
          `FAIL: ${failing.length} clause(s) fail${leaking.length ? `, ${leaking.length} of them LEAK` : ""}`,
          lintErrors ? `, ${lintErrors} lint error(s)` : "",
          ".",
        ].join("");
    io.stdout(
      [
        `Verifying ${rules.origin}`,
        `against ${context.settingsSource} on the network read from: ${context.source}`,
        "",
        ...clauseTable(result.clauses),
        "",
        ...(lintLines.length ? ["Lint", ...lintLines, ""] : []),
        ...warnings.map((warning) => `Warning: ${warning}`),
        verdict,
        "",
      ].join("\n"),
    );
    return result.passed ? unusable : 1;
  },
};
