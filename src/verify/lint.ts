/**
 * Footguns of pf on macOS (see the project's pf notes) in the text of OUR anchor: things pfctl accepts
 * silently but that leak or do nothing, and things it rejects. Errors make verification fail; warnings
 * are shown but do not.
 */
import { type Cidr, cidrContains, formatCidr, parseCidr } from "../address/ip";
import { isLocalNetwork } from "../address/local-space";
import { NEWER_PF_KEYWORDS, type ParsedRuleset, type PfRule, parsePfRules } from "./parse-rules";
import { findPublicSpaceOverCap } from "./public-space";

export type LintSeverity = "error" | "warning";

export interface LintFinding {
  id:
    | "bare-interface"
    | "option-in-anchor"
    | "final-newline"
    | "not-quick"
    | "unreachable"
    | "include"
    | "not-filtering"
    | "anchor-in-anchor"
    | "newer-syntax"
    | "port-without-tcp-udp"
    | "icmp-type-without-icmp"
    | "silent-outbound-block"
    | "undefined-table"
    | "unused-table"
    | "pfctl-error"
    | "pass-to-everything"
    | "stateless-inbound"
    | "floating-tunnel-state"
    | "every-protocol-to-host"
    | "public-local-network"
    | "public-space-over-cap";
  severity: LintSeverity;
  /** 1-based line; 0 for the text as a whole. */
  line: number;
  message: string;
}

/** Strips comments and quoted strings, so keywords are only found where pfctl would read them. */
function codeWords(line: string): string[] {
  const code = line.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/#.*$/, "");
  return code.split(/[\s{}(),!]+/).filter(Boolean);
}

/** A quick rule that matches every packet in its direction(s): nothing after it can ever be reached. */
function matchesEverything(rule: PfRule): boolean {
  return (
    rule.quick &&
    rule.anchor === null &&
    rule.interface === null &&
    rule.family === null &&
    rule.protocol === null &&
    rule.from.address.kind === "any" &&
    rule.from.port === null &&
    rule.to.address.kind === "any" &&
    rule.to.port === null &&
    rule.flags === null &&
    rule.icmpType === null &&
    !rule.fragment
  );
}

/** Multicast: link-scope groups are passed by name (mDNS, neighbour discovery); never a local network of its own. */
const MULTICAST = ["224.0.0.0/4", "ff00::/8"].map((range) => parseCidr(range) as Cidr);

/** A network (not one host) outside private, link-local, unique-local and multicast space. */
function isPublicNetwork(cidr: Cidr): boolean {
  if (cidr.prefix === (cidr.family === "inet" ? 32 : 128)) return false;
  const multicast = MULTICAST.some((range) => range.family === cidr.family && cidrContains(range, cidr.address));
  return !isLocalNetwork(cidr) && !multicast;
}

const PROTO_TCP = 6;
const TUNNEL = /^(utun|tun|tap|ipsec|ppp)\d+$/;
const PROTO_UDP = 17;

export function lintRuleset(text: string, parsed: ParsedRuleset = parsePfRules(text)): LintFinding[] {
  const findings: LintFinding[] = [];
  const add = (id: LintFinding["id"], severity: LintSeverity, line: number, message: string) =>
    findings.push({ id, severity, line, message });

  if (text.trim() !== "" && !text.endsWith("\n")) {
    add("final-newline", "error", 0, "the text does not end with a newline; pfctl needs one after the last rule");
  }

  text.split(/\r?\n/).forEach((line, index) => {
    const words = codeWords(line);
    const number = index + 1;
    for (const word of words) {
      const newer = NEWER_PF_KEYWORDS[word];
      if (newer)
        add(
          "newer-syntax",
          "error",
          number,
          `${newer} is newer than macOS pfctl's grammar (OpenBSD 4.x); pfctl rejects it`,
        );
    }
    if (words[0] === "set" && words[1] === "prio") {
      add("newer-syntax", "error", number, `${NEWER_PF_KEYWORDS["set-prio"]} is newer than macOS pfctl's grammar`);
    }
    if (/\/etc\/pf\.conf\b/.test(line.replace(/#.*$/, ""))) {
      add(
        "include",
        "error",
        number,
        "refers to /etc/pf.conf: never use the main ruleset from an anchor (it is not ours to load or include)",
      );
    }
  });

  for (const line of new Set(parsed.translations.map((t) => t.line))) {
    add("not-filtering", "error", line, "scrub, nat, rdr, dummynet and queues do not belong in the kill-switch anchor");
  }
  for (const other of parsed.others) {
    switch (other.kind) {
      case "option":
        add(
          "option-in-anchor",
          "error",
          other.line,
          "`set` options are ignored inside an anchor; pf applies only the main ruleset's",
        );
        break;
      case "include":
      case "load-anchor":
        add(
          "include",
          "error",
          other.line,
          "the anchor must be loaded as one self-contained file, not include or load others",
        );
        break;
      case "scrub":
      case "translation":
      case "dummynet":
      case "queue":
        add(
          "not-filtering",
          "error",
          other.line,
          "scrub, nat, rdr, dummynet and queues do not belong in the kill-switch anchor",
        );
        break;
      case "pfctl-message":
        if (other.text.startsWith("pfctl:")) {
          add(
            "pfctl-error",
            "warning",
            other.line,
            `pfctl reported "${other.text}": the rules shown may be incomplete`,
          );
        }
        break;
      case "anchor":
        add(
          "anchor-in-anchor",
          "warning",
          other.line,
          "an anchor inside the kill-switch anchor is evaluated only if attached; keep the rules inline",
        );
        break;
      default:
        break;
    }
  }

  const reportedLines = new Set<string>();
  const once = (id: LintFinding["id"], line: number) => {
    const key = `${id}:${line}`;
    if (reportedLines.has(key)) return false;
    reportedLines.add(key);
    return true;
  };
  const covered = { in: 0, out: 0 };
  for (const rule of parsed.rules) {
    const iface = rule.interface?.name;
    if (iface && !/\d$/.test(iface) && once("bare-interface", rule.line)) {
      add(
        "bare-interface",
        "error",
        rule.line,
        `\`on ${iface}\` names no interface: macOS pf has no interface groups, so it matches only an interface literally named "${iface}" (name each one, e.g. ${iface}0)`,
      );
    }
    if (!rule.quick && once("not-quick", rule.line)) {
      add(
        "not-quick",
        "error",
        rule.line,
        "every rule in the kill-switch anchor must be `quick`: without it a later rule in the main ruleset can override it",
      );
    }
    const coveredBy = rule.direction
      ? covered[rule.direction]
      : Math.min(covered.in, covered.out) > 0
        ? Math.max(covered.in, covered.out)
        : 0;
    if (coveredBy > 0 && once("unreachable", rule.line)) {
      add(
        "unreachable",
        "error",
        rule.line,
        `can never match: every packet it could see was already decided by the quick rule on line ${coveredBy}`,
      );
    }
    if (matchesEverything(rule)) {
      if (rule.direction !== "out" && covered.in === 0) covered.in = rule.line;
      if (rule.direction !== "in" && covered.out === 0) covered.out = rule.line;
    }
    const hasPort = rule.from.port !== null || rule.to.port !== null;
    if (
      hasPort &&
      rule.protocol !== PROTO_TCP &&
      rule.protocol !== PROTO_UDP &&
      once("port-without-tcp-udp", rule.line)
    ) {
      add(
        "port-without-tcp-udp",
        "error",
        rule.line,
        "ports need `proto tcp` or `proto udp`; pfctl rejects the rule otherwise",
      );
    }
    if (
      rule.icmpType !== null &&
      rule.protocol !== 1 &&
      rule.protocol !== 58 &&
      once("icmp-type-without-icmp", rule.line)
    ) {
      add(
        "icmp-type-without-icmp",
        "error",
        rule.line,
        "icmp-type/icmp6-type needs `proto icmp`/`proto icmp6`; pfctl rejects the rule otherwise",
      );
    }
    if (
      rule.action === "block" &&
      rule.direction !== "in" &&
      rule.blockPolicy === "drop" &&
      once("silent-outbound-block", rule.line)
    ) {
      add(
        "silent-outbound-block",
        "warning",
        rule.line,
        "outbound traffic is dropped silently: apps hang until they time out (use `block return out`)",
      );
    }
  }

  for (const rule of parsed.rules) {
    if (rule.action !== "pass") continue;
    const to = rule.to.address;
    if (to.kind === "cidr" && !to.negated && to.cidr.prefix === 0 && once("pass-to-everything", rule.line)) {
      add("pass-to-everything", "error", rule.line, "passes to /0: every address of the Internet, outside the VPN");
    }
    const narrowed = rule.from.port !== null || rule.to.port !== null || rule.icmpType !== null;
    if (rule.direction === "in" && rule.state === "none" && !narrowed && once("stateless-inbound", rule.line)) {
      add(
        "stateless-inbound",
        "error",
        rule.line,
        "a stateless inbound pass on every port: anyone who spoofs its source reaches every local service (let answers ride on the state of an outbound pass)",
      );
    }
    const host = to.kind === "cidr" && !to.negated && to.cidr.prefix === (to.cidr.family === "inet" ? 32 : 128);
    const outside = !rule.interface || (!TUNNEL.test(rule.interface.name) && rule.interface.name !== "lo0");
    if (
      rule.direction === "out" &&
      host &&
      outside &&
      rule.protocol === null &&
      once("every-protocol-to-host", rule.line)
    ) {
      add(
        "every-protocol-to-host",
        "warning",
        rule.line,
        `passes every protocol and port to ${to.kind === "cidr" ? to.cidr.address : "a host"} outside the tunnel: a VPN server needs one (give it as IP:port/proto)`,
      );
    }
    const peer = rule.direction === "in" ? rule.from : rule.to;
    if (
      rule.interface &&
      !rule.interface.negated &&
      outside &&
      peer.address.kind === "cidr" &&
      !peer.address.negated &&
      isPublicNetwork(peer.address.cidr) &&
      !narrowed &&
      once("public-local-network", rule.line)
    ) {
      add(
        "public-local-network",
        "warning",
        rule.line,
        `passes ${rule.direction === "in" ? "from" : "to"} ${formatCidr(peer.address.cidr)} on ${rule.interface.name} as a local network, but it is public address space: a network that calls it local can draw Internet traffic out of the tunnel (the local network is private, link-local or unique-local space only)`,
      );
    }
    const tunnel = rule.interface && !rule.interface.negated && TUNNEL.test(rule.interface.name);
    if (tunnel && rule.stateBinding === "floating" && once("floating-tunnel-state", rule.line)) {
      add(
        "floating-tunnel-state",
        "error",
        rule.line,
        "the tunnel's states float: when the tunnel goes, a packet of its connections leaving another interface matches them and passes (use `keep state (if-bound)`)",
      );
    }
  }

  const overCap = findPublicSpaceOverCap(parsed);
  if (overCap) add("public-space-over-cap", "error", overCap.line, overCap.message);

  const defined = new Set(parsed.tables.map((t) => t.name));
  const used = new Map<string, number>();
  for (const rule of parsed.rules) {
    for (const host of [rule.from, rule.to]) {
      if (host.address.kind === "table" && !used.has(host.address.table)) used.set(host.address.table, rule.line);
    }
  }
  for (const [name, line] of used) {
    if (!defined.has(name))
      add("undefined-table", "warning", line, `table <${name}> is not defined in this text; it is treated as empty`);
  }
  for (const table of parsed.tables) {
    if (!used.has(table.name))
      add("unused-table", "warning", table.line, `table <${table.name}> is defined but no rule uses it`);
  }

  return findings.sort((a, b) => a.line - b.line);
}
