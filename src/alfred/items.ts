/**
 * Alfred's Script Filter JSON (alfredapp.com/help/workflows/inputs/script-filter/json/): the fields this workflow
 * gives, and the items it says things with.
 */

/** ⌘ and ⌥ with ↵: ⌘ edits the item (Alfred opens with its words), ⌥ copies it. */
export interface AlfredModifier {
  valid: boolean;
  arg?: string;
  subtitle?: string;
}

export interface AlfredItem {
  uid?: string;
  title: string;
  subtitle?: string;
  /** What ↵ hands the workflow's Run Script: an action (actions.ts), as JSON. */
  arg?: string;
  /** A path inside the workflow's folder. */
  icon?: { path: string };
  /** False: ↵ does nothing but fill in `autocomplete` (a view of its own, a form to type). */
  valid?: boolean;
  autocomplete?: string;
  mods?: { cmd?: AlfredModifier; alt?: AlfredModifier };
  text?: { copy?: string; largetype?: string };
}

export interface AlfredOutput {
  items: AlfredItem[];
  /** Seconds after which Alfred runs the Script Filter again: while a change is in flight. */
  rerun?: number;
  /** Keep the order given (the state first), whatever Alfred learnt from earlier picks. */
  skipknowledge?: boolean;
}

/** The keyword the workflow is called by (also "kill switch"); ⌘↵ opens Alfred with it and the item's words. */
export const ALFRED_KEYWORD = "ks";

/** A state icon (assets/state-*.png), copied into the workflow (scripts/build-alfred.ts). */
export const iconPath = (file: string) => `icons/${file}`;

/** No modifier action for this item: ⌘ or ⌥ says so rather than doing something else. */
export const nothingTo = (what: string): AlfredModifier => ({ valid: false, subtitle: what });

/** ⌥↵ copies `text`. */
export const copyModifier = (text: string, what = text): AlfredModifier => ({
  valid: true,
  arg: text,
  subtitle: `Copy: ${what}`,
});

/** An item that says what went wrong and what to do; never actioned. */
export function problemItem(title: string, subtitle: string, uid = "problem"): AlfredItem {
  return {
    uid,
    title,
    subtitle,
    valid: false,
    text: { copy: `${title}: ${subtitle}`, largetype: `${title}\n\n${subtitle}` },
    mods: { alt: copyModifier(`${title}: ${subtitle}`, "the message"), cmd: nothingTo("Nothing to edit") },
  };
}
