/**
 * Decides one packet the way pf's filter does, from parsed rules (parse-rules.ts).
 *
 * Modelled: rules in order, last match wins, `quick` ends evaluation at once (also inside an anchor
 * block, as in xnu's pf.c), pass when nothing matches; direction, exact interface names (macOS pf has no
 * interface groups: `on utun` matches only an interface literally named `utun`), address family,
 * protocol, addresses and networks, `!` negation, tables (longest prefix wins, `!` entries exclude),
 * every port operator, TCP flags (`flags S/SA`: a TCP packet that is not an initial SYN does not match),
 * ICMP/ICMPv6 type and code, and one level of inline `anchor "x" ... { }` blocks gated by the anchor's match.
 *
 * Translation first, as xnu's pf_test_rule does: outbound binat then nat, inbound rdr then binat, first
 * match of each; `no nat` and the like translate nothing. A matching rule with `pass` passes the packet
 * without any filter rule; otherwise the filter rules see the translated addresses and ports.
 *
 * Left out: the state table (a packet of an existing connection is judged as if no state existed, which is
 * what happens to connections older than the rules), fragments and `scrub` (`fragment` rules never match),
 * anchors referenced by name (their rules are not in the text) and nesting
 * beyond one level, routes (`no-route` never matches), skip steps (the walk is linear; `walked` counts every
 * rule looked at), `set block-policy` (a bare `block` drops), tags, users and groups (the parser rejects them).
 */
import { type AddressFamily, type Cidr, addressToBigInt, familyOf, stripZone } from "../address/ip";
import {
  type AddressMatch,
  type Direction,
  PROTOCOL_NUMBERS,
  type ParsedRuleset,
  type PfRule,
  type PfTable,
  type PortMatch,
  type RuleHost,
  type RuleMatch,
  type TranslationRule,
  parseTcpFlags,
  translatedSourcePorts,
} from "./parse-rules";

export interface Packet {
  direction: Direction;
  interface: string;
  family: AddressFamily;
  /** `tcp`, `udp`, `icmp`, `icmp6`, `esp`, ... or a protocol number. */
  protocol: string;
  source: string;
  destination: string;
  sourcePort?: number;
  destinationPort?: number;
  icmpType?: number;
  icmpCode?: number;
  /** TCP flag letters (`S`, `SA`, `A`, `FA`); a new connection's `S` when omitted. */
  tcpFlags?: string;
}

export interface Evaluation {
  action: "pass" | "block";
  /** The deciding filter rule; null when no rule matched (pf passes) or a translation rule with `pass` did. */
  rule: PfRule | null;
  /** The translation rule that matched first (a `pass` one decides alone), null when none did. */
  translation: TranslationRule | null;
  /** The packet as the filter rules saw it, when a translation rule rewrote it. */
  translated: Packet | null;
  /** True when a `quick` rule decided: nothing after this ruleset can change the verdict. */
  quick: boolean;
  /** A blocked packet is answered (TCP RST / ICMP unreachable) rather than silently dropped. */
  returns: boolean;
  /** How many rules (and anchor blocks) were looked at. */
  walked: number;
}

const TCP = PROTOCOL_NUMBERS.tcp;
const UDP = PROTOCOL_NUMBERS.udp;
const ICMP = PROTOCOL_NUMBERS.icmp;
const ICMP6 = PROTOCOL_NUMBERS.icmp6;

/** The protocol number of a packet's `protocol` (name or number); null when unknown. */
export function protocolNumber(protocol: string): number | null {
  if (/^\d+$/.test(protocol)) {
    const number = Number(protocol);
    return number <= 255 ? number : null;
  }
  return PROTOCOL_NUMBERS[protocol.toLowerCase()] ?? null;
}

interface PreparedPacket {
  packet: Packet;
  protocol: number;
  source: bigint;
  destination: bigint;
  flags: number;
}

const BITS: Readonly<Record<AddressFamily, bigint>> = { inet: 32n, inet6: 128n };

/** A network as the integers a packet's address is compared with, computed once per rule. */
const networks = new WeakMap<Cidr, { shift: bigint; base: bigint }>();
function networkOf(cidr: Cidr): { shift: bigint; base: bigint } {
  let found = networks.get(cidr);
  if (!found) {
    const shift = BITS[cidr.family] - BigInt(cidr.prefix);
    found = { shift, base: addressToBigInt(cidr.address) >> shift };
    networks.set(cidr, found);
  }
  return found;
}

/** Whether `address` (of the packet's family) lies in `cidr`. */
function inNetwork(cidr: Cidr, family: AddressFamily, address: bigint): boolean {
  if (cidr.family !== family) return false;
  const { shift, base } = networkOf(cidr);
  return address >> shift === base;
}

function prepare(packet: Packet): PreparedPacket {
  const protocol = protocolNumber(packet.protocol);
  if (protocol === null) throw new Error(`unknown protocol ${JSON.stringify(packet.protocol)}`);
  const source = stripZone(packet.source);
  const destination = stripZone(packet.destination);
  for (const [field, address] of [
    ["source", source],
    ["destination", destination],
  ] as const) {
    if (familyOf(address) !== packet.family) {
      throw new Error(
        `${field} ${JSON.stringify(packet[field])} is not an ${packet.family === "inet" ? "IPv4" : "IPv6"} address`,
      );
    }
  }
  const flags = parseTcpFlags(packet.tcpFlags ?? "S");
  if (flags === null) throw new Error(`tcpFlags ${JSON.stringify(packet.tcpFlags)} are not TCP flag letters`);
  return { packet, protocol, source: addressToBigInt(source), destination: addressToBigInt(destination), flags };
}

function portMatches(match: PortMatch, port: number): boolean {
  switch (match.op) {
    case "=":
      return port === match.low;
    case "!=":
      return port !== match.low;
    case "<":
      return port < match.low;
    case "<=":
      return port <= match.low;
    case ">":
      return port > match.low;
    case ">=":
      return port >= match.low;
    case ":":
      return port >= match.low && port <= match.high;
    case "><":
      return port > match.low && port < match.high;
    case "<>":
      return port < match.low || port > match.high;
  }
}

/** The address of `target` under its prefix, and `address`'s own bits beyond it (pf's PF_POOLMASK). */
function poolMask(target: Cidr, address: bigint): bigint {
  const hostBits = BITS[target.family] - BigInt(target.prefix);
  const hostMask = (1n << hostBits) - 1n;
  return ((addressToBigInt(target.address) >> hostBits) << hostBits) | (address & hostMask);
}

function bigIntToAddress(value: bigint, family: AddressFamily): string {
  if (family === "inet") return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join(".");
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** pf_get_translation's order: binat then nat going out, rdr then binat coming in; a `no` rule ends its kind. */
function matchTranslation(
  translations: TranslationRule[],
  p: PreparedPacket,
  tables: Map<string, PfTable>,
): { rule: TranslationRule | null; walked: number } {
  const order: TranslationRule["kind"][] = p.packet.direction === "out" ? ["binat", "nat"] : ["rdr", "binat"];
  let walked = 0;
  for (const kind of order) {
    for (const rule of translations) {
      if (rule.kind !== kind) continue;
      walked++;
      const match = kind === "binat" && p.packet.direction === "in" ? rule.inbound : rule;
      if (!match || !ruleMatches(match, p, tables)) continue;
      if (!rule.negated) return { rule, walked };
      break;
    }
  }
  return { rule: null, walked };
}

/** The packet after a (non-`no`) translation rule: nat/binat out rewrite the source, rdr/binat in the destination. */
function translatePacket(rule: TranslationRule, p: PreparedPacket): PreparedPacket {
  const target = rule.target as NonNullable<TranslationRule["target"]>;
  const family = p.packet.family;
  const ports = p.protocol === TCP || p.protocol === UDP;
  if (p.packet.direction === "out") {
    const source = target.bitmask ? poolMask(target.cidr, p.source) : addressToBigInt(target.cidr.address);
    // Any port of the range pf picks from gives the same verdict: the parser refuses rules where it would not.
    const picked = translatedSourcePorts(rule);
    const sourcePort = ports && picked ? picked.low : p.packet.sourcePort;
    return {
      ...p,
      source,
      packet: { ...p.packet, source: bigIntToAddress(source, family), sourcePort },
    };
  }
  const mapTo = rule.kind === "binat" && rule.from.address.kind === "cidr" ? rule.from.address.cidr : target.cidr;
  const bitmask = rule.kind === "binat" || target.bitmask;
  const destination = bitmask ? poolMask(mapTo, p.destination) : addressToBigInt(mapTo.address);
  let destinationPort = p.packet.destinationPort;
  if (ports && target.port && destinationPort !== undefined) {
    const { low, high } = target.port;
    const from = rule.to.port && rule.to.port.op === ":" ? rule.to.port.low : destinationPort;
    destinationPort = high > low ? low + ((destinationPort - from) % (high - low + 1)) : low;
  }
  return {
    ...p,
    destination,
    packet: { ...p.packet, destination: bigIntToAddress(destination, family), destinationPort },
  };
}

/** Longest-prefix match as pf's radix tables do; a best match on a `!` entry means "not in the table". */
function tableContains(table: PfTable | undefined, family: AddressFamily, address: bigint): boolean {
  if (!table) return false;
  let best: { prefix: number; negated: boolean } | null = null;
  for (const entry of table.entries) {
    if (inNetwork(entry.cidr, family, address) && (!best || entry.cidr.prefix > best.prefix)) {
      best = { prefix: entry.cidr.prefix, negated: entry.negated };
    }
  }
  return best !== null && !best.negated;
}

function addressMatches(
  match: AddressMatch,
  family: AddressFamily,
  address: bigint,
  tables: Map<string, PfTable>,
): boolean {
  switch (match.kind) {
    case "any":
      return true;
    case "cidr":
      return inNetwork(match.cidr, family, address) !== match.negated;
    case "table":
      return tableContains(tables.get(match.table), family, address) !== match.negated;
    case "no-route":
      return match.negated;
  }
}

function hostMatches(
  host: RuleHost,
  address: bigint,
  port: number | undefined,
  p: PreparedPacket,
  tables: Map<string, PfTable>,
) {
  if (!addressMatches(host.address, p.packet.family, address, tables)) return false;
  if (!host.port) return true;
  // Port conditions only ever match TCP and UDP.
  if (p.protocol !== TCP && p.protocol !== UDP) return false;
  return port !== undefined && portMatches(host.port, port);
}

function ruleMatches(rule: RuleMatch, p: PreparedPacket, tables: Map<string, PfTable>): boolean {
  const { packet } = p;
  if (rule.direction && rule.direction !== packet.direction) return false;
  if (rule.interface && (rule.interface.name === packet.interface) === rule.interface.negated) return false;
  if (rule.family && rule.family !== packet.family) return false;
  if (rule.protocol !== null && rule.protocol !== p.protocol) return false;
  if (rule.fragment) return false;
  if (!hostMatches(rule.from, p.source, packet.sourcePort, p, tables)) return false;
  if (!hostMatches(rule.to, p.destination, packet.destinationPort, p, tables)) return false;
  if (rule.flags && p.protocol === TCP && (p.flags & rule.flags.mask) !== rule.flags.set) return false;
  if (rule.icmpType !== null) {
    if (p.protocol !== ICMP && p.protocol !== ICMP6) return false;
    if (packet.icmpType !== rule.icmpType) return false;
    if (rule.icmpCode !== null && (packet.icmpCode ?? 0) !== rule.icmpCode) return false;
  }
  return true;
}

function returns(rule: PfRule, protocol: number): boolean {
  switch (rule.blockPolicy) {
    case "return":
    case "return-icmp":
      return true;
    case "return-rst":
      return protocol === TCP;
    default:
      return false;
  }
}

export type PacketEvaluator = (packet: Packet) => Evaluation;

/** A rule that can only match packets to one host: where the index files it. */
function hostKey(rule: PfRule): string | null {
  const to = rule.to.address;
  if (to.kind !== "cidr" || to.negated || to.cidr.prefix !== (to.cidr.family === "inet" ? 32 : 128)) return null;
  return `${to.cidr.family}|${addressToBigInt(to.cidr.address)}`;
}

/**
 * Prepares the tables once; the returned function decides packets (throws on a malformed packet). Rules are
 * walked in order as pf does; without anchor blocks, rules that name one destination host are filed under it,
 * so a packet is only compared with the rules that can match it (a thousand exceptions stay cheap) while the
 * verdict and `walked` come out as the linear walk gives them.
 */
export function createEvaluator(
  ruleset: Pick<ParsedRuleset, "rules" | "tables"> & Partial<Pick<ParsedRuleset, "translations">>,
): PacketEvaluator {
  const tables = new Map(ruleset.tables.map((table) => [table.name, table]));
  const rules = ruleset.rules;
  const translations = ruleset.translations ?? [];
  const filter = createFilterEvaluator(rules, tables);
  return (packet) => {
    const original = prepare(packet);
    const { rule: translation, walked } = matchTranslation(translations, original, tables);
    if (translation?.pass) {
      // xnu pf.c: a translation rule with `pass` leaves no filter rule to walk; the packet passes with state.
      return { action: "pass", rule: null, translation, translated: null, quick: true, returns: false, walked };
    }
    const p = translation ? translatePacket(translation, original) : original;
    const evaluation = filter(p);
    return {
      ...evaluation,
      translation,
      translated: translation ? p.packet : null,
      walked: evaluation.walked + walked,
    };
  };
}

type FilterEvaluation = Omit<Evaluation, "translation" | "translated">;

/** The filter rules' walk for a packet as translation left it. */
function createFilterEvaluator(rules: PfRule[], tables: Map<string, PfTable>): (p: PreparedPacket) => FilterEvaluation {
  const decide = (decided: PfRule | null, walked: number, protocol: number): FilterEvaluation => {
    if (!decided) return { action: "pass", rule: null, quick: false, returns: false, walked };
    return {
      action: decided.action,
      rule: decided,
      quick: decided.quick,
      returns: decided.action === "block" && returns(decided, protocol),
      walked,
    };
  };

  if (rules.some((rule) => rule.anchor)) {
    return (p) => {
      let decided: PfRule | null = null;
      let walked = 0;
      let index = 0;
      while (index < rules.length) {
        const rule = rules[index];
        const block = rule.anchor;
        if (block && (index === 0 || rules[index - 1].anchor !== block)) {
          walked++;
          if (!ruleMatches(block.gate, p, tables)) {
            while (index < rules.length && rules[index].anchor === block) index++;
            continue;
          }
        }
        walked++;
        index++;
        if (!ruleMatches(rule, p, tables)) continue;
        decided = rule;
        if (rule.quick) break;
      }
      return decide(decided, walked, p.protocol);
    };
  }

  const general: number[] = [];
  const byHost = new Map<string, number[]>();
  rules.forEach((rule, index) => {
    const key = hostKey(rule);
    if (key === null) general.push(index);
    else byHost.set(key, [...(byHost.get(key) ?? []), index]);
  });
  return (p) => {
    const filed = byHost.get(`${p.packet.family}|${p.destination}`) ?? [];
    let decided: PfRule | null = null;
    let decidedAt = -1;
    // The two sorted lists, merged: the candidates in rule order.
    for (let g = 0, h = 0; g < general.length || h < filed.length;) {
      const index = h >= filed.length || (g < general.length && general[g] < filed[h]) ? general[g++] : filed[h++];
      const rule = rules[index];
      if (!ruleMatches(rule, p, tables)) continue;
      decided = rule;
      decidedAt = index;
      if (rule.quick) break;
    }
    // pf's walk stops at a quick match and otherwise looks at every rule.
    return decide(decided, decided?.quick ? decidedAt + 1 : rules.length, p.protocol);
  };
}

/** The line that decided: the filter rule, or the translation rule with `pass`; null when none did. */
export function decidingLine(evaluation: Evaluation): { line: number; text: string } | null {
  const rule = evaluation.rule ?? (evaluation.translation?.pass ? evaluation.translation : null);
  return rule ? { line: rule.line, text: rule.text } : null;
}

/** Decides one packet; for many packets over the same rules, `createEvaluator` once. */
export function evaluatePacket(
  ruleset: Pick<ParsedRuleset, "rules" | "tables"> & Partial<Pick<ParsedRuleset, "translations">>,
  packet: Packet,
): Evaluation {
  return createEvaluator(ruleset)(packet);
}

/** One line for people: `out en0 inet tcp 192.168.1.23:49152 -> 203.0.113.50:443`. */
export function describePacket(packet: Packet): string {
  const at = (address: string, port: number | undefined) =>
    port === undefined ? address : packet.family === "inet6" ? `[${address}]:${port}` : `${address}:${port}`;
  const icmp = packet.icmpType !== undefined ? ` type ${packet.icmpType}` : "";
  const flags =
    packet.protocol === "tcp" && packet.tcpFlags && packet.tcpFlags !== "S" ? ` flags ${packet.tcpFlags}` : "";
  return `${packet.direction} ${packet.interface} ${packet.family} ${packet.protocol}${icmp} ${at(packet.source, packet.sourcePort)} -> ${at(packet.destination, packet.destinationPort)}${flags}`;
}
