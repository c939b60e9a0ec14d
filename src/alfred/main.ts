/**
 * The workflow's one program, run by its three scripts through the Node finder (find-node.sh): `filter QUERY`
 * (the Script Filter), `run ARG` (the Run Script: ↵ on an item) and `open QUERY` (⌘↵: Alfred opens with an
 * item's words to edit). Whatever goes wrong is said as an item or a notification that says what to do, never a
 * stack.
 */
import type { CliIo } from "../cli/io";
import { FAILURES } from "../words/messages";
import { ALFRED_KEYWORD, type AlfredOutput, problemItem } from "./items";
import { readForAlfred } from "./reading";
import { runAction } from "./run-action";
import { scriptFilter } from "./script-filter";

export interface AlfredIo extends CliIo {
  /** Opens Alfred with `query` in its search field. */
  showInAlfred(query: string): Promise<void>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What the Run Script prints: the notification's text as the arg, its title as a workflow variable. */
export function notificationJson(title: string, text: string): string {
  return `${JSON.stringify({ alfredworkflow: { arg: text, variables: { notification_title: title } } })}\n`;
}

async function filter(query: string, io: AlfredIo): Promise<AlfredOutput> {
  try {
    return scriptFilter(query, await readForAlfred(io));
  } catch (error) {
    return {
      items: [
        problemItem(FAILURES.readStatus, `${messageOf(error)} · try again, or run killswitch status in Terminal`),
      ],
    };
  }
}

/** Runs one mode; the exit status is 0 whenever Alfred has something to show. */
export async function runAlfred(argv: readonly string[], io: AlfredIo): Promise<number> {
  const [mode, text = ""] = argv;
  switch (mode) {
    case "filter":
      io.stdout(`${JSON.stringify(await filter(text, io))}\n`);
      return 0;
    case "run": {
      let said;
      try {
        said = await runAction(text, io);
      } catch (error) {
        said = { title: "Nothing Was Done", text: `${messageOf(error)}. Try again, or use killswitch in Terminal.` };
      }
      io.stdout(notificationJson(said.title, said.text));
      return 0;
    }
    case "open":
      try {
        await io.showInAlfred(`${ALFRED_KEYWORD} ${text}`);
        return 0;
      } catch (error) {
        io.stdout(notificationJson("Could Not Open Alfred", messageOf(error)));
        return 0;
      }
    default:
      io.stdout(
        `${JSON.stringify({ items: [problemItem("Not a Mode of This Workflow", `${JSON.stringify(mode ?? "")}: use filter, run or open`)] })}\n`,
      );
      return 2;
  }
}
