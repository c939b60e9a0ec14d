import { describeStatus, getKillSwitchStatus } from "../lifecycle";
import { KILL_SWITCH_STATES } from "../lifecycle/states";
import { STATE_MEANINGS, STATE_NAMES } from "../words/states";
import { describeUntrustedTunnels, untrustedTunnelsNow } from "../lifecycle/describe";
import type { NetworkState } from "../network/state";
import { parseCommandArgs } from "./args";
import { readNetwork } from "./context";
import { requireMacOs } from "./enable-command";
import type { CliCommand } from "./io";
import { printable } from "./printable";
import { WATCH_OPTIONS, WATCH_USAGE, watchRequested, watchStatus } from "./status-watch";

const USAGE = `Usage: killswitch status [--snapshot DIR] [--json] [--watch [--interval SECONDS] [--count N]]

Tells what the kill switch is doing, without a password, and whether traffic can leave outside the VPN now:
${KILL_SWITCH_STATES.map((state) => `  ${STATE_NAMES[state].padEnd(17)} ${STATE_MEANINGS[state]}`).join("\n")}
  --snapshot DIR  judge the VPN from a saved snapshot instead of this Mac's network
  --json          print one JSON object instead of text (with --watch: one a line, when it changes)
${WATCH_USAGE}`;

export const statusCommand: CliCommand = {
  name: "status",
  summary: "show whether traffic is protected (no password needed)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      snapshot: { type: "string" },
      json: { type: "boolean" },
      ...WATCH_OPTIONS,
    });
    // Only a Mac (or a stand-in tree) has a kill switch to tell of: anywhere else "Off" would be a guess.
    requireMacOs("status", io, "reads");
    const watch = watchRequested(values);
    if (watch) return watchStatus(watch, { snapshot: values.snapshot, json: values.json ?? false }, io);
    let network: NetworkState | null = null;
    try {
      network = (await readNetwork(values.snapshot, io)).network;
    } catch (error) {
      if (values.snapshot !== undefined) throw error;
    }
    const status = await getKillSwitchStatus({ system: io.system, network, now: io.now() });
    const untrustedTunnels = untrustedTunnelsNow(status, network);
    io.stdout(
      values.json
        ? `${JSON.stringify({ ...status, name: STATE_NAMES[status.state], meaning: STATE_MEANINGS[status.state], untrustedTunnels }, null, 2)}\n`
        : `${[...describeStatus(status), ...describeUntrustedTunnels(untrustedTunnels)].map((line) => printable(line)).join("\n")}\n`,
    );
    return 0;
  },
};
