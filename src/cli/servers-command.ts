import { judgeServers } from "../lifecycle/actions";
import { readRecordedState, recordedServers } from "../lifecycle/record";
import { type RecordedServer, formatEndpoint, parseServerAnswer } from "../policy/policy";
import { parseSettings } from "../policy/settings";
import { type SettingsFile, readSettingsFile, updateSettingsFile } from "../settings/settings-file";
import { parseCommandArgs } from "./args";
import { loadCliContext, settingsFileFor, settingsFileProblem } from "./context";
import { enableCommand } from "./enable-command";
import { CliError, type CliCommand, type CliIo, optionError } from "./io";
import { printable } from "./printable";
import { applyIfOn, hasKillSwitch, reportSettingsChange } from "./settings-change";

const USAGE = `Usage: killswitch servers [--config FILE] [--json]
       killswitch servers add|remove SERVER... [--config FILE] [--json]
       killswitch servers set SERVER...|--none [--config FILE] [--json]
       killswitch servers answer ANSWER... [--config FILE] [--json]

Shows the VPN servers the kill switch lets through outside the tunnel: those the settings name, those passed
besides (proved now by the VPN program's own connection, or answered for), what the last Enable recorded, and
the servers Enable asks about before it passes them. add, remove and set change "vpnServers" in the settings
file, applied at once while the kill switch is on (one administrator prompt). (Raycast keeps its own VPN
Servers preference: where the two differ, Raycast's Enable uses its preference and says so.)
  SERVER   IP, IP:port/proto, [IPv6]:port/proto, IP/ikev2, or a host name with either; only that protocol
           and port pass (203.0.113.7:51820/udp, vpn.example.com/ikev2)
  --none   with set: no server in the settings (those of a connected VPN are still found)
  ANSWER   for a server Enable asked about, as Set VPN Server Protocol answers: IP:port/proto or IP/ikev2 if
           it is your VPN's server, IP/none if it is not. Runs Enable with the answers (one administrator
           prompt), which keeps them for the next time
  --config FILE   the settings JSON to read and change instead of the user's settings file (killswitch help)
  --json          print one JSON object instead of text`;

const ACTIONS = ["add", "remove", "set", "answer"] as const;
const FILE_OPTIONS = { config: { type: "string" }, json: { type: "boolean" } } as const;
const NONE_OPTION = { none: { type: "boolean" } } as const;

async function readFile(path: string): Promise<SettingsFile> {
  try {
    return await readSettingsFile(path);
  } catch (error) {
    throw settingsFileProblem(error);
  }
}

/** What a recorded server is, for people. */
function describeRecord(record: RecordedServer): string {
  if (record.kind === "declined") return `${record.address} (not a VPN server, your answer)`;
  if (record.kind === "unconfirmed") return `${formatEndpoint(record.endpoint)} (from a route alone: asked again)`;
  const why = record.evidence === "process" ? "proved by a VPN program's connection" : "your answer";
  return `${formatEndpoint(record.endpoint)} (${why})`;
}

/** How to answer for `address`, as the CLI takes it. */
function answerHint(address: string): string {
  const host = address.includes(":") ? `[${address}]` : address;
  return `killswitch servers answer ${host}:PORT/udp (or /tcp), ${host}/ikev2, or ${host}/none`;
}

async function showServers(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, FILE_OPTIONS);
  const file = await readFile(settingsFileFor(values.config, io));
  const named = file.settings.vpnServers;
  // What the Mac shows (and Enable recorded) is read on a Mac only: anywhere else there is none of it.
  const judged = hasKillSwitch(io)
    ? await (async () => {
        const context = await loadCliContext({ config: values.config }, io);
        const records = recordedServers(await readRecordedState(io.system));
        return { records, ...judgeServers(context.policy, context.network, records) };
      })()
    : null;
  if (values.json) {
    io.stdout(
      `${JSON.stringify(
        {
          file: file.path,
          settings: named,
          passed: judged ? [...judged.configured, ...judged.detected].map(formatEndpoint) : null,
          recorded: judged?.records ?? null,
          questions: judged?.questions ?? null,
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const lines = [`VPN servers in the settings (${file.path}): ${named.join(", ") || "none"}`];
  if (judged) {
    const passed = judged.detected.map(formatEndpoint);
    lines.push(`Passed besides, found on this Mac or answered for: ${passed.join(", ") || "none"}`);
    lines.push(`Recorded by the last Enable: ${judged.records.map(describeRecord).join(", ") || "none"}`);
    if (judged.questions.length === 0) lines.push("Enable asks about no server.");
    else lines.push("Enable asks about these before passing them:");
    for (const question of judged.questions) lines.push(`  ${question.seen}`, `    ${answerHint(question.address)}`);
  } else {
    lines.push("(Not a Mac: the servers a VPN connection proves, and Enable's records, are read on the Mac itself.)");
  }
  io.stdout(`${lines.map((line) => printable(line)).join("\n")}\n`);
  return 0;
}

/** Each SERVER checked as the settings check one; the message names it. */
function checkServers(servers: readonly string[]): string[] {
  return servers.map((server) => {
    const parsed = parseSettings({ vpnServers: [server] });
    if (!parsed.ok)
      throw optionError(
        "SERVER",
        JSON.stringify(server),
        `SERVER: ${parsed.problems?.[0]?.message ?? parsed.errors[0]}`,
      );
    return server.trim();
  });
}

async function changeServers(action: "add" | "remove" | "set", args: string[], io: CliIo): Promise<number> {
  // Only set clears the list with --none.
  const options = { ...FILE_OPTIONS, ...(action === "set" ? NONE_OPTION : {}) };
  const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
  const none = (values as { none?: boolean }).none ?? false;
  if (none && positionals.length > 0) throw optionError("--none", null, "give SERVER... or --none, not both");
  if (!none && positionals.length === 0) {
    throw new CliError(`servers ${action} needs at least one SERVER${action === "set" ? " (or --none)" : ""}`);
  }
  const servers = checkServers(positionals);
  const path = settingsFileFor(values.config, io);
  let written: SettingsFile;
  try {
    written = await updateSettingsFile(path, (current) => {
      const list = current.settings.vpnServers;
      if (action === "remove") {
        const missing = servers.find((server) => !list.includes(server));
        if (missing !== undefined) {
          throw optionError(
            "SERVER",
            JSON.stringify(missing),
            `${JSON.stringify(missing)} is not one of the servers in the settings (${list.join(", ") || "none"})`,
          );
        }
      }
      const next =
        action === "set"
          ? [...new Set(servers)]
          : action === "add"
            ? [...list, ...servers.filter((server, i) => !list.includes(server) && servers.indexOf(server) === i)]
            : list.filter((server) => !servers.includes(server));
      return { ...current.raw, vpnServers: next };
    });
  } catch (error) {
    throw settingsFileProblem(error);
  }
  const list = written.settings.vpnServers;
  const done = `VPN servers in the settings: ${list.join(", ") || "none"}`;
  return reportSettingsChange(
    io,
    values.json ?? false,
    { file: written.path, done, details: { settings: list } },
    await applyIfOn(written.settings, io),
  );
}

/** Answers Enable's question: Enable itself runs with the answers, as the Raycast form launches it. */
async function answer(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, FILE_OPTIONS, { positionals: true });
  if (positionals.length === 0) {
    throw new CliError(
      "servers answer needs at least one ANSWER: IP:port/proto or IP/ikev2 (your VPN's server), IP/none",
    );
  }
  for (const text of positionals) {
    if (!parseServerAnswer(text)) {
      throw optionError(
        "ANSWER",
        text,
        `ANSWER: ${JSON.stringify(text)} is not IP:port/proto, IP:port, IP/ikev2 or IP/none`,
      );
    }
  }
  return enableCommand.run(
    [
      ...(values.config === undefined ? [] : ["--config", values.config]),
      ...positionals.flatMap((text) => ["--server-transport", text]),
      ...(values.json ? ["--json"] : []),
    ],
    io,
  );
}

export const serversCommand: CliCommand = {
  name: "servers",
  summary: "show and set the VPN servers, and answer Enable's question about one",
  usage: USAGE,
  async run(args, io) {
    const action = args[0];
    if (action === undefined || action.startsWith("-")) return showServers(args, io);
    const rest = args.slice(1);
    switch (action) {
      case "add":
      case "remove":
      case "set":
        return changeServers(action, rest, io);
      case "answer":
        return answer(rest, io);
      default:
        throw optionError(
          null,
          action,
          `${JSON.stringify(action)} is not one of ${ACTIONS.join(", ")} (killswitch help servers)`,
        );
    }
  },
};
