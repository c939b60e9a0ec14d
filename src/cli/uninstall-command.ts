import { uninstallKillSwitch } from "../lifecycle";
import { parseCommandArgs } from "./args";
import { loadSettingsFile } from "./context";
import { reportChange, requireMacOs } from "./enable-command";
import type { CliCommand } from "./io";

const USAGE = `Usage: killswitch uninstall [--config FILE] [--json]

Removes every trace of the kill switch: its startup watchdog (LaunchDaemon and script), its pf rules and
main-ruleset reference, its pf reference, and its state directory. Every other pf rule stays as it is.
Asks once for an administrator password (or Touch ID, see --config).
  --config FILE   settings JSON; only "authentication" is used here (default: the user's settings file)
  --json          print one JSON object instead of text`;

export const uninstallCommand: CliCommand = {
  name: "uninstall",
  summary: "remove the kill switch and its startup watchdog, leaving no trace (one prompt)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      config: { type: "string" },
      json: { type: "boolean" },
    });
    requireMacOs("uninstall", io);
    const settings = await loadSettingsFile(values.config, io);
    return reportChange(
      () => uninstallKillSwitch({ system: io.system, authentication: settings.authentication }),
      values.json ?? false,
      io,
    );
  },
};
