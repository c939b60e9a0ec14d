import { ROOT_FILES } from "./root-contract";
import { ROOT_SCRIPT_CONSTANTS } from "./root-script";

// The root script owns the names of everything it creates as root: scripts/generate-root-script.mjs reads
// them from its text and from root-contract.json, so TypeScript and the script can never disagree.

/** The product's reverse-DNS id: the state directory's name. */
export const PRODUCT_ID = ROOT_SCRIPT_CONSTANTS.KS_ID;

/** Our pf anchor: a child of Apple's anchor point, evaluated before Apple's own children. */
export const ANCHOR_NAME = ROOT_SCRIPT_CONSTANTS.KS_ANCHOR;

/** Root-owned (0755) directory with the rules in force, the pf token and the state file. */
export const STATE_DIRECTORY = ROOT_SCRIPT_CONSTANTS.KS_STATE_DIR;

/** Written by the root script after each action (0600, root's alone): what is in force, for the watchdog. */
export const STATE_FILE = `${STATE_DIRECTORY}/${ROOT_FILES.state}`;

/** Written with it (0644): the part Status shows, read without root. */
export const STATUS_FILE = `${STATE_DIRECTORY}/${ROOT_FILES.status}`;
/** The root side's record of what pf blocked: blocked.pcap0, 1, ... written in turn (admin group may read). */
export const CAPTURE_DIRECTORY = `${STATE_DIRECTORY}/${ROOT_FILES.capture}`;

/** The rules loaded into our anchor, as last loaded. */
export const RULES_FILE = `${STATE_DIRECTORY}/${ROOT_FILES.rules}`;

/** The pf reference token (0600, root's). */
export const TOKEN_FILE = `${STATE_DIRECTORY}/${ROOT_FILES.token}`;

/** Written by the boot-time watchdog after each check; see lifecycle/record.ts for its shape. */
export const WATCHDOG_STATUS_FILE = `${STATE_DIRECTORY}/${ROOT_FILES.watchdogStatus}`;

/** Host names of the settings and the addresses they last resolved to (0644): used while DNS is blocked. */
export const RESOLVED_FILE = `${STATE_DIRECTORY}/${ROOT_FILES.resolved}`;

/** The watchdog's rule templates, one per network with its own exceptions plus one for any other. */
export const RULE_TEMPLATES_DIRECTORY = `${STATE_DIRECTORY}/${ROOT_FILES.templates}`;

/** The boot-time watchdog: a copy of the root script, root-owned 0755. */
export const WATCHDOG_SCRIPT_FILE = `${STATE_DIRECTORY}/${ROOT_FILES.watchdogScript}`;

/** The LaunchDaemon that runs the watchdog at boot, every few seconds and on network changes. */
export const LAUNCH_DAEMON_FILE = ROOT_SCRIPT_CONSTANTS.KS_LAUNCH_DAEMON;

/** Seconds between two watchdog checks. */
export const WATCHDOG_INTERVAL_SECONDS = Number(ROOT_SCRIPT_CONSTANTS.KS_WATCHDOG_INTERVAL);

/** The version the watchdog writes into watchdog.json; an installed watchdog with another one is outdated. */
export const WATCHDOG_VERSION = Number(ROOT_SCRIPT_CONSTANTS.KS_VERSION);
