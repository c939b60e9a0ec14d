/**
 * How much public address space the outbound passes outside the tunnel open together, read from the rule text
 * alone, so a hand-edited or foreign anchor is judged as ours is: more than the exceptions' cap is a failure.
 * A pass to `any` is left to the policy clauses (DNS, the captive portal's web ports), which probe it packet by
 * packet; multicast groups never leave the link, so they are not counted.
 */
import type { Cidr } from "../address/ip";
import { MULTICAST_RANGES, publicAddressCount } from "../address/local-space";
import { PUBLIC_SPACE_CAP, WIDEST_PREFIX, describeCount } from "../policy/exception-width";
import type { ParsedRuleset, PfRule } from "./parse-rules";

/** Room beyond the exceptions' cap for the single hosts the rules also name: VPN servers, resolvers, DHCP. */
export const SINGLE_HOST_ALLOWANCE = 1024n;

const FAMILY_NAME = { inet: "IPv4", inet6: "IPv6" } as const;
const INSIDE = /^(utun|tun|tap|ipsec|ppp)\d+$|^lo0$/;

/** Whether a rule can pass a packet leaving a physical interface (no interface, a physical one, or `! tunnel`). */
function leavesOutsideTunnel(rule: PfRule): boolean {
  const on = rule.interface ?? rule.anchor?.gate.interface ?? null;
  return on === null || on.negated || !INSIDE.test(on.name);
}

/** The networks a pass names as its destination: a network, or a table's entries (its exclusions not subtracted). */
function destinations(rule: PfRule, parsed: ParsedRuleset): Cidr[] {
  const to = rule.to.address;
  // A pass to /0 is an error of its own (pass-to-everything).
  if (to.kind === "cidr") return to.negated || to.cidr.prefix === 0 ? [] : [to.cidr];
  if (to.kind !== "table" || to.negated) return [];
  const table = parsed.tables.find((t) => t.name === to.table);
  return table ? table.entries.filter((entry) => !entry.negated).map((entry) => entry.cidr) : [];
}

export interface PublicSpaceFinding {
  line: number;
  message: string;
}

/** The first outbound pass at which the passes outside the tunnel open more public space than the cap; null if none. */
export function findPublicSpaceOverCap(parsed: ParsedRuleset): PublicSpaceFinding | null {
  const taken: Cidr[] = [];
  for (const rule of parsed.rules) {
    if (rule.action !== "pass" || rule.direction === "in" || !leavesOutsideTunnel(rule)) continue;
    const added = destinations(rule, parsed);
    if (added.length === 0) continue;
    taken.push(...added);
    const counts = publicAddressCount(taken, MULTICAST_RANGES);
    for (const family of ["inet", "inet6"] as const) {
      const cap = PUBLIC_SPACE_CAP[family];
      if (counts[family] <= cap + SINGLE_HOST_ALLOWANCE) continue;
      return {
        line: rule.line,
        message: `with this pass, the passes outside the tunnel open ${describeCount(counts[family])} public ${FAMILY_NAME[family]} addresses: more than the exceptions may open together (${describeCount(cap)}, a /${WIDEST_PREFIX[family]}) and ${SINGLE_HOST_ALLOWANCE.toLocaleString("en-US")} single hosts for servers and resolvers; the VPN is meant to carry the Internet`,
      };
    }
  }
  return null;
}
