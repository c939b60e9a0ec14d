import { resolve } from "node:path";
import { collectLiveSnapshot, writeSnapshotDirectory } from "../network/snapshot";
import { parseCommandArgs } from "./args";
import { CliError, type CliCommand } from "./io";

const USAGE = `Usage: killswitch snapshot DIR

Saves the output of the network commands the kill switch reads (ifconfig, netstat, route, scutil, arp, ipconfig)
into DIR, unmodified, so the same state can be previewed elsewhere or attached to a bug report. macOS only.`;

export const snapshotCommand: CliCommand = {
  name: "snapshot",
  summary: "save this Mac's network command output to a directory (for preview elsewhere or a bug report)",
  usage: USAGE,
  async run(args, io) {
    const dirArg = args[0];
    if (dirArg === undefined || dirArg.startsWith("-"))
      throw new CliError("needs a directory: killswitch snapshot DIR");
    parseCommandArgs(args.slice(1), {});
    if (io.platform !== "darwin") throw new CliError("reads this Mac's network, so it runs only on macOS");
    const dir = resolve(io.cwd, dirArg);
    const snapshot = await collectLiveSnapshot(io.system);
    try {
      await writeSnapshotDirectory(dir, snapshot);
      io.stdout(`Saved a network snapshot to ${dir}\n`);
    } catch (error) {
      throw new CliError(`cannot write ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    return 0;
  },
};
