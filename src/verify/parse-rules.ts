/**
 * Reads pf rule text: what our builder writes, and what macOS pfctl prints back (`pfctl -a NAME -sr`,
 * `-vv -sr` with `@N` numbers and counter lines, `-s all` with its section titles), so one evaluator can
 * judge both. The grammar is the OpenBSD 4.x one macOS pfctl speaks.
 *
 * Every line is accounted for: a filter rule (expanded like pfctl expands `{ }` lists), a translation rule
 * (nat, rdr, binat: with `pass` its packets skip the filter rules, so it decides as much as a filter rule),
 * a table, a line that is known but decides no packet here (anchor calls, scrub, options, pfctl's own
 * messages and counters), or an error naming the line and why. Nothing is skipped silently.
 */
import { type AddressFamily, type Cidr, familyOf, parseCidr } from "../address/ip";

export type Direction = "in" | "out";

/** pf's port operators; `:` is an inclusive range, `><` excludes its ends, `<>` is everything outside. */
export type PortOperator = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":" | "><" | "<>";

export interface PortMatch {
  op: PortOperator;
  low: number;
  /** Same as `low` for single-value operators. */
  high: number;
}

export type AddressMatch =
  | { kind: "any" }
  | { kind: "cidr"; cidr: Cidr; negated: boolean }
  | { kind: "table"; table: string; negated: boolean }
  /** Addresses with no route: the evaluator cannot know routes, so it never matches (see evaluate.ts). */
  | { kind: "no-route"; negated: boolean };

export interface RuleHost {
  address: AddressMatch;
  port: PortMatch | null;
}

/** `flags S/SA`: the TCP flags in `mask` must equal `set`. */
export interface TcpFlagMatch {
  set: number;
  mask: number;
}

export type BlockPolicy = "drop" | "return" | "return-rst" | "return-icmp";
export type StatePolicy = "keep" | "modulate" | "synproxy" | "none";

/** What a packet must look like for a rule (or an anchor's `{ }` block) to apply. */
export interface RuleMatch {
  direction: Direction | null;
  interface: { name: string; negated: boolean } | null;
  family: AddressFamily | null;
  /** IP protocol number, or null for any. */
  protocol: number | null;
  from: RuleHost;
  to: RuleHost;
  /** Null: any flags (non-TCP rules, `flags any`, `no state`). */
  flags: TcpFlagMatch | null;
  icmpType: number | null;
  icmpCode: number | null;
  /** `fragment`: matches fragments only, which the evaluator does not model. */
  fragment: boolean;
}

/** An `anchor "name" ... {` block printed inline by pfctl: its rules apply only when its own match does. */
export interface AnchorBlock {
  name: string;
  line: number;
  text: string;
  gate: RuleMatch;
}

export interface PfRule extends RuleMatch {
  /** 1-based line in the text. */
  line: number;
  /** The line as written (trimmed); several rules share it when a `{ }` list was expanded. */
  text: string;
  /** pfctl's `@N` rule number, when printed. */
  number: number | null;
  action: "pass" | "block";
  /** Block rules only: `block return` answers with RST / ICMP unreachable, `drop` stays silent. */
  blockPolicy: BlockPolicy | null;
  quick: boolean;
  log: boolean;
  state: StatePolicy;
  /**
   * Where the rule's states match: `floating` (pf's default) on any interface, `if-bound` only on the one
   * the state was made on. Null for rules that keep no state.
   */
  stateBinding: StateBinding | null;
  label: string | null;
  anchor: AnchorBlock | null;
}

export type StateBinding = "floating" | "if-bound";

export type TranslationKind = "nat" | "rdr" | "binat";

/** Where a translation rule sends a packet: `-> ADDRESS [port P[:Q]] [bitmask] [static-port]`. */
export interface TranslationTarget {
  cidr: Cidr;
  /** The address is the target's bits under its prefix and the packet's own bits beyond (binat, `bitmask`). */
  bitmask: boolean;
  /** nat: the new source port; rdr: the new destination port (a range maps the matched ports onto it). */
  port: { low: number; high: number } | null;
  /** nat: the source port is kept as it is. */
  staticPort: boolean;
}

/**
 * A nat, rdr or binat rule: pf looks at these before the filter rules, outbound binat then nat, inbound
 * rdr then binat, the first match of each kind deciding. `no nat` (and `no rdr`, `no binat`) matches and
 * translates nothing; with `pass` the packet skips the filter rules (xnu pf.c: a translation rule with
 * `natpass` sets the filter walk's first rule to none) and creates state.
 */
export interface TranslationRule extends RuleMatch {
  line: number;
  text: string;
  number: number | null;
  kind: TranslationKind;
  /** `no nat`, `no rdr`, `no binat`. */
  negated: boolean;
  pass: boolean;
  /** Null for `no` rules. */
  target: TranslationTarget | null;
  /** binat only: what an inbound packet must look like (from the rule's `to`, to the target). */
  inbound: RuleMatch | null;
}

export interface TableEntry {
  cidr: Cidr;
  negated: boolean;
}

export interface PfTable {
  name: string;
  line: number;
  entries: TableEntry[];
  options: string[];
}

/** Lines that are understood but decide no packet here. */
export type OtherLineKind =
  | "anchor"
  | "load-anchor"
  | "include"
  | "scrub"
  | "translation"
  | "dummynet"
  | "queue"
  | "option"
  | "counter"
  | "pfctl-message"
  | "section"
  | "not-rules";

export interface OtherLine {
  line: number;
  kind: OtherLineKind;
  text: string;
}

export interface ParseError {
  line: number;
  text: string;
  reason: string;
}

export interface ParsedRuleset {
  rules: PfRule[];
  translations: TranslationRule[];
  tables: PfTable[];
  others: OtherLine[];
  errors: ParseError[];
  endsWithNewline: boolean;
}

/** Protocol names pfctl takes from /etc/protocols (the ones a Mac's rules use), and their numbers. */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  ipencap: 4,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  gre: 47,
  esp: 50,
  ah: 51,
  icmp6: 58,
  "ipv6-icmp": 58,
  pim: 103,
  carp: 112,
  sctp: 132,
};

/** Service names pfctl prints (getservbyport) for the ports the kill switch uses. */
export const SERVICE_PORTS: Readonly<Record<string, number>> = {
  echo: 7,
  ftp: 21,
  ssh: 22,
  smtp: 25,
  http: 80,
  www: 80,
  https: 443,
  domain: 53,
  "domain-s": 853,
  bootps: 67,
  bootpc: 68,
  isakmp: 500,
  "dhcpv6-client": 546,
  "dhcpv6-server": 547,
  ipp: 631,
  openvpn: 1194,
  "ipsec-msft": 4500,
  mdns: 5353,
};

/** ICMPv6 type names as pfctl prints them (pfctl_parser.c `icmp6_type`). */
export const ICMP6_TYPES: Readonly<Record<string, number>> = {
  unreach: 1,
  toobig: 2,
  timex: 3,
  paramprob: 4,
  echoreq: 128,
  echorep: 129,
  groupqry: 130,
  listqry: 130,
  grouprep: 131,
  listenrep: 131,
  groupterm: 132,
  listendone: 132,
  routersol: 133,
  routeradv: 134,
  neighbrsol: 135,
  neighbradv: 136,
  redir: 137,
  routrrenum: 138,
  wrureq: 139,
  fqdnreq: 139,
  niqry: 139,
  wrurep: 140,
  fqdnrep: 140,
  nirep: 140,
  listenrepv2: 143,
  mtraceresp: 200,
  mtrace: 201,
};

/** ICMP (IPv4) type names as pfctl prints them (pfctl_parser.c `icmp_type`). */
export const ICMP_TYPES: Readonly<Record<string, number>> = {
  echorep: 0,
  unreach: 3,
  squench: 4,
  redir: 5,
  althost: 6,
  echoreq: 8,
  routeradv: 9,
  routersol: 10,
  timex: 11,
  paramprob: 12,
  timereq: 13,
  timerep: 14,
  inforeq: 15,
  inforep: 16,
  maskreq: 17,
  maskrep: 18,
  trace: 30,
  dataconv: 31,
  mobredir: 32,
  "ipv6-where": 33,
  "ipv6-here": 34,
  mobregreq: 35,
  mobregrep: 36,
  skip: 39,
  photuris: 40,
};

const TCP_FLAG_BITS: Readonly<Record<string, number>> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, W: 128 };

/** Parses TCP flag letters (`S`, `SA`, `FSRPAUEW`); null when a letter is not a TCP flag. */
export function parseTcpFlags(letters: string): number | null {
  let bits = 0;
  for (const letter of letters) {
    const bit = TCP_FLAG_BITS[letter];
    if (bit === undefined) return null;
    bits |= bit;
  }
  return bits;
}

/** Keywords of later OpenBSD pf that macOS pfctl (OpenBSD 4.x grammar) rejects; the linter names them too. */
export const NEWER_PF_KEYWORDS: Readonly<Record<string, string>> = {
  match: "`match` rules (OpenBSD 4.6+)",
  "received-on": "`received-on` (OpenBSD 5.x)",
  prio: "`prio` (OpenBSD 5.0+)",
  "af-to": "`af-to` (OpenBSD 5.1+)",
  "divert-to": "`divert-to` (OpenBSD 4.4+)",
  "divert-reply": "`divert-reply` (OpenBSD 4.4+)",
  "divert-packet": "`divert-packet` (OpenBSD 4.7+)",
  "nat-to": "`nat-to` (OpenBSD 4.7+)",
  "rdr-to": "`rdr-to` (OpenBSD 4.7+)",
  "binat-to": "`binat-to` (OpenBSD 4.7+)",
  once: "`once` (OpenBSD 5.0+)",
  "max-pkt-rate": "`max-pkt-rate` (OpenBSD 6.2+)",
  "set-prio": "`set prio` (OpenBSD 5.0+)",
  rdomain: "`rdomain` (OpenBSD 4.9+)",
  sloppy: "`sloppy` state (OpenBSD 4.5+)",
  ether: "`ether` rules (FreeBSD 13.3+)",
};

class RuleSyntaxError extends Error {}

const fail = (reason: string): never => {
  throw new RuleSyntaxError(reason);
};

// ---------------------------------------------------------------------------------------------------------
// Tokens

const TOKEN =
  /\s*(?:("(?:[^"\\]|\\.)*")|(<[A-Za-z_][\w.-]*(?::(?:\d+|\*))?>)|(!=|<=|>=|><|<>|[{}(),!<>=])|([A-Za-z0-9_.:/%*@+-]+)|(\S))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const match = TOKEN.exec(text);
    if (!match) break;
    const token = match[1] ?? match[2] ?? match[3] ?? match[4] ?? match[5];
    if (token === undefined) break;
    if (match[5] !== undefined) {
      fail(
        token === "$"
          ? "macros ($name) are not expanded; give the value itself"
          : `unexpected character ${JSON.stringify(token)}`,
      );
    }
    tokens.push(token);
  }
  return tokens;
}

class Tokens {
  private index = 0;
  constructor(private readonly items: string[]) {}
  peek(offset = 0): string | undefined {
    return this.items[this.index + offset];
  }
  next(): string | undefined {
    return this.items[this.index++];
  }
  done(): boolean {
    return this.index >= this.items.length;
  }
  accept(word: string): boolean {
    if (this.peek() !== word) return false;
    this.index++;
    return true;
  }
  expect(what: string): string {
    const token = this.next();
    if (token === undefined) fail(`${what} expected at the end of the line`);
    return token as string;
  }
}

/** Reads `item` or `{ item, item ... }` (commas optional, as in pf.conf). */
function readList<T>(tokens: Tokens, readItem: (tokens: Tokens) => T, what: string): T[] {
  if (!tokens.accept("{")) return [readItem(tokens)];
  const items: T[] = [];
  while (!tokens.accept("}")) {
    if (tokens.done()) fail(`"}" missing to close the list of ${what}`);
    if (tokens.accept(",")) continue;
    items.push(readItem(tokens));
  }
  if (items.length === 0) fail(`empty list of ${what}`);
  return items;
}

/** Skips a parenthesised option list such as `keep state (max 100)`; returns its text. */
function skipParens(tokens: Tokens): string {
  if (!tokens.accept("(")) return "";
  const words: string[] = [];
  let depth = 1;
  while (depth > 0) {
    const token = tokens.next();
    if (token === undefined) fail('")" missing');
    if (token === "(") depth++;
    else if (token === ")") depth--;
    if (depth > 0) words.push(token as string);
  }
  return words.join(" ");
}

// ---------------------------------------------------------------------------------------------------------
// Values

function parseNumber(text: string, min: number, max: number, what: string): number {
  if (!/^\d+$/.test(text)) fail(`${what} ${JSON.stringify(text)} is not a number`);
  const value = Number(text);
  if (value < min || value > max) fail(`${what} ${value} is out of range (${min}-${max})`);
  return value;
}

function parsePortValue(text: string): number {
  if (/^\d+$/.test(text)) return parseNumber(text, 0, 65535, "port");
  const port = SERVICE_PORTS[text];
  if (port === undefined) fail(`unknown service name ${JSON.stringify(text)} (give the port number)`);
  return port as number;
}

function parseProtocol(text: string): number {
  if (/^\d+$/.test(text)) return parseNumber(text, 0, 255, "protocol");
  const number = PROTOCOL_NUMBERS[text.toLowerCase()];
  if (number === undefined) fail(`unknown protocol ${JSON.stringify(text)}`);
  return number as number;
}

/** pf accepts abbreviated IPv4 networks (`10/8`, `172.16/12`); they mean the zero-padded address. */
function expandShortIpv4(text: string): string {
  const [address, prefix] = text.split("/");
  if (prefix === undefined || !/^\d{1,3}(\.\d{1,3}){0,2}$/.test(address)) return text;
  const parts = address.split(".");
  while (parts.length < 4) parts.push("0");
  return `${parts.join(".")}/${prefix}`;
}

function parseAddress(text: string): Cidr {
  const cidr = parseCidr(expandShortIpv4(text));
  if (cidr) return cidr;
  const bare = text.split("/")[0];
  if (familyOf(bare) && bare.includes("%"))
    fail(`address ${JSON.stringify(text)} has a scope (%if), which pf rules do not take`);
  if (/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/i.test(bare) && !/^[a-z]+\d+$/i.test(bare)) {
    fail(`host name ${JSON.stringify(text)} is resolved by pfctl when loading; give addresses`);
  }
  return fail(`${JSON.stringify(text)} is not an address or network`);
}

const tableName = (token: string) => token.slice(1, -1).replace(/:(\d+|\*)$/, "");
const isTable = (token: string | undefined) => token !== undefined && /^<[^>]+>$/.test(token);

function readHostItem(tokens: Tokens): AddressMatch {
  const negated = tokens.accept("!");
  const token = tokens.expect("address");
  if (token === "{") fail("`! { ... }` is not pf syntax (negate each item inside the list)");
  if (token === "any") {
    if (negated) fail("`! any` matches nothing");
    return { kind: "any" };
  }
  if (token === "no-route") return { kind: "no-route", negated };
  if (isTable(token)) return { kind: "table", table: tableName(token), negated };
  if (token === "self") return fail("`self` is expanded by pfctl to this machine's addresses; give addresses");
  if (token === "(") return fail("dynamic interface addresses such as (en0) are not modelled");
  if (token === "urpf-failed") return fail("`urpf-failed` is not modelled");
  return { kind: "cidr", cidr: parseAddress(token), negated };
}

function readHosts(tokens: Tokens): AddressMatch[] {
  if (tokens.peek() === "{") return readList(tokens, readHostItem, "addresses");
  return [readHostItem(tokens)];
}

const PORT_OPERATORS = new Set(["=", "!=", "<", "<=", ">", ">="]);

function readPortItem(tokens: Tokens): PortMatch {
  const first = tokens.expect("port");
  if (PORT_OPERATORS.has(first)) {
    const value = parsePortValue(tokens.expect("port"));
    return { op: first as PortOperator, low: value, high: value };
  }
  if (/^[^:]+:[^:]+$/.test(first)) {
    const [low, high] = first.split(":").map(parsePortValue);
    return { op: ":", low, high };
  }
  const low = parsePortValue(first);
  const op = tokens.peek();
  if (op === "><" || op === "<>" || op === ":") {
    tokens.next();
    return { op, low, high: parsePortValue(tokens.expect("port")) };
  }
  return { op: "=", low, high: low };
}

function readPorts(tokens: Tokens): PortMatch[] {
  return readList(tokens, readPortItem, "ports");
}

function readIcmpType(tokens: Tokens, names: Readonly<Record<string, number>>, keyword: string): number {
  const token = tokens.expect(keyword);
  if (/^\d+$/.test(token)) return parseNumber(token, 0, 255, keyword);
  const type = names[token];
  if (type === undefined) fail(`unknown ${keyword} ${JSON.stringify(token)}`);
  return type as number;
}

// ---------------------------------------------------------------------------------------------------------
// Rules

/** One rule before pfctl's expansion: each field may hold a list. */
interface RuleTemplate {
  action: "pass" | "block" | "anchor" | "translation";
  anchorName: string | null;
  blockPolicy: BlockPolicy | null;
  direction: Direction | null;
  log: boolean;
  quick: boolean;
  interfaces: ({ name: string; negated: boolean } | null)[];
  family: AddressFamily | null;
  protocols: (number | null)[];
  fromHosts: AddressMatch[];
  fromPorts: (PortMatch | null)[];
  toHosts: AddressMatch[];
  toPorts: (PortMatch | null)[];
  flags: TcpFlagMatch | "any" | null;
  icmpTypes: ({ type: number; family: AddressFamily } | null)[];
  icmpCode: number | null;
  state: StatePolicy | null;
  stateBinding: StateBinding;
  label: string | null;
  fragment: boolean;
  opensBlock: boolean;
}

const NOT_MODELLED_OPTIONS: Readonly<Record<string, string>> = {
  user: "`user` matches a socket's owner, which the evaluator does not model",
  group: "`group` matches a socket's group, which the evaluator does not model",
  tagged: "`tagged` depends on tags set by other rules, which the evaluator does not model",
  os: "`os` fingerprints are not modelled",
  probability: "`probability` is not modelled",
  tos: "`tos` is not modelled",
  "route-to": "`route-to` is not modelled",
  "reply-to": "`reply-to` is not modelled",
  "dup-to": "`dup-to` is not modelled",
  fastroute: "`fastroute` is not modelled",
};

function readInterface(tokens: Tokens): { name: string; negated: boolean } {
  const negated = tokens.accept("!");
  const name = tokens.expect("interface");
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name)) fail(`${JSON.stringify(name)} is not an interface name`);
  return { name, negated };
}

function readBlockPolicy(tokens: Tokens): BlockPolicy {
  const word = tokens.peek();
  if (word === "drop") {
    tokens.next();
    return "drop";
  }
  if (word === "return") {
    tokens.next();
    return "return";
  }
  if (word === "return-rst") {
    tokens.next();
    skipParens(tokens);
    return "return-rst";
  }
  if (word === "return-icmp" || word === "return-icmp6") {
    tokens.next();
    skipParens(tokens);
    return "return-icmp";
  }
  // A bare `block` uses the ruleset's block-policy, which is `drop` unless `set block-policy` says otherwise.
  return "drop";
}

function newRuleTemplate(first: string): RuleTemplate {
  return {
    action: first === "anchor" || first === "translation" ? first : (first as "pass" | "block"),
    anchorName: null,
    blockPolicy: null,
    direction: null,
    log: false,
    quick: false,
    interfaces: [null],
    family: null,
    protocols: [null],
    fromHosts: [{ kind: "any" }],
    fromPorts: [null],
    toHosts: [{ kind: "any" }],
    toPorts: [null],
    flags: null,
    icmpTypes: [null],
    icmpCode: null,
    state: null,
    stateBinding: "floating",
    label: null,
    fragment: false,
    opensBlock: false,
  };
}

/** What comes before the addresses: action, anchor name, block policy, direction, log, quick, on, af, proto. */
function readRuleHead(tokens: Tokens, rule: RuleTemplate): void {
  if (rule.action === "anchor") {
    const name = tokens.peek();
    if (name !== undefined && /^"/.test(name)) rule.anchorName = JSON.parse(tokens.next() as string) as string;
    else if (
      name !== undefined &&
      /^[\w.*/-]+$/.test(name) &&
      !["in", "out", "on", "all", "from", "to"].includes(name)
    ) {
      rule.anchorName = tokens.next() as string;
    }
  }
  if (rule.action === "block") rule.blockPolicy = readBlockPolicy(tokens);

  if (tokens.accept("in")) rule.direction = "in";
  else if (tokens.accept("out")) rule.direction = "out";
  if (tokens.peek() === "log" || tokens.peek() === "log-all") {
    tokens.next();
    rule.log = true;
    skipParens(tokens);
  }
  if (tokens.accept("quick")) rule.quick = true;
  if (tokens.accept("on")) rule.interfaces = readList(tokens, readInterface, "interfaces");
  if (tokens.accept("inet")) rule.family = "inet";
  else if (tokens.accept("inet6")) rule.family = "inet6";
  if (tokens.accept("proto"))
    rule.protocols = readList(tokens, (t) => parseProtocol(t.expect("protocol")), "protocols");
}

/** `all`, or `from HOSTS [port PORTS] to HOSTS [port PORTS]`. */
function readRuleAddresses(tokens: Tokens, rule: RuleTemplate): void {
  if (tokens.accept("all")) {
    // from any to any
  } else {
    if (tokens.accept("from")) {
      rule.fromHosts = readHosts(tokens);
      if (tokens.accept("port")) rule.fromPorts = readPorts(tokens);
    }
    if (tokens.accept("to")) {
      rule.toHosts = readHosts(tokens);
      if (tokens.accept("port")) rule.toPorts = readPorts(tokens);
    }
  }
}

/** `flags S/SA`, `flags any`. */
function readFlagsOption(tokens: Tokens, rule: RuleTemplate): void {
  const value = tokens.expect("flags");
  if (value === "any") {
    rule.flags = "any";
    return;
  }
  const [setText, maskText] = value.includes("/") ? value.split("/") : [value, "FSRPAUEW"];
  const set = parseTcpFlags(setText);
  const mask = parseTcpFlags(maskText);
  if (set === null || mask === null) fail(`${JSON.stringify(value)} is not a TCP flag set such as S/SA`);
  rule.flags = { set: set as number, mask: mask as number };
}

/** `icmp-type echoreq`, `icmp6-type { 133, 134 } code 0`. */
function readIcmpTypeOption(tokens: Tokens, rule: RuleTemplate, word: "icmp-type" | "icmp6-type"): void {
  const family: AddressFamily = word === "icmp-type" ? "inet" : "inet6";
  const names = family === "inet" ? ICMP_TYPES : ICMP6_TYPES;
  rule.icmpTypes = readList(tokens, (t) => ({ type: readIcmpType(t, names, word), family }), word);
  if (tokens.accept("code")) rule.icmpCode = parseNumber(tokens.expect("code"), 0, 255, "icmp code");
}

/** `keep state`, `modulate state`, `synproxy state`, with options in parentheses (`(if-bound)`). */
function readStateOption(tokens: Tokens, rule: RuleTemplate, word: "keep" | "modulate" | "synproxy"): void {
  if (!tokens.accept("state")) fail(`"state" expected after "${word}"`);
  rule.state = word === "keep" ? "keep" : word;
  const options = skipParens(tokens);
  if (/\bsloppy\b/.test(options)) fail(`${NEWER_PF_KEYWORDS.sloppy} is not accepted by macOS pfctl`);
  if (/\bif-bound\b/.test(options)) rule.stateBinding = "if-bound";
}

/** The options after the addresses, up to the end of the rule (or the `{` of an anchor block). */
function readRuleOptions(tokens: Tokens, rule: RuleTemplate): void {
  while (!tokens.done()) {
    const word = tokens.next() as string;
    if (word === "{" && rule.action === "anchor" && tokens.done()) {
      rule.opensBlock = true;
      break;
    }
    switch (word) {
      case "flags":
        readFlagsOption(tokens, rule);
        break;
      case "icmp-type":
      case "icmp6-type":
        readIcmpTypeOption(tokens, rule, word);
        break;
      case "keep":
      case "modulate":
      case "synproxy":
        readStateOption(tokens, rule, word);
        break;
      case "no":
        if (tokens.accept("state")) rule.state = "none";
        else fail(`"state" expected after "no"`);
        break;
      case "label":
        rule.label = readQuoted(tokens, "label");
        break;
      case "tag":
        readQuotedOrWord(tokens, "tag");
        break;
      case "queue":
        if (tokens.peek() === "(") skipParens(tokens);
        else readQuotedOrWord(tokens, "queue");
        break;
      case "allow-opts":
      case "no-df":
      case "random-id":
        break;
      case "fragment":
        rule.fragment = true;
        break;
      case "min-ttl":
      case "max-mss":
      case "rtable":
        parseNumber(tokens.expect(word), 0, 65535, word);
        break;
      case "set":
        if (tokens.peek() === "prio") fail(`${NEWER_PF_KEYWORDS["set-prio"]} is not accepted by macOS pfctl`);
        fail(`"set ${tokens.peek() ?? ""}" inside a rule is not accepted by macOS pfctl`);
        break;
      default: {
        const newer = NEWER_PF_KEYWORDS[word];
        if (newer) fail(`${newer} is not accepted by macOS pfctl`);
        const notModelled = NOT_MODELLED_OPTIONS[word];
        if (notModelled) fail(notModelled);
        fail(`unexpected ${JSON.stringify(word)}`);
      }
    }
  }
}

function readRuleTemplate(tokens: Tokens, first: string): RuleTemplate {
  const rule = newRuleTemplate(first);
  readRuleHead(tokens, rule);
  readRuleAddresses(tokens, rule);
  readRuleOptions(tokens, rule);
  return rule;
}

function readQuoted(tokens: Tokens, what: string): string {
  const token = tokens.expect(what);
  if (!token.startsWith('"')) fail(`${what} must be a quoted string`);
  return JSON.parse(token) as string;
}

function readQuotedOrWord(tokens: Tokens, what: string): string {
  const token = tokens.expect(what);
  return token.startsWith('"') ? (JSON.parse(token) as string) : token;
}

const hostFamily = (host: AddressMatch): AddressFamily | null => (host.kind === "cidr" ? host.cidr.family : null);

/**
 * pfctl's expansion: one rule per combination of interface, protocol, source, source port, destination,
 * destination port and ICMP type, in that order; combinations whose address families disagree are dropped.
 */
function expandTemplate(template: RuleTemplate): { match: RuleMatch; state: StatePolicy }[] {
  const results: { match: RuleMatch; state: StatePolicy }[] = [];
  const state: StatePolicy = template.state ?? (template.action === "pass" ? "keep" : "none");
  for (const iface of template.interfaces)
    for (const protocol of template.protocols)
      for (const fromHost of template.fromHosts)
        for (const fromPort of template.fromPorts)
          for (const toHost of template.toHosts)
            for (const toPort of template.toPorts)
              for (const icmp of template.icmpTypes) {
                const families = [template.family, hostFamily(fromHost), hostFamily(toHost), icmp?.family ?? null];
                const known = families.filter((f): f is AddressFamily => f !== null);
                if (known.some((f) => f !== known[0])) continue;
                let flags: TcpFlagMatch | null = null;
                if (template.flags && template.flags !== "any") flags = template.flags;
                // pfctl's default for stateful pass rules: only a TCP SYN creates state (`flags S/SA keep state`).
                else if (template.flags === null && template.action === "pass" && state !== "none") {
                  if (protocol === null || protocol === PROTOCOL_NUMBERS.tcp) {
                    flags = { set: TCP_FLAG_BITS.S, mask: TCP_FLAG_BITS.S | TCP_FLAG_BITS.A };
                  }
                }
                results.push({
                  state,
                  match: {
                    direction: template.direction,
                    interface: iface,
                    family: known[0] ?? null,
                    protocol,
                    from: { address: fromHost, port: fromPort },
                    to: { address: toHost, port: toPort },
                    flags,
                    icmpType: icmp?.type ?? null,
                    icmpCode: template.icmpCode,
                    fragment: template.fragment,
                  },
                });
              }
  if (results.length === 0)
    fail("no combination of its addresses has one address family (pfctl: no valid combination)");
  return results;
}

// ---------------------------------------------------------------------------------------------------------
// Translation rules

/** `P`, `P:Q` or `P:*` after a translation target (`*`: as many ports as the rule's `to port` range). */
function readTargetPort(
  tokens: Tokens,
  kind: TranslationKind,
  toPort: PortMatch | null,
): { low: number; high: number } {
  const text = tokens.expect("port");
  const [lowText, highText] = text.split(":");
  const low = parsePortValue(lowText);
  if (highText === undefined) return { low, high: low };
  if (highText === "*") {
    if (kind !== "rdr" || !toPort || toPort.op !== ":") fail("`port N:*` needs an rdr rule with a port range");
    return { low, high: low + ((toPort as PortMatch).high - (toPort as PortMatch).low) };
  }
  return { low, high: parsePortValue(highText) };
}

const POOL_TYPES = new Set(["bitmask", "random", "source-hash", "round-robin"]);

/** `-> TARGET [port ...] [pool type] [sticky-address] [static-port]`, after the `->`. */
function readTranslationTarget(tokens: Tokens, kind: TranslationKind, toPort: PortMatch | null): TranslationTarget {
  const token = tokens.expect("translation address");
  if (token === "{") fail("a pool of several translation addresses is not modelled (which one pf picks)");
  if (token === "(") fail("translation to an interface's address, such as (en0), is not modelled");
  if (isTable(token)) fail("translation to a table's addresses is not modelled");
  const cidr = parseAddress(token);
  const target: TranslationTarget = { cidr, bitmask: kind === "binat", port: null, staticPort: false };
  let pool: string | null = null;
  while (!tokens.done()) {
    const word = tokens.next() as string;
    if (word === "port" && kind !== "binat") target.port = readTargetPort(tokens, kind, toPort);
    else if (POOL_TYPES.has(word) && kind !== "binat") {
      pool = word;
      // A hash key follows source-hash when one was given.
      if (
        word === "source-hash" &&
        tokens.peek() !== undefined &&
        /^(0x[0-9a-f]+|".*")$/i.test(tokens.peek() as string)
      )
        tokens.next();
    } else if (word === "sticky-address") continue;
    else if (word === "static-port" && kind === "nat") target.staticPort = true;
    else fail(`unexpected ${JSON.stringify(word)} after the translation address`);
  }
  const host = cidr.prefix === (cidr.family === "inet" ? 32 : 128);
  if (pool === "bitmask") target.bitmask = true;
  else if (!host && kind !== "binat")
    fail(`which address of ${token} pf picks${pool ? ` (${pool})` : ""} is not modelled; give one address or bitmask`);
  return target;
}

/** `[no] nat|rdr|binat [pass [log]] [on IF] [AF] [proto P] from ... to ... [tag T] [-> TARGET ...]`. */
function readTranslation(tokens: Tokens, kind: TranslationKind, negated: boolean, at: StatementAt): TranslationRule[] {
  const template = newRuleTemplate("translation");
  const pass = !negated && tokens.accept("pass");
  readRuleHead(tokens, template);
  if (template.direction !== null) fail(`${kind} rules take no direction (in/out)`);
  if (template.quick) fail(`${kind} rules take no "quick"`);
  readRuleAddresses(tokens, template);
  let target: TranslationTarget | null = null;
  while (!tokens.done()) {
    const word = tokens.next() as string;
    if (word === "tag") readQuotedOrWord(tokens, "tag");
    else if (word === "-" && tokens.accept(">")) {
      if (negated) fail(`"no ${kind}" takes no translation address`);
      if (template.toPorts.length > 1) fail("an rdr with a list of ports is not modelled");
      target = readTranslationTarget(tokens, kind, template.toPorts[0]);
    } else {
      const notModelled = NOT_MODELLED_OPTIONS[word];
      if (notModelled) fail(notModelled);
      const newer = NEWER_PF_KEYWORDS[word];
      if (newer) fail(`${newer} is not accepted by macOS pfctl`);
      fail(`unexpected ${JSON.stringify(word)}`);
    }
  }
  if (!negated && target === null) fail(`"->" and the translation address expected in a ${kind} rule`);
  if (kind === "binat" && template.protocols.length > 1) fail("a binat with a list of protocols is not modelled");
  const direction: Direction | null = kind === "nat" ? "out" : kind === "rdr" ? "in" : null;
  return expandTemplate(template).map(({ match }) => ({
    ...match,
    direction,
    line: at.line,
    text: at.text,
    number: at.number,
    kind,
    negated,
    pass,
    target,
    inbound:
      kind === "binat" && target
        ? {
            ...match,
            direction: "in",
            from: { address: match.to.address, port: null },
            to: { address: { kind: "cidr", cidr: target.cidr, negated: false }, port: null },
          }
        : null,
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Tables

function parseTable(tokens: Tokens, line: number): PfTable {
  const nameToken = tokens.expect("table name");
  if (!isTable(nameToken)) fail("table name must be written <name>");
  const table: PfTable = { name: tableName(nameToken), line, entries: [], options: [] };
  while (!tokens.done()) {
    const word = tokens.next() as string;
    if (word === "persist" || word === "const" || word === "counters") table.options.push(word);
    else if (word === "file") fail("tables read from a file are not modelled; list the addresses");
    else if (word === "{") {
      while (!tokens.accept("}")) {
        if (tokens.done()) fail(`"}" missing to close the table`);
        if (tokens.accept(",")) continue;
        const negated = tokens.accept("!");
        table.entries.push({ cidr: parseAddress(tokens.expect("address")), negated });
      }
    } else fail(`unexpected ${JSON.stringify(word)} in a table definition`);
  }
  return table;
}

// ---------------------------------------------------------------------------------------------------------
// Lines

/** Lines pfctl (or sudo) prints that are not rules. */
const PFCTL_MESSAGES = [
  /^No ALTQ support in kernel$/,
  /^ALTQ related functions disabled$/,
  /^pfctl: /,
  /^present in the main ruleset added by the system at startup\.$/,
  /^See \/etc\/pf\.conf for further details\.$/,
  /^Loaded \d+ passive OS fingerprints$/,
  /^Loading anchor \S+ from \S+$/,
  /^pf (enabled|disabled)$/,
  /^Token : \d+$/,
];

/** `pfctl -s all` section titles; only the rule sections hold rules. */
const SECTION =
  /^(FILTER RULES|TRANSLATION RULES|DUMMYNET RULES|ETHER RULES|LABEL COUNTERS|STATES|INFO|TIMEOUTS|LIMITS|OS FINGERPRINTS|TABLES|SOURCE TRACKING NODES|INTERFACES|ANCHORS|QUEUES):$/;
const RULE_SECTIONS = new Set(["FILTER RULES", "TRANSLATION RULES", "DUMMYNET RULES"]);

/** `-v`/`-vv` lines under a rule: `[ Evaluations: ... ]`, `[ Inserted: ... ]`, macOS's `[ Owner : nil ... ]`. */
const COUNTER = /^\[ .*\]$/;

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === "#" && !quoted) return line.slice(0, i);
  }
  return line;
}

/** Parses pf rule text; see the file header for what counts as understood. */
/** One statement as pf.conf reads it: continuation lines joined, its first line's number. */
interface LogicalLine {
  line: number;
  text: string;
}

/** The lines that say something: a line ending in a backslash continues on the next; blanks and comments go. */
function logicalLines(text: string): LogicalLine[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const result: LogicalLine[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    let raw = lines[index];
    while (/\\\s*$/.test(stripComment(raw)) && index + 1 < lines.length) {
      raw = stripComment(raw).replace(/\\\s*$/, " ") + lines[++index];
    }
    const trimmed = raw.trim();
    if (trimmed !== "" && !trimmed.startsWith("#")) result.push({ line, text: trimmed });
  }
  return result;
}

/** Where a statement is read: its line, its text and pfctl's `@N` number. */
interface StatementAt extends LogicalLine {
  number: number | null;
}

/** One statement, first word `first`, into `result`; `open` holds the inline anchor block it sits in. */
function readStatement(
  tokens: Tokens,
  first: string,
  at: StatementAt,
  result: ParsedRuleset,
  open: { anchor: AnchorBlock | null },
): void {
  const other = (kind: OtherLineKind) => result.others.push({ line: at.line, kind, text: at.text });
  if (first === "}") {
    if (!open.anchor) fail('"}" without an open anchor block');
    open.anchor = null;
    return;
  }
  switch (first) {
    case "pass":
    case "block": {
      const template = readRuleTemplate(tokens, first);
      for (const expanded of expandTemplate(template)) {
        result.rules.push({
          ...expanded.match,
          line: at.line,
          text: at.text,
          number: at.number,
          action: first,
          blockPolicy: template.blockPolicy,
          quick: template.quick,
          log: template.log,
          state: expanded.state,
          stateBinding: expanded.state === "none" ? null : template.stateBinding,
          label: template.label,
          anchor: open.anchor,
        });
      }
      break;
    }
    case "anchor": {
      const template = readRuleTemplate(tokens, first);
      if (template.opensBlock) {
        if (open.anchor) fail("anchors nested more than one level deep are not modelled");
        const [gate] = expandTemplate({ ...template, action: "block" });
        open.anchor = { name: template.anchorName ?? "", line: at.line, text: at.text, gate: gate.match };
      }
      other("anchor");
      break;
    }
    case "table":
      result.tables.push(parseTable(tokens, at.line));
      break;
    case "scrub":
    case "scrub-anchor":
      other("scrub");
      break;
    case "nat":
    case "rdr":
    case "binat":
      if (open.anchor) fail("a translation rule inside an anchor block is not modelled");
      result.translations.push(...readTranslation(tokens, first, false, at));
      break;
    case "nat-anchor":
    case "rdr-anchor":
    case "binat-anchor":
      // Its rules are not in the text, as for a filter `anchor` called by name.
      if (at.text.trimEnd().endsWith("{")) fail("inline translation anchor blocks are not modelled");
      other("translation");
      break;
    case "no": {
      const kind = tokens.next() ?? "";
      if (kind !== "nat" && kind !== "rdr" && kind !== "binat") fail(`unexpected "no ${kind}"`);
      if (open.anchor) fail("a translation rule inside an anchor block is not modelled");
      result.translations.push(...readTranslation(tokens, kind as TranslationKind, true, at));
      break;
    }
    case "dummynet":
    case "dummynet-anchor":
      other("dummynet");
      break;
    case "altq":
    case "queue":
      other("queue");
      break;
    case "load":
      if (tokens.peek() !== "anchor") fail('"anchor" expected after "load"');
      other("load-anchor");
      break;
    case "include":
      other("include");
      break;
    case "set":
      if (tokens.peek() === "prio") fail(`${NEWER_PF_KEYWORDS["set-prio"]} is not accepted by macOS pfctl`);
      other("option");
      break;
    default: {
      const newer = NEWER_PF_KEYWORDS[first];
      if (newer) fail(`${newer} is not accepted by macOS pfctl`);
      if (/^[A-Za-z_]\w*$/.test(first) && tokens.peek() === "=") fail("macro definitions are not expanded");
      fail(`not a pf rule: unknown keyword ${JSON.stringify(first)}`);
    }
  }
}

export function parsePfRules(text: string): ParsedRuleset {
  const result: ParsedRuleset = {
    rules: [],
    translations: [],
    tables: [],
    others: [],
    errors: [],
    endsWithNewline: text.length === 0 || text.endsWith("\n"),
  };
  let section: string | null = null;
  const open: { anchor: AnchorBlock | null } = { anchor: null };

  for (const { line, text: trimmed } of logicalLines(text)) {
    const other = (kind: OtherLineKind) => result.others.push({ line, kind, text: trimmed });
    if (PFCTL_MESSAGES.some((pattern) => pattern.test(trimmed))) {
      other("pfctl-message");
      continue;
    }
    const title = SECTION.exec(trimmed);
    if (title) {
      section = title[1];
      other("section");
      continue;
    }
    if (section !== null && !RULE_SECTIONS.has(section)) {
      other("not-rules");
      continue;
    }
    if (COUNTER.test(trimmed)) {
      other("counter");
      continue;
    }
    const body = stripComment(trimmed).trim();
    const numbered = /^@(\d+)\s+(.*)$/.exec(body);
    try {
      const tokens = new Tokens(tokenize(numbered ? numbered[2] : body));
      const first = tokens.next() as string;
      readStatement(
        tokens,
        first,
        { line, text: trimmed, number: numbered ? Number(numbered[1]) : null },
        result,
        open,
      );
    } catch (error) {
      if (!(error instanceof RuleSyntaxError)) throw error;
      result.errors.push({ line, text: trimmed, reason: error.message });
    }
  }
  if (open.anchor) {
    result.errors.push({
      line: open.anchor.line,
      text: open.anchor.text,
      reason: 'anchor block opened here is never closed with "}"',
    });
  }
  result.errors.push(...unknownSourcePortErrors(result));
  result.errors.sort((a, b) => a.line - b.line);
  return result;
}

/** pf's nat source ports when the rule gives none (xnu pfvar.h PF_NAT_PROXY_PORT_LOW/HIGH). */
const NAT_PORTS = { low: 50001, high: 65535 };

/**
 * The source ports a nat or outbound binat may give a TCP or UDP packet: null when it keeps the packet's own
 * (binat, `static-port`), else the range pf picks from (one port when the rule gives one).
 */
export function translatedSourcePorts(rule: TranslationRule): { low: number; high: number } | null {
  if (rule.kind !== "nat" || !rule.target || rule.target.staticPort) return null;
  const port = rule.target.port ?? NAT_PORTS;
  return { low: Math.min(port.low, port.high), high: Math.max(port.low, port.high) };
}

/** The ports a port condition matches, as inclusive ranges. */
function portRanges(match: PortMatch): [number, number][] {
  const { op, low, high } = match;
  const ranges: Record<PortOperator, [number, number][]> = {
    "=": [[low, low]],
    "!=": [
      [0, low - 1],
      [low + 1, 65535],
    ],
    "<": [[0, low - 1]],
    "<=": [[0, low]],
    ">": [[low + 1, 65535]],
    ">=": [[low, 65535]],
    ":": [[low, high]],
    "><": [[low + 1, high - 1]],
    "<>": [
      [0, low - 1],
      [high + 1, 65535],
    ],
  };
  return ranges[op].filter(([a, b]) => a <= b);
}

/**
 * A nat that lets pf pick the source port leaves the filter rules a port nobody can know: when a filter rule's
 * source-port condition matches some of the ports pf may pick and not others, the verdict is not modelled.
 */
function unknownSourcePortErrors(result: ParsedRuleset): ParseError[] {
  const errors = new Map<number, ParseError>();
  for (const translation of result.translations) {
    const picked = translation.pass || translation.negated ? null : translatedSourcePorts(translation);
    if (!picked || picked.low === picked.high) continue;
    const mixed = result.rules.find((rule) => {
      if (!rule.from.port) return false;
      const matched = portRanges(rule.from.port).reduce(
        (sum, [a, b]) => sum + Math.max(0, Math.min(b, picked.high) - Math.max(a, picked.low) + 1),
        0,
      );
      return matched > 0 && matched < picked.high - picked.low + 1;
    });
    if (mixed && !errors.has(translation.line)) {
      errors.set(translation.line, {
        line: translation.line,
        text: translation.text,
        reason: `nat gives the packet a source port pf picks from ${picked.low}-${picked.high}, and line ${mixed.line} passes or blocks some of those ports: not modelled`,
      });
    }
  }
  return [...errors.values()];
}
