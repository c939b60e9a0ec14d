import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./io";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Strict option parsing: an unknown option or a missing value is a clear error, never ignored. */
export function parseCommandArgs<T extends Options>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`${command}: ${reason.replace(/\. To specify.*$/s, "")}`);
  }
}
