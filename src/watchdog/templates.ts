/**
 * The rules the root watchdog switches between, prepared by the extension: one template for each network that
 * has exceptions of its own, and one for any other network. A template is the builder's text with what the
 * watchdog fills in marked by `#@@ ` lines (see the head of killswitch-root.sh): the tunnel lines, and lines
 * that stop at a time (a captive portal window, an exception that ends). The marks are found by building the
 * anchor twice and comparing the texts, so `buildKillSwitchAnchor` stays the one place that writes pf rules.
 */
import { familyOf } from "../address/ip";
import type { NetworkIdentity, NetworkState } from "../network/state";
import { formatNetworkIdentityId } from "../network/identity";
import { type AnchorInput, buildKillSwitchAnchor } from "../pf/anchor";
import { isExceptionActive } from "../policy/policy";

/** Stands for a tunnel's name in a template; the watchdog replaces it. Never a valid interface name. */
export const TUNNEL_PLACEHOLDER = "@TUNNEL@";

export interface NetworkRuleTemplate {
  /** The network identity id (`gw=...,mac=...,net=...`) these rules are for. */
  id: string;
  rules: string;
}

export interface RuleTemplates {
  /** The tunnel named in the settings, which the rules let through alone; null: the watchdog follows tunnels. */
  fixedTunnel: string | null;
  /** Besides the tunnel carrying the default route, the tunnels the settings trust (when they are up). */
  trustedTunnels: string[];
  /** For any network not in `networks` (its exceptions: only those for all networks). */
  other: string;
  networks: NetworkRuleTemplate[];
}

const IDENTITY_ID =
  /^gw=(\d{1,3}(?:\.\d{1,3}){3}),mac=([0-9a-f]{2}(?::[0-9a-f]{2}){5}|unknown),net=([0-9./]+|unknown)$/;

/** Reads an identity id back into its parts; null unless it is exactly what network/identity.ts prints. */
export function parseNetworkIdentityId(id: string): NetworkIdentity | null {
  const match = IDENTITY_ID.exec(id);
  if (!match || familyOf(match[1]) !== "inet") return null;
  const gatewayMac = match[2] === "unknown" ? null : match[2];
  const subnet = match[3] === "unknown" ? null : match[3];
  if (formatNetworkIdentityId(match[1], gatewayMac, subnet) !== id) return null;
  return { id, gatewayIpv4: match[1], gatewayMac, subnet, label: null };
}

type Edit = { kind: "same" | "only-a" | "only-b"; line: string };

/** A line diff (longest common subsequence): rulesets are a few dozen lines, so the plain table is fine. */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const table = new Uint16Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i * cols + j] =
        a[i] === b[j]
          ? table[(i + 1) * cols + j + 1] + 1
          : Math.max(table[(i + 1) * cols + j], table[i * cols + j + 1]);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      edits.push({ kind: "same", line: a[i++] });
      j++;
    } else if (j >= b.length || (i < a.length && table[(i + 1) * cols + j] >= table[i * cols + j + 1])) {
      edits.push({ kind: "only-a", line: a[i++] });
    } else {
      edits.push({ kind: "only-b", line: b[j++] });
    }
  }
  return edits;
}

const linesOf = (text: string) => text.slice(0, -1).split("\n");
/** The rules as if `name` were the one tunnel let through (it carries the default route; nothing else is named). */
const withTunnel = (input: AnchorInput, name: string): AnchorInput => ({
  ...input,
  policy: { ...input.policy, trustedTunnels: [] },
  // The tunnels that are up stay listed: an ipsec one is the evidence that a server seen in the routes is IKEv2.
  network: { ...input.network, tunnels: [...input.network.tunnels, { name, ipv4: [], ipv6: [] }], vpnInterface: name },
});
/** No VPN up: no tunnel, and no VPN server seen in the routes (they are only seen while a tunnel is up). */
const withoutVpn = (input: AnchorInput): AnchorInput => ({
  ...input,
  policy: { ...input.policy, trustedTunnels: [] },
  network: { ...input.network, tunnels: [], vpnInterface: null, endpoints: [] },
});

/** Something in the rules that ends: its lines are built with and without it. */
interface TimedPart {
  until: Date;
  without: (input: AnchorInput) => AnchorInput;
}

function timedParts(input: AnchorInput): TimedPart[] {
  const parts: TimedPart[] = [];
  const until = input.captivePortalUntil;
  if (until && until.getTime() > input.now.getTime()) {
    parts.push({ until, without: (i) => ({ ...i, captivePortalUntil: null }) });
  }
  const identity = input.network.identity?.id ?? null;
  for (const exception of input.policy.exceptions) {
    if (exception.expiresAt === null || !isExceptionActive(exception, identity, input.now)) continue;
    parts.push({
      until: new Date(exception.expiresAt),
      without: (i) => ({
        ...i,
        policy: { ...i.policy, exceptions: i.policy.exceptions.filter((e) => e !== exception) },
      }),
    });
  }
  return parts;
}

/**
 * The template for one network: exactly the builder's text for `input`, with the tunnel lines and the
 * timed lines marked. Filled in with the tunnels of `input` at `input.now`, it gives back the builder's text.
 * VPN servers seen in the routes (not in the settings) are marked like the tunnel lines: they are let through
 * while a VPN tunnel is up, as the builder does, since they are only ever seen then.
 */
export function buildRuleTemplate(input: AnchorInput): string {
  const follow = !input.policy.tunnelOverride;
  const base = follow ? withTunnel(input, TUNNEL_PLACEHOLDER) : input;
  const lines = linesOf(buildKillSwitchAnchor(base));
  const marks: (string | null)[] = lines.map(() => null);
  const before = new Map<number, string[]>();

  if (follow) {
    let at = 0;
    for (const edit of diffLines(lines, linesOf(buildKillSwitchAnchor(withoutVpn(input))))) {
      if (edit.kind === "only-b") {
        before.set(at, [...(before.get(at) ?? []), `#@@ tunnels-none:${edit.line}`]);
        continue;
      }
      if (edit.kind === "only-a") {
        const perTunnel = edit.line.includes(TUNNEL_PLACEHOLDER) && !edit.line.startsWith("#");
        marks[at] = perTunnel ? "each-tunnel" : "tunnels-some";
      }
      at++;
    }
  }

  for (const part of timedParts(base)) {
    let at = 0;
    for (const edit of diffLines(lines, linesOf(buildKillSwitchAnchor(part.without(base))))) {
      if (edit.kind === "only-b") throw new Error(`the rules gain a line when a timed part ends: ${edit.line}`);
      if (edit.kind === "only-a") {
        if (marks[at] !== null) throw new Error(`a tunnel line is also timed: ${edit.line}`);
        marks[at] = `until=${Math.floor(part.until.getTime() / 1000)}`;
      }
      at++;
    }
  }

  const out: string[] = [];
  lines.forEach((line, index) => {
    out.push(...(before.get(index) ?? []));
    out.push(marks[index] === null ? line : `#@@ ${marks[index]}:${line}`);
  });
  out.push(...(before.get(lines.length) ?? []));
  return `${out.join("\n")}\n`;
}

/** The network state as it would be on the network `identity`, everything else as now. */
function onNetwork(network: NetworkState, identity: NetworkIdentity): NetworkState {
  const label = network.identity?.id === identity.id ? network.identity.label : null;
  return {
    ...network,
    identity: { ...identity, label },
    gateway: { ipv4: identity.gatewayIpv4, mac: identity.gatewayMac, interface: network.gateway?.interface ?? null },
  };
}

/**
 * Every template the watchdog may need: one per network that has exceptions of its own (enabled, not ended),
 * and one for any other network. Exceptions scoped to something that is not a network identity id could never
 * be matched by the watchdog, so they get no template (their rules apply only through Enable and Apply).
 */
export function buildRuleTemplates(input: AnchorInput): RuleTemplates {
  const ids = new Set<string>();
  for (const exception of input.policy.exceptions) {
    if (exception.scope === "all" || !isExceptionActive(exception, exception.scope, input.now)) continue;
    ids.add(exception.scope);
  }
  const networks: NetworkRuleTemplate[] = [];
  for (const id of [...ids].sort()) {
    const identity = parseNetworkIdentityId(id);
    if (identity)
      networks.push({ id, rules: buildRuleTemplate({ ...input, network: onNetwork(input.network, identity) }) });
  }
  return {
    fixedTunnel: input.policy.tunnelOverride,
    trustedTunnels: input.policy.tunnelOverride ? [] : input.policy.trustedTunnels,
    other: buildRuleTemplate({ ...input, network: { ...input.network, identity: null } }),
    networks,
  };
}
