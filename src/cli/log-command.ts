import { resolve } from "node:path";
import { namedSetting } from "../words/settings";
import { CAPTURE_FILE_LIMIT, TextFileError, readBoundedFile } from "../files/text-file";
import { PflogCaptureError, type PflogPacket, readPflogCapture } from "../pflog/capture";
import { readBlockedTrafficRecord } from "../pflog/record";
import { systemRootOf } from "../system/commands";
import { type Flow, type FlowContext, type FlowPhase, farSide, groupFlows } from "../pflog/flows";
import { clearBlockedTraffic } from "../lifecycle";
import { parseCommandArgs } from "./args";
import { loadSettingsFile } from "./context";
import { reportChange, requireMacOs } from "./enable-command";
import { CliError, type CliCommand, type CliIo, optionError } from "./io";
import { printable } from "./printable";

const USAGE = `Usage: killswitch log [--capture FILE] [--since DURATION] [--json]
       killswitch log --clear [--config FILE] [--json]

Shows what tried to get through pf and was blocked, as flows: direction, interface, protocol, the far side's
address and port (for what came in, the port it tried to reach on this Mac), the process pf found (pid, and
the name and path it was recorded with: what the process calls itself), how many packets, when first and
last. Addresses are never looked up: a reverse DNS query outside the tunnel would itself leak.
  --capture FILE     a pcap of pf's log (link type 117), as \`tcpdump -i pflogN -w FILE\` writes it; on a
                     Mac without it, the kill switch's own record (kept from boot on, admins may read it)
  --since DURATION   only packets of the last 30s, 10m, 2h or 7d
  --clear            empty this Mac's record (one administrator prompt); recording goes on
  --config FILE      with --clear: settings JSON, only "authentication" is used
  --json             print {"flows": [...]} instead of text; each flow's "port" is the remote's for what
                     went out and this Mac's for what came in, as its "portSide" says ("remote", "local")`;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

function parseDuration(value: string): number {
  const match = value.match(/^(\d{1,6})([smhd])$/);
  if (!match) {
    throw optionError(
      "--since",
      value,
      `--since ${JSON.stringify(value)} is not a duration such as 30s, 10m, 2h or 7d`,
    );
  }
  return Number(match[1]) * UNITS[match[2]];
}

/** When a flow was blocked, in words. */
export const PHASE_WORDS: Record<FlowPhase, string> = {
  boot: "during boot",
  "vpn-down": "with the VPN down",
  "vpn-up": "beside the VPN (bypassing it)",
};

/** The process as recorded: `pid 812 (Safari, /Applications/Safari.app/Contents/MacOS/Safari)`. */
function describeProcess(flow: Flow): string {
  if (flow.pid === null) return "process unknown";
  if (flow.process === null) return `pid ${flow.pid}`;
  const path = flow.executable && flow.executable !== flow.process ? `, ${flow.executable}` : "";
  return `pid ${flow.pid} (${flow.process}${path})`;
}

function describeFlow(flow: Flow): string {
  const when = flow.firstSeen === flow.lastSeen ? flow.firstSeen : `${flow.firstSeen} to ${flow.lastSeen}`;
  const packets = `${flow.count} packet${flow.count === 1 ? "" : "s"}`;
  const phase = flow.phase ? `  ${PHASE_WORDS[flow.phase]}` : "";
  return `  ${flow.direction ?? "in/out"} ${flow.interface} ${flow.protocol} ${farSide(flow)}  ${describeProcess(flow)}  ${packets}  ${when}${phase}`;
}

/** The kill switch's own record on this Mac, or a message saying why there is none to read. */
async function readThisMac(io: CliIo): Promise<{ path: string; packets: PflogPacket[]; context: FlowContext }> {
  let record;
  try {
    record = await readBlockedTrafficRecord(io.system);
  } catch (error) {
    if (error instanceof PflogCaptureError || error instanceof TextFileError) throw new CliError(error.message, 1);
    if ((error as NodeJS.ErrnoException).code === "EACCES") {
      throw new CliError("The record of blocked traffic is readable by admin users only.", 1);
    }
    throw error;
  }
  if (!record) {
    throw new CliError(
      `No record of blocked traffic on this Mac: it is kept while the kill switch is on with ${namedSetting("blockedTrafficLog")} ` +
        "above 0. Read another capture with --capture FILE.",
      1,
    );
  }
  return { path: record.directory, packets: record.packets, context: record.context };
}

export const logCommand: CliCommand = {
  name: "log",
  summary: "show what pf blocked, as flows with the process behind them (from a pflog capture)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      capture: { type: "string" },
      since: { type: "string" },
      clear: { type: "boolean" },
      config: { type: "string" },
      json: { type: "boolean" },
    });
    if (values.clear) {
      if (values.capture !== undefined || values.since !== undefined) {
        throw optionError("--clear", null, "--clear empties this Mac's record: it takes neither --capture nor --since");
      }
      requireMacOs("log --clear", io);
      const settings = await loadSettingsFile(values.config, io);
      return reportChange(
        () => clearBlockedTraffic({ system: io.system, authentication: settings.authentication }),
        values.json ?? false,
        io,
      );
    }
    const since = values.since === undefined ? null : io.now().getTime() / 1000 - parseDuration(values.since);
    const onMac = io.platform === "darwin" || systemRootOf(io.system) !== "";
    if (values.capture === undefined && !onMac) {
      throw optionError(
        "--capture",
        null,
        "--capture FILE is required off a Mac: a pcap of pf's log (tcpdump -i pflogN -w FILE)",
      );
    }
    let path: string;
    let packets;
    let context: FlowContext = {};
    if (values.capture === undefined) {
      ({ path, packets, context } = await readThisMac(io));
    } else {
      path = resolve(io.cwd, values.capture);
      try {
        packets = readPflogCapture(await readBoundedFile(path, "capture", CAPTURE_FILE_LIMIT), `capture ${path}`);
      } catch (error) {
        if (error instanceof PflogCaptureError || error instanceof TextFileError) {
          throw optionError("--capture", values.capture, error.message);
        }
        throw error;
      }
    }
    const flows = groupFlows(since === null ? packets : packets.filter((packet) => packet.time >= since), context);
    if (values.json) {
      io.stdout(`${JSON.stringify({ flows }, null, 2)}\n`);
      return 0;
    }
    const blocked = flows.reduce((sum, flow) => sum + flow.count, 0);
    const lines = [
      flows.length === 0
        ? `Nothing blocked in ${path}${values.since ? ` in the last ${values.since}` : ""}.`
        : `Blocked in ${path}: ${flows.length} flow${flows.length === 1 ? "" : "s"}, ${blocked} packet${blocked === 1 ? "" : "s"}.`,
      ...flows.map(describeFlow),
    ];
    io.stdout(`${lines.map((line) => printable(line)).join("\n")}\n`);
    return 0;
  },
};
