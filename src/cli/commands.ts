import type { CliCommand } from "./io";
import { previewCommand } from "./preview-command";

/** Every `killswitch` subcommand, in the order `killswitch help` lists them. */
export const CLI_COMMANDS: CliCommand[] = [previewCommand];
