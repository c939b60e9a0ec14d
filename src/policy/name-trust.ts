/**
 * Whether a host name's answer can be believed. The network the Mac is on runs the DNS it hands out, so a name it
 * resolves to a public address may point anywhere: such an answer is passed only once the user confirms those
 * addresses. An answer that came through the VPN's own resolver (the tunnel carrying the Internet routes, resolver
 * #1 of `scutil --dns` on that tunnel) is the VPN's word, not the network's; private and link-local answers stay
 * on the link.
 */
import { sameAddress } from "../address/ip";
import { isLocalAddress } from "../address/local-space";
import type { NetworkState } from "../network/state";
import type { KillSwitchPolicy } from "./policy";
import { type Settings, parseVpnServer } from "./settings";

/** A name the user must confirm: the setting naming it, the name, and the public addresses it resolved to. */
export interface NameToConfirm {
  field: string;
  host: string;
  addresses: string[];
}

const bare = (name: string) => name.toLowerCase().replace(/\.$/, "");

/** The interface a lookup of `host` leaves on: its longest supplemental domain's resolver, else resolver #1's. */
export function resolverInterfaceFor(host: string, network: NetworkState): string | null {
  const resolvers = network.resolverInterfaces ?? [];
  const name = bare(host);
  const supplemental = resolvers
    .filter((r) => r.domain !== null && (name === bare(r.domain) || name.endsWith(`.${bare(r.domain)}`)))
    .sort((a, b) => (b.domain?.length ?? 0) - (a.domain?.length ?? 0))[0];
  return (supplemental ?? resolvers.find((r) => r.domain === null))?.interface ?? null;
}

/** True when a lookup of `host` goes to the VPN: the resolver that serves it sends on the tunnel trusted as the VPN. */
export function resolvesThroughTunnel(host: string, network: NetworkState, tunnelOverride: string | null): boolean {
  const vpn = network.vpnInterface;
  if (vpn === null || (tunnelOverride !== null && tunnelOverride !== vpn)) return false;
  return resolverInterfaceFor(host, network) === vpn;
}

/** Every setting that names `host`: `vpnServers[0]`, `exceptions[2].address`. */
export function fieldsNaming(settings: Pick<Settings, "vpnServers" | "exceptions">, host: string): string[] {
  const fields: string[] = [];
  settings.vpnServers.forEach((text, index) => {
    if (parseVpnServer(text)?.host === host) fields.push(`vpnServers[${index}]`);
  });
  settings.exceptions.forEach((e, index) => {
    if (e.address.trim() === host) fields.push(`exceptions[${index}].address`);
  });
  return fields;
}

/** The public addresses of an answer; empty when all of it is private or link-local. */
export const publicAddresses = (addresses: readonly string[]): string[] =>
  addresses.filter((address) => !isLocalAddress(address));

/** True when every public address of `answer` is among `confirmed`. */
export function isConfirmed(answer: readonly string[], confirmed: readonly string[]): boolean {
  return publicAddresses(answer).every((address) => confirmed.some((known) => sameAddress(known, address)));
}

/** The CLI's way to answer: `--confirm-addresses NAME=ADDR,ADDR`. */
export function confirmOption(names: readonly NameToConfirm[]): string {
  return names.map((n) => `--confirm-addresses ${n.host}=${n.addresses.join(",")}`).join(" ");
}

/** Why nothing was changed, naming each field, name and address, and how to answer. */
export function describeNamesToConfirm(names: readonly NameToConfirm[]): string {
  const lines = names.map(
    (n) =>
      `${n.field}: "${n.host}" resolved outside the VPN to ${n.addresses.join(", ")}: the network's DNS may have given any address, so it is not passed until you confirm ${n.addresses.length === 1 ? "it" : "them"}`,
  );
  return (
    `Host names resolved by the network, not the VPN, so nothing was changed:\n  ${lines.join("\n  ")}\n` +
    `If these are the right addresses, confirm them (CLI: ${confirmOption(names)}; or "confirmedAddresses" in the settings). ` +
    `The answer is kept; a name that later resolves elsewhere is asked about again.`
  );
}

/** The policy without the addresses of names still to confirm: what Enable would load once they are answered no. */
export function withoutUnconfirmed(policy: KillSwitchPolicy, names: readonly NameToConfirm[]): KillSwitchPolicy {
  if (names.length === 0) return policy;
  const held = (host: string | undefined, address: string) =>
    names.some((n) => n.host === host && n.addresses.some((a) => sameAddress(a, address)));
  return {
    ...policy,
    endpoints: policy.endpoints.filter((endpoint) => !held(endpoint.host, endpoint.address)),
    exceptions: policy.exceptions.map((e) => ({
      ...e,
      addresses: e.addresses.filter((c) => !held(e.target, c.address)),
    })),
  };
}

/** One line a name, for preview and verify: which setting, which addresses, and that nothing passes to them. */
export function describeNameToConfirm(name: NameToConfirm): string {
  return `${name.field}: "${name.host}" resolved outside the VPN to ${name.addresses.join(", ")}: not passed until confirmed (${confirmOption([name])})`;
}
