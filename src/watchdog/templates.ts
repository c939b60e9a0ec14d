/**
 * The rules the root watchdog switches between, prepared by the extension: one template for each network that
 * has exceptions of its own, and one for any other network. A template is the builder's text with what the
 * watchdog fills in marked by `#@@ ` lines (see the head of killswitch-root.sh): the tunnel lines, lines
 * that stop at a time (a captive portal window, an exception that ends), and the lines of each physical link
 * and its networks. The builder tags those lines itself
 * (`buildAnchorLines`), so it stays the one place that writes pf rules, and a template costs one build.
 */
import type { NetworkIdentity, NetworkState } from "../network/state";
import { ANY_PROTECTED_LINK, parseNetworkIdentityId } from "../network/identity";
import { type AnchorInput, TUNNEL_PLACEHOLDER, buildAnchorLines, templateLine } from "../pf/anchor";
import { isExceptionActive, requiredSecurity } from "../policy/policy";

export { TUNNEL_PLACEHOLDER, parseNetworkIdentityId };

export interface NetworkRuleTemplate {
  /** The network identity id (`gw=...,mac=...,net=...`) these rules are for. */
  id: string;
  /**
   * How its link must be protected for them (network/identity.ts `securityMeets`): a recorded mode (`WPA2_PSK`,
   * `wired`), or `protected` for exceptions saved without one. The watchdog reads the link's mode beside the id.
   */
  security: string;
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

/**
 * The template for one network: the builder's lines for `input`, those that depend on the tunnels or end at
 * a time marked as the builder tagged them. Filled in with the tunnels of `input` at `input.now`, it gives back
 * the builder's text. Every VPN server is passed in every variant, the no-tunnel one included, so the VPN can
 * reach its server after a restart.
 */
export function buildRuleTemplate(input: AnchorInput): string {
  return `${buildAnchorLines(input, { template: true }).map(templateLine).join("\n")}\n`;
}

/** The network state as it would be on the network `identity` protected as `security`, everything else as now. */
function onNetwork(network: NetworkState, identity: NetworkIdentity, security: string): NetworkState {
  const label = network.identity?.id === identity.id ? network.identity.label : null;
  return {
    ...network,
    identity: { ...identity, label, security },
    gateway: { ipv4: identity.gatewayIpv4, mac: identity.gatewayMac, interface: network.gateway?.interface ?? null },
  };
}

/**
 * Every template the watchdog may need: one per network that has exceptions of its own (enabled, not ended) and
 * each link security they require, and one for any other network. Recorded modes come before `protected` for
 * the same network: the watchdog takes the first that fits, and a recorded mode's template holds the exceptions
 * saved without one too. Exceptions scoped to something that is not a network identity id could never be
 * matched by the watchdog, so they get no template (their rules apply only through Enable and Apply).
 */
export function buildRuleTemplates(input: AnchorInput): RuleTemplates {
  const wanted = new Map<string, { id: string; security: string }>();
  for (const exception of input.policy.exceptions) {
    const security = requiredSecurity(exception);
    if (exception.scope === "all" || !isExceptionActive(exception, { id: exception.scope, security }, input.now))
      continue;
    wanted.set(`${exception.scope} ${security}`, { id: exception.scope, security });
  }
  const order = (a: { id: string; security: string }) =>
    `${a.id} ${a.security === ANY_PROTECTED_LINK ? 1 : 0}${a.security}`;
  const networks: NetworkRuleTemplate[] = [];
  for (const { id, security } of [...wanted.values()].sort((a, b) => order(a).localeCompare(order(b)))) {
    const identity = parseNetworkIdentityId(id);
    if (!identity) continue;
    const network = onNetwork(input.network, identity, security);
    networks.push({ id, security, rules: buildRuleTemplate({ ...input, network }) });
  }
  return {
    fixedTunnel: input.policy.tunnelOverride,
    trustedTunnels: input.policy.tunnelOverride ? [] : input.policy.trustedTunnels,
    other: buildRuleTemplate({ ...input, network: { ...input.network, identity: null } }),
    networks,
  };
}
