import { disableKillSwitch } from "../lifecycle";
import { parseCommandArgs } from "./args";
import { loadSettingsFile } from "./context";
import { reportChange, requireMacOs } from "./enable-command";
import type { CliCommand } from "./io";

const USAGE = `Usage: killswitch disable [--config FILE] [--json]

Turns the kill switch off: removes its startup watchdog, its pf rules and its pf reference, and nothing
else. Works even when its records were lost. Asks once for an administrator password (or Touch ID, see --config).
  --config FILE   settings JSON; only "authentication" is used here (default: the user's settings file)
  --json          print one JSON object instead of text`;

export const disableCommand: CliCommand = {
  name: "disable",
  summary: "turn the kill switch off (one administrator prompt)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      config: { type: "string" },
      json: { type: "boolean" },
    });
    requireMacOs("disable", io);
    const settings = await loadSettingsFile(values.config, io);
    return reportChange(
      () => disableKillSwitch({ system: io.system, authentication: settings.authentication }),
      values.json ?? false,
      io,
    );
  },
};
