import {
  KillSwitchError,
  ServerTransportError,
  describeChange,
  enableKillSwitch,
  type KillSwitchChange,
} from "../lifecycle";
import { parseServerAnswer, splitServerAnswers } from "../policy/policy";
import { systemRootOf } from "../system/commands";
import { parseCommandArgs } from "./args";
import { loadSettingsFile, readNetwork } from "./context";
import { CliError, type CliIo, type CliCommand, optionError } from "./io";
import { printable } from "./printable";

const USAGE = `Usage: killswitch enable [--config FILE] [--snapshot DIR] [--server-transport SPEC]... [--json]

Turns the kill switch on: every packet outside the VPN tunnel is blocked, except what the settings allow.
Asks once for an administrator password (or Touch ID with "authentication": "touchid"). Run it again to
reload the rules after changing the settings. With "protectFromStartup" (on by default) the same prompt
installs a root watchdog that loads the rules at boot, puts them back when other software removes them and
follows the VPN to a new tunnel and the Mac to another network; it needs a VPN server to keep reachable (in
vpnServers, or found while the VPN is connected). With "protectFromStartup": false an installed watchdog
is removed.
  --config FILE   settings JSON (vpnServers, allowLan, exceptions, authentication, ...; see README)
  --snapshot DIR  build the rules from a saved snapshot instead of this Mac's network
  --server-transport SPEC
                  the answer for a VPN server Enable asked about (exit 1, showing what it saw): one a
                  route names but no VPN program's connection proves, or whose protocol and port
                  nothing on the Mac says. IP:port/proto, IP:port or IP/ikev2 if it is your VPN's
                  server, IP/none if it is not (repeatable). The answer is kept for the next Enable
  --json          print one JSON object instead of text`;

/** Only a Mac has the pf to change; a system root (KILLSWITCH_SYSTEM_ROOT) points at a stand-in tree. */
export function requireMacOs(command: string, io: CliIo, does: "changes" | "reads" = "changes"): void {
  if (io.platform !== "darwin" && systemRootOf(io.system) === "") {
    throw new CliError(`${command} ${does} the pf firewall of a Mac; this system is ${io.platform}.`);
  }
}

/** Prints a change, or turns a KillSwitchError into the CLI's error (exit status 1). */
export async function reportChange(run: () => Promise<KillSwitchChange>, json: boolean, io: CliIo): Promise<number> {
  try {
    const change = await run();
    if (json) {
      const { action, method, notes, report, status } = change;
      io.stdout(`${JSON.stringify({ ok: true, action, method, notes, report, status }, null, 2)}\n`);
    } else {
      // Notes carry labels and network names from settings and the Mac: one printable line each.
      io.stdout(
        `${describeChange(change)
          .map((line) => printable(line))
          .join("\n")}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (!(error instanceof KillSwitchError)) throw error;
    if (json) {
      const { kind, message, nothingChanged } = error;
      // The servers to answer for, and what was seen, so a script can ask its user and run again with --server-transport.
      const servers = error instanceof ServerTransportError ? { servers: error.servers, seen: error.seen } : {};
      io.stdout(`${JSON.stringify({ ok: false, error: { kind, message, nothingChanged, ...servers } }, null, 2)}\n`);
      return 1;
    }
    throw new CliError(error.message, 1);
  }
}

export const enableCommand: CliCommand = {
  name: "enable",
  summary: "turn the kill switch on (one administrator prompt)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      config: { type: "string" },
      snapshot: { type: "string" },
      "server-transport": { type: "string", multiple: true },
      json: { type: "boolean" },
    });
    const answers = (values["server-transport"] ?? []).map((text) => {
      const answer = parseServerAnswer(text);
      if (!answer) {
        throw optionError(
          "--server-transport",
          text,
          `--server-transport: ${JSON.stringify(text)} is not IP:port/proto, IP:port, IP/ikev2 or IP/none`,
        );
      }
      return answer;
    });
    requireMacOs("enable", io);
    const settings = await loadSettingsFile(values.config, io);
    const { network } = await readNetwork(values.snapshot, io);
    return reportChange(
      () => enableKillSwitch({ system: io.system, settings, network, now: io.now(), ...splitServerAnswers(answers) }),
      values.json ?? false,
      io,
    );
  },
};
