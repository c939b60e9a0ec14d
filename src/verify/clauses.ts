/**
 * What verification reports: the input it judges, the clauses of the promise, and each failing packet.
 */
import type { NetworkState } from "../network/state";
import type { Endpoint, KillSwitchPolicy } from "../policy/policy";
import type { Packet } from "./evaluate";
import type { LintFinding } from "./lint";
import type { ParseError } from "./parse-rules";

export interface VerifyInput {
  policy: KillSwitchPolicy;
  network: NetworkState;
  now: Date;
  captivePortalUntil?: Date | null;
  /** Servers an earlier Enable found in the routes: intended while the routes show none. */
  rememberedServers?: readonly Endpoint[];
  /** Networks an earlier Enable saw routed into the tunnel: never the local network while the routes show none. */
  rememberedTunnelRoutes?: readonly string[];
}

/** What should happen to a packet; `block-return` = refused with an answer, so apps fail fast. */
export type Expectation = "pass" | "block" | "block-return";

export interface ClauseFailure {
  packet: Packet;
  /** The packet in words (`out en0 inet tcp ... -> ...`). */
  description: string;
  expected: Expectation;
  /** Why the policy wants that verdict. */
  because: string;
  actual: string;
  /** True when something the policy blocks would get through. */
  leak: boolean;
  /** The rule that decided, when one did. */
  rule?: { line: number; text: string };
}

export type ClauseId =
  | "loopback"
  | "tunnel"
  | "outside-blocked"
  | "vpn-endpoints"
  | "link-plumbing"
  | "dns"
  | "discovery"
  | "lan"
  | "exceptions"
  | "airdrop"
  | "attacker"
  | "blocking-mode"
  | "captive-portal"
  | "rule-destinations";

export interface ClauseResult {
  id: ClauseId;
  description: string;
  passed: boolean;
  /** Packets checked; 0 when the clause does not apply to this policy and network. */
  checked: number;
  failures: ClauseFailure[];
}

export interface VerificationResult {
  passed: boolean;
  clauses: ClauseResult[];
  lint: LintFinding[];
  parseErrors: ParseError[];
}
