import { applyKillSwitch } from "../lifecycle";
import { CAPTIVE_PORTAL_MINUTES, captivePortalUseful, isCaptivePortalMinutes } from "../policy/captive-portal";
import { parseCommandArgs } from "./args";
import { loadSettingsFile } from "./context";
import { reportChange, requireMacOs } from "./enable-command";
import { CliError, type CliCommand, optionError } from "./io";
import { CAPTIVE_PORTAL_STEPS } from "../words/messages";
import { readKillSwitchNow, rulesInForce } from "./settings-change";

const CHOICES = CAPTIVE_PORTAL_MINUTES.map((minutes) => `${minutes}m`);

const USAGE = `Usage: killswitch portal ${CHOICES.join("|")}|close [--config FILE] [--json]

Opens a captive-portal window, as the Raycast menu bar's Allow Captive Portal does: for ${CAPTIVE_PORTAL_MINUTES.join(" or ")} minutes,
DNS and web ports are open outside the VPN so a hotel's or an airport's sign-in page can load; a root timer
closes the window on time. Connections stay open. Only while the kill switch blocks for want of the VPN:
once the VPN is connected, a sign-in page has nothing left to unlock. ${CAPTIVE_PORTAL_STEPS}.
\`killswitch portal close\` closes an open window at once and cuts what passed through it.
Asks once for an administrator password; while the kill switch is off, nothing is done.
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
  summary: `open DNS and web outside the VPN for ${CHOICES.join(" or ")} while blocking, for a captive portal's sign-in page; close`,
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { config: { type: "string" }, json: { type: "boolean" } },
      { positionals: true },
    );
    const closing = positionals.length === 1 && positionals[0] === "close";
    const minutes = positionals.length === 1 ? parseWindow(positionals[0]) : null;
    if (minutes === null && !closing) {
      const given = positionals.length === 0 ? "needs" : `${JSON.stringify(positionals.join(" "))} is not`;
      throw optionError(
        "WINDOW",
        positionals[0] ?? null,
        `${given} one of ${CHOICES.join(", ")}: how long to open the window, or close`,
      );
    }
    requireMacOs("portal", io);
    const settings = await loadSettingsFile(values.config, io);
    const now = await readKillSwitchNow(io);
    const say = (reason: "off" | "vpn-up" | "not-open", message: string) => {
      io.stdout(
        values.json ? `${JSON.stringify({ ok: true, action: null, reason, message }, null, 2)}\n` : `${message}\n`,
      );
      return 0;
    };
    if (!now || !rulesInForce(now.status)) {
      return say("off", "The kill switch is off: nothing blocks the sign-in page, so no window was opened.");
    }
    const openUntil = now.status.captivePortalUntil;
    const open = openUntil !== undefined && openUntil !== null && openUntil.getTime() > io.now().getTime();
    if (closing && !open) return say("not-open", "No captive portal window is open: nothing to close.");
    const vpnUp = !!now.network && (now.network.tunnels.length > 0 || now.network.vpnInterface !== null);
    if (!closing && !captivePortalUseful(now.status.state, vpnUp)) {
      return say(
        "vpn-up",
        "The VPN is connected (or the kill switch is not blocking): a sign-in page only matters before it connects, so no window was opened.",
      );
    }
    const network = now.network;
    if (!network) throw new CliError("this Mac's network could not be read, so nothing was changed", 1);
    const until = minutes === null ? null : new Date(io.now().getTime() + minutes * 60_000);
    return reportChange(
      () =>
        applyKillSwitch({
          system: io.system,
          settings,
          network,
          now: io.now(),
          captivePortalUntil: until,
          // The VPN and whatever else is allowed carry on while the window is open; closing cuts what it let out.
          keepConnections: until !== null,
          ...(io.lookup ? { lookup: io.lookup } : {}),
        }),
      values.json ?? false,
      io,
    );
  },
};
