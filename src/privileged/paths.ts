import { ROOT_SCRIPT } from "./root-script";

/**
 * The root script owns the names of everything it creates as root; TypeScript reads them from its text
 * so the two can never disagree (the product id, the anchor and the state directory are defined once,
 * at the top of killswitch-root.sh).
 */
function rootScriptConstant(name: string): string {
  const match = ROOT_SCRIPT.match(new RegExp(`^${name}=(.+)$`, "m"));
  if (!match) throw new Error(`killswitch-root.sh defines no ${name}`);
  const value = match[1].replace(/^"(.*)"$/, "$1");
  return value.replace(/\$KS_ID\b/g, () => rootScriptConstant("KS_ID"));
}

/** The product's reverse-DNS id: the state directory's name. */
export const PRODUCT_ID = rootScriptConstant("KS_ID");

/** Our pf anchor: a child of Apple's anchor point, evaluated before Apple's own children. */
export const ANCHOR_NAME = rootScriptConstant("KS_ANCHOR");

/** Root-owned (0755) directory with the rules in force, the pf token and the state file. */
export const STATE_DIRECTORY = rootScriptConstant("KS_STATE_DIR");

/** Written by the root script after each action (0644, root's): what is in force, read without root. */
export const STATE_FILE = `${STATE_DIRECTORY}/state.json`;

/** The rules loaded into our anchor, as last loaded. */
export const RULES_FILE = `${STATE_DIRECTORY}/anchor.pf`;

/** The pf reference token (0600, root's). */
export const TOKEN_FILE = `${STATE_DIRECTORY}/token`;

/** Written by the boot-time watchdog after each check; see lifecycle/record.ts for its shape. */
export const WATCHDOG_STATUS_FILE = `${STATE_DIRECTORY}/watchdog.json`;
