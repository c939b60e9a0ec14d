import { applyKillSwitch } from "../lifecycle";
import { CAPTIVE_PORTAL_MINUTES, isCaptivePortalMinutes } from "../policy/captive-portal";
import { parseCommandArgs } from "./args";
import { loadSettingsFile } from "./context";
import { reportChange, requireMacOs } from "./enable-command";
import { CliError, type CliCommand, optionError } from "./io";
import { readKillSwitchNow, rulesInForce } from "./settings-change";

const CHOICES = CAPTIVE_PORTAL_MINUTES.map((minutes) => `${minutes}m`);

const USAGE = `Usage: killswitch portal ${CHOICES.join("|")} [--config FILE] [--json]

Opens a captive-portal window, as the Raycast menu bar's Allow Captive Portal does: for ${CAPTIVE_PORTAL_MINUTES.join(" or ")} minutes,
DNS and web ports are open outside the VPN so a hotel's or an airport's sign-in page can load; a root timer
closes the window on time. Connections stay open. Asks once for an administrator password while the kill
switch is on; while it is off, nothing blocks the sign-in page and nothing is done.
  --config FILE   settings JSON; default: the user's settings file (killswitch help)
  --json          print one JSON object instead of text`;

/** `2m` -> 2; null for anything else. */
function parseWindow(text: string | undefined): number | null {
  const match = /^(\d+)m$/.exec(text ?? "");
  const minutes = match ? Number(match[1]) : NaN;
  return isCaptivePortalMinutes(minutes) ? minutes : null;
}

export const portalCommand: CliCommand = {
  name: "portal",
  summary: `open DNS and web outside the VPN for ${CHOICES.join(" or ")}, for a captive portal's sign-in page`,
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { config: { type: "string" }, json: { type: "boolean" } },
      { positionals: true },
    );
    const minutes = positionals.length === 1 ? parseWindow(positionals[0]) : null;
    if (minutes === null) {
      const given = positionals.length === 0 ? "needs" : `${JSON.stringify(positionals.join(" "))} is not`;
      throw optionError(
        "WINDOW",
        positionals[0] ?? null,
        `${given} one of ${CHOICES.join(", ")}: how long to open the window`,
      );
    }
    requireMacOs("portal", io);
    const settings = await loadSettingsFile(values.config, io);
    const now = await readKillSwitchNow(io);
    if (!now || !rulesInForce(now.status)) {
      const off = "The kill switch is off: nothing blocks the sign-in page, so no window was opened.";
      io.stdout(values.json ? `${JSON.stringify({ ok: true, action: null, message: off }, null, 2)}\n` : `${off}\n`);
      return 0;
    }
    const network = now.network;
    if (!network) throw new CliError("this Mac's network could not be read, so no window was opened", 1);
    const until = new Date(io.now().getTime() + minutes * 60_000);
    return reportChange(
      () =>
        applyKillSwitch({
          system: io.system,
          settings,
          network,
          now: io.now(),
          captivePortalUntil: until,
          // The VPN and whatever else is allowed carry on while the window is open.
          keepConnections: true,
          ...(io.lookup ? { lookup: io.lookup } : {}),
        }),
      values.json ?? false,
      io,
    );
  },
};
