/**
 * The workflow's program in-process, as Alfred runs it: Alfred's variables in the environment, the query or the
 * item's arg as the argument, the fake Mac's programs. What it would open Alfred with is recorded.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { runAlfred } from "../../src/alfred/main";
import type { AlfredOutput } from "../../src/alfred/items";
import type { HostLookup } from "../../src/policy/policy";
import type { SystemCommands } from "../../src/system/commands";
import { temporaryDirectory } from "../temporary-directory";

/** What Alfred sets for a Script Filter or a Run Script (alfredapp.com/help/workflows/script-environment-variables/). */
export function alfredEnvironment(home: string, workflowFolder: string): Record<string, string> {
  const cache = join(home, "Library/Caches/com.runningwithcrayons.Alfred/Workflow Data/com.vpnkillswitch.alfred");
  const data = join(home, "Library/Application Support/Alfred/Workflow Data/com.vpnkillswitch.alfred");
  mkdirSync(cache, { recursive: true });
  mkdirSync(data, { recursive: true });
  return {
    HOME: home,
    alfred_version: "5.5",
    alfred_version_build: "2257",
    alfred_preferences: join(home, "Library/Application Support/Alfred/Alfred.alfredpreferences"),
    alfred_theme_subtext: "3",
    alfred_workflow_bundleid: "com.vpnkillswitch.alfred",
    alfred_workflow_cache: cache,
    alfred_workflow_data: data,
    alfred_workflow_name: "VPN Kill Switch",
    alfred_workflow_uid: "user.workflow.8D2E0C7A",
    alfred_workflow_version: "1.0.0",
    alfred_debug: "0",
    PWD: workflowFolder,
  };
}

export interface AlfredUser {
  home: string;
  env: Record<string, string>;
  /** The Script Filter's answer for the words after `ks`. */
  filter(query: string): Promise<AlfredOutput>;
  /** ↵ (or a modifier) on an item: the Run Script with its arg; what the notification says. */
  run(arg: string): Promise<{ title: string; text: string }>;
  /** ⌘↵: the query Alfred was opened with. */
  open(query: string): Promise<string[]>;
}

export function alfredUser(
  system: SystemCommands,
  options: { now?: () => Date; home?: string; lookup?: HostLookup } = {},
): AlfredUser {
  const home = options.home ?? temporaryDirectory("alfred-home-");
  const env = alfredEnvironment(home, temporaryDirectory("alfred-workflow-"));
  const opened: string[] = [];
  const invoke = async (argv: string[]) => {
    let stdout = "";
    const code = await runAlfred(argv, {
      stdout: (text) => (stdout += text),
      stderr: () => undefined,
      env,
      cwd: env.PWD,
      platform: "darwin",
      system,
      readStdin: async () => "",
      now: options.now ?? (() => new Date()),
      showInAlfred: async (query) => void opened.push(query),
      lookup: options.lookup,
    });
    return { code, stdout };
  };
  return {
    home,
    env,
    async filter(query) {
      return JSON.parse((await invoke(["filter", query])).stdout) as AlfredOutput;
    },
    async run(arg) {
      const said = JSON.parse((await invoke(["run", arg])).stdout);
      return { title: said.alfredworkflow.variables.notification_title, text: said.alfredworkflow.arg };
    },
    async open(query) {
      await invoke(["open", query]);
      return opened;
    },
  };
}
