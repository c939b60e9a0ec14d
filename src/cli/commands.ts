import { disableCommand } from "./disable-command";
import { enableCommand } from "./enable-command";
import { exceptionsCommand } from "./exceptions-command";
import { portalCommand } from "./portal-command";
import { serversCommand } from "./servers-command";
import type { CliCommand } from "./io";
import { statusCommand } from "./status-command";
import { previewCommand } from "./preview-command";
import { verifyCommand } from "./verify-command";
import { explainCommand } from "./explain-command";
import { logCommand } from "./log-command";
import { testCommand } from "./test-command";
import { snapshotCommand } from "./snapshot-command";
import { uninstallCommand } from "./uninstall-command";

/** Every `killswitch` subcommand, in the order `killswitch help` lists them. */
export const CLI_COMMANDS: CliCommand[] = [
  enableCommand,
  disableCommand,
  statusCommand,
  exceptionsCommand,
  portalCommand,
  serversCommand,
  previewCommand,
  verifyCommand,
  explainCommand,
  logCommand,
  testCommand,
  snapshotCommand,
  uninstallCommand,
];
