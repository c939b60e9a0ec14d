import * as z from "zod/mini";
import { isIpAddress } from "../address/ip";
import {
  KillSwitchError,
  NameConfirmationError,
  ServerTransportError,
  describeChange,
  enableKillSwitch,
  type KillSwitchChange,
} from "../lifecycle";
import { parseServerAnswer, splitServerAnswers } from "../policy/policy";
import { isHostName } from "../policy/settings";
import { systemRootOf } from "../system/commands";
import { parseCommandArgs } from "./args";
import { loadSettingsFile, readNetwork } from "./context";
import { CliError, type CliIo, type CliCommand, optionError } from "./io";
import { printable } from "./printable";
import { changeJson } from "./settings-change";

const USAGE = `Usage: killswitch enable [--config FILE] [--snapshot DIR] [--server-transport SPEC]...
                        [--confirm-addresses NAME=ADDR,...]... [--json]

Turns the kill switch on: every packet outside the VPN tunnel is blocked, except what the settings allow.
Asks once for an administrator password (or Touch ID with "authentication": "touchid"). Run it again to
reload the rules after changing the settings. With "protectFromStartup" (on by default) the same prompt
installs a root watchdog that loads the rules at boot, puts them back when other software removes them and
follows the VPN to a new tunnel and the Mac to another network; it needs a VPN server to keep reachable (in
vpnServers, or found while the VPN is connected). With "protectFromStartup": false an installed watchdog
is removed.
  --config FILE   settings JSON (vpnServers, allowLan, exceptions, authentication, ...; see README);
                  default: the user's settings file (killswitch help)
  --snapshot DIR  build the rules from a saved snapshot instead of this Mac's network
  --server-transport SPEC
                  the answer for a VPN server Enable asked about (exit 1, showing what it saw): one a
                  route names but no VPN program's connection proves, or whose protocol and port
                  nothing on the Mac says. IP:port/proto, IP:port or IP/ikev2 if it is your VPN's
                  server, IP/none if it is not (repeatable). The answer is kept for the next Enable
  --confirm-addresses NAME=ADDR,...
                  the public addresses a host name of the settings (an exception or a VPN server)
                  may be passed to, when it was resolved by the network's DNS rather than the VPN's
                  (repeatable). Enable refuses (exit 2) and lists them until they are confirmed; the
                  answer is kept, and asked again when the name resolves elsewhere
  --json          print one JSON object instead of text`;

/** `NAME=ADDR,ADDR`: a host name and the addresses the user confirms for it. */
const confirmationSchema = z.string().check(
  z.refine(
    (text) => {
      const [name, list, ...rest] = text.split("=");
      const addresses = list?.split(",").map((a) => a.trim()) ?? [];
      return (
        rest.length === 0 &&
        isHostName(name) &&
        addresses.length > 0 &&
        addresses.every((a) => isIpAddress(a) && !a.includes("%"))
      );
    },
    { error: (issue) => `--confirm-addresses: ${JSON.stringify(issue.input)} is not NAME=ADDRESS[,ADDRESS...]` },
  ),
);

/** The confirmations given on the command line, by name (a name given twice gets both lists). */
export function parseConfirmations(texts: readonly string[]): Record<string, string[]> {
  const confirmations: Record<string, string[]> = {};
  for (const text of texts) {
    const parsed = confirmationSchema.safeParse(text);
    if (!parsed.success) throw optionError("--confirm-addresses", text, parsed.error.issues[0].message);
    const [name, list] = text.split("=");
    const host = name.replace(/\.$/, "");
    confirmations[host] = [...(confirmations[host] ?? []), ...list.split(",").map((a) => a.trim())];
  }
  return confirmations;
}

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
      io.stdout(`${JSON.stringify({ ok: true, ...changeJson(change) }, null, 2)}\n`);
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
    // Unconfirmed names are the user's input to give, like a bad option: exit 2, naming the first one.
    const names = error instanceof NameConfirmationError ? error.names : null;
    if (json) {
      const { kind, message, nothingChanged } = error;
      // The servers to answer for, and what was seen, so a script can ask its user and run again with --server-transport.
      const servers = error instanceof ServerTransportError ? { servers: error.servers, seen: error.seen } : {};
      const confirm = names ? { names } : {};
      io.stdout(
        `${JSON.stringify({ ok: false, error: { kind, message, nothingChanged, ...servers, ...confirm } }, null, 2)}\n`,
      );
      return names ? 2 : 1;
    }
    if (names) throw new CliError(error.message, 2, names[0].field, JSON.stringify(names[0].host));
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
      "confirm-addresses": { type: "string", multiple: true },
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
    const confirmedAddresses = parseConfirmations(values["confirm-addresses"] ?? []);
    requireMacOs("enable", io);
    const settings = await loadSettingsFile(values.config, io);
    const { network } = await readNetwork(values.snapshot, io);
    return reportChange(
      () =>
        enableKillSwitch({
          system: io.system,
          settings,
          network,
          now: io.now(),
          ...splitServerAnswers(answers),
          confirmedAddresses,
          ...(io.lookup ? { lookup: io.lookup } : {}),
        }),
      values.json ?? false,
      io,
    );
  },
};
