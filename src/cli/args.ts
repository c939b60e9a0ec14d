import { parseArgs, type ParseArgsConfig } from "node:util";
import { optionError } from "./io";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Strict option parsing: an unknown option, a missing value or a repeated single-value option is a clear
 * error, never ignored. The command is named by the caller's prefix (`killswitch explain: ...`). Words that are
 * not options are refused unless `positionals` allows them (`exceptions add TARGET`).
 */
export function parseCommandArgs<T extends Options>(
  args: string[],
  options: T,
  settings: { positionals?: boolean } = {},
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: settings.positionals ?? false, tokens: true });
  } catch (error) {
    // Node's hint about `--` before a word starting with "-": no word of ours does.
    const reason = (error instanceof Error ? error.message : String(error)).replace(
      /\. To specify a positional argument starting with a '-'.*$/s,
      "",
    );
    // Node's hint names a syntax (`--port=-XYZ`) that would only be refused later: one plain sentence instead.
    const ambiguous = reason.match(/^Option '(--[^']+)' argument is ambiguous/);
    const option = reason.match(/'(-{1,2}[^' ]+)/)?.[1] ?? null;
    const value = ambiguous ? (args[args.indexOf(ambiguous[1]) + 1] ?? null) : null;
    throw optionError(
      option,
      value,
      ambiguous ? `${ambiguous[1]} needs a value, and a value cannot start with "-"` : reason,
    );
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option" || options[token.name]?.multiple) continue;
    if (seen.has(token.name)) {
      throw optionError(`--${token.name}`, token.value ?? null, `--${token.name} was given more than once`);
    }
    seen.add(token.name);
  }
  return parsed;
}
