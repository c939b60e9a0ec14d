/**
 * Probes taken from the rules themselves: for every outbound pass that names a destination, one packet out of
 * each physical link to it, on the rule's protocol and port. The policy's own probes only try the places the
 * policy names, so a pass to some other host (an attacker's server on udp 1194, say) would go unseen without
 * these.
 */
import { familyOf } from "../address/ip";
import type { NetworkState } from "../network/state";
import type { Packet } from "./evaluate";
import { EPHEMERAL, tcp, udp } from "./probe-packets";
import type { ParsedRuleset } from "./parse-rules";

const TCP = 6;
const UDP = 17;

/** One packet per (outbound pass with a destination address, physical link), as the rule would let it go. */
export function ruleDestinationPackets(parsed: ParsedRuleset, network: NetworkState): Packet[] {
  const packets: Packet[] = [];
  const seen = new Set<string>();
  for (const rule of parsed.rules) {
    if (rule.action !== "pass" || rule.direction === "in") continue;
    const to = rule.to.address;
    if (to.kind !== "cidr" || to.negated) continue;
    if (rule.protocol !== null && rule.protocol !== TCP && rule.protocol !== UDP) continue;
    const destination = to.cidr.address;
    const v6 = familyOf(destination) === "inet6";
    for (const link of network.physical) {
      if (rule.interface && (rule.interface.negated || rule.interface.name !== link.name)) continue;
      const source = v6 ? link.ipv6.find((a) => !/^fe[89ab]/i.test(a)) : link.ipv4[0];
      if (!source) continue;
      const port = rule.to.port?.low ?? 443;
      const sourcePort = rule.from.port?.low ?? EPHEMERAL;
      const packet =
        rule.protocol === UDP
          ? udp("out", link.name, source, destination, port, sourcePort)
          : tcp("out", link.name, source, destination, port, sourcePort, "S");
      const key = `${packet.interface} ${packet.protocol} ${destination} ${port} ${sourcePort}`;
      if (seen.has(key)) continue;
      seen.add(key);
      packets.push(packet);
    }
  }
  return packets;
}
