import { ROOT_EXIT, type RootAction } from "../privileged/root-protocol";
import type { PrivilegedError } from "../privileged/runner";
import type { NameToConfirm } from "../policy/name-trust";

export type KillSwitchErrorKind =
  /** The user cancelled the password dialog. */
  | "cancelled"
  /** No dialog could be shown (a background process). */
  | "no-user-interaction"
  /** The authorisation failed for another reason (AppleScript broken, sudo refused). */
  | "authorization-failed"
  /** A VPN server or exception host name did not resolve; nothing was asked or loaded. */
  | "resolve"
  /** A host name resolved outside the VPN to public addresses nobody confirmed: the user must answer. */
  | "confirm-addresses"
  /** Protect from startup with no VPN server to keep reachable; nothing was asked or loaded. */
  | "no-server"
  /** A VPN server found in the routes, with nothing saying its protocol and port: the user must answer. */
  | "server-transport"
  /** pfctl -n refused the rules; its message is in `detail`. */
  | "rules-rejected"
  /** pf could not load (enable, apply) or flush (disable) our anchor. */
  | "load-failed"
  /** Our anchor could not be put ahead of the other rules; rolled back. */
  | "not-attached"
  /** pfctl -E failed; rolled back. */
  | "no-reference"
  /** The state directory is not root's or is a link. */
  | "unsafe-state-directory"
  /** Apply while the kill switch is off. */
  | "not-on"
  /** Another kill switch action (or a watchdog check) held the lock for too long; nothing was changed. */
  | "busy"
  /** Anything else: the root script's exit status is in the message. */
  | "failed";

/** Why an action did not complete; `nothingChanged` says whether pf is exactly as it was before. */
export class KillSwitchError extends Error {
  constructor(
    readonly kind: KillSwitchErrorKind,
    message: string,
    readonly nothingChanged: boolean,
    /** Supporting text for people: pfctl's own words, the resolver's errors. */
    readonly detail: string = "",
  ) {
    super(message);
    this.name = "KillSwitchError";
  }
}

/**
 * Enable (or Apply) found addresses it cannot pass without the user's word: a route or `scutil --nwi` names them
 * as VPN servers but no VPN program owns a connection to them, an earlier version recorded them on a route alone,
 * or nothing on the Mac says how the VPN reaches them. It asks rather than pass them. Nothing was asked or loaded.
 */
export class ServerTransportError extends KillSwitchError {
  /** The servers' addresses that need an answer. */
  readonly servers: readonly string[];
  /** By address: what the Mac saw of it (`93.184.216.34:443/tcp, used by Safari (pid 812)`), for the question. */
  readonly seen: Readonly<Record<string, string>>;

  constructor(questions: readonly { address: string; seen: string }[], message: string) {
    super("server-transport", message, true);
    this.name = "ServerTransportError";
    this.servers = questions.map((q) => q.address);
    this.seen = Object.fromEntries(questions.map((q) => [q.address, q.seen]));
  }
}

/**
 * Enable (or Apply) resolved host names through the network's DNS, not the VPN's, to public addresses the user has
 * not confirmed: the network may have answered anything, so it asks. Nothing was asked or loaded.
 */
export class NameConfirmationError extends KillSwitchError {
  constructor(
    /** Each name to confirm: the setting naming it, the name, its public addresses. */
    readonly names: readonly NameToConfirm[],
    message: string,
  ) {
    super("confirm-addresses", message, true);
    this.name = "NameConfirmationError";
  }
}

/** Turns a failed root run into a message for people, by the script's exit status. */
export function explainPrivilegedError(error: PrivilegedError, action: RootAction): KillSwitchError {
  switch (error.failure) {
    case "cancelled":
      return new KillSwitchError("cancelled", "Cancelled: nothing was changed.", true);
    case "no-user-interaction":
      return new KillSwitchError("no-user-interaction", error.message, true, error.output);
    case "authorization-failed":
      return new KillSwitchError("authorization-failed", `${error.message}. Nothing was changed.`, true, error.output);
    case "script-failed":
      break;
  }
  const said = error.output;
  switch (error.exitStatus) {
    case ROOT_EXIT.rulesRejected:
      return new KillSwitchError(
        "rules-rejected",
        `pf rejected the kill switch rules, so nothing was changed:\n${said}`,
        true,
        said,
      );
    case ROOT_EXIT.loadFailed:
      return new KillSwitchError(
        "load-failed",
        action === "disable" || action === "uninstall" ? said : `${said}\nNothing was changed.`,
        true,
        said,
      );
    case ROOT_EXIT.notAttached:
      return new KillSwitchError("not-attached", `${said}\nThe previous rules were put back.`, true, said);
    case ROOT_EXIT.noReference:
      return new KillSwitchError("no-reference", `${said}\nThe previous rules were put back.`, true, said);
    case ROOT_EXIT.unsafeStateDirectory:
      return new KillSwitchError("unsafe-state-directory", `${said}\nNothing was changed.`, true, said);
    case ROOT_EXIT.notOn:
      return new KillSwitchError("not-on", said, true, said);
    case ROOT_EXIT.busy:
      return new KillSwitchError("busy", `${said}\nNothing was changed.`, true, said);
    default:
      return new KillSwitchError(
        "failed",
        `The kill switch's root script failed (exit status ${error.exitStatus}): ${said || "no message"}. Check the status.`,
        false,
        said,
      );
  }
}
