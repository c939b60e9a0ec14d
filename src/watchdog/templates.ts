/**
 * The rules the root watchdog switches between, prepared by the extension: one template for each network that
 * has exceptions of its own, and one for any other network. A template is the builder's text with what the
 * watchdog fills in marked by `#@@ ` lines (see the head of killswitch-root.sh): the tunnel lines, lines
 * that stop at a time (a captive portal window, an exception that ends), and the lines of each physical link
 * and its networks. The builder tags those lines itself
 * (`buildAnchorLines`), so it stays the one place that writes pf rules, and a template costs one build.
 */
import type { NetworkIdentity, NetworkState } from "../network/state";
import { parseNetworkIdentityId } from "../network/identity";
import { type AnchorInput, TUNNEL_PLACEHOLDER, buildAnchorLines, templateLine } from "../pf/anchor";
import { isExceptionActive } from "../policy/policy";

export { TUNNEL_PLACEHOLDER, parseNetworkIdentityId };

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

/**
 * The template for one network: the builder's lines for `input`, those that depend on the tunnels or end at
 * a time marked as the builder tagged them. Filled in with the tunnels of `input` at `input.now`, it gives back
 * the builder's text. Every VPN server is passed in every variant, the no-tunnel one included, so the VPN can
 * reach its server after a restart.
 */
export function buildRuleTemplate(input: AnchorInput): string {
  return `${buildAnchorLines(input, { template: true }).map(templateLine).join("\n")}\n`;
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
