/**
 * The fake macOS pf: its kernel state as JSON, and the pieces of pfctl's behaviour the product relies on.
 * Messages marked "real" are copied from captures in /work/shared/fixtures/macos/pfctl; the rest follow
 * pfctl's source (OpenBSD 4.x era, as macOS ships it) and are labelled "modelled".
 */
import { type Cidr, cidrContains, parseCidr } from "../../src/address/ip";

export interface PfRuleset {
  /** Filter rules in order, scrub rules first (what `pfctl -sr` prints). */
  filter: string[];
  /** Translation rules (nat, rdr, binat, `no` ones, nat-anchor, rdr-anchor, binat-anchor): what `pfctl -s nat` prints. */
  nat: string[];
  dummynet: string[];
  /** Table definitions (`table <name> ...`). */
  tables: string[];
}

export interface PfReference {
  pid: number;
  process: string;
  token: string;
  /** Seconds since 1970. */
  since: number;
}

/** A state entry; `iface` is "ALL" for floating states (pf's default, and what macOS shows). */
export interface PfStateEntry {
  iface: string;
  proto: "tcp" | "udp";
  direction: "out" | "in";
  /** The Mac's side. */
  lan: string;
  lanPort: number;
  /** The other side. */
  ext: string;
  extPort: number;
  description: string;
}

export interface PfState {
  enabled: boolean;
  /** Seconds since 1970 when pf was last started. */
  enabledSince: number;
  main: PfRuleset;
  /** Every anchor that holds rules, by path (`com.apple/200.AirDrop`). */
  anchors: Record<string, PfRuleset>;
  references: PfReference[];
  states: PfStateEntry[];
  /** Next token number, so tokens are predictable in tests. */
  nextToken: string;
  /** Interfaces flagged by the main ruleset's `set skip on ...`: pf filters nothing on them. */
  skip?: string[];
  /** Packets each filter rule of an anchor matched since it was loaded, by anchor path (absent: none yet). */
  packets?: Record<string, number[]>;
}

export const emptyRuleset = (): PfRuleset => ({ filter: [], nat: [], dummynet: [], tables: [] });

/** The ruleset a Mac boots with: /etc/pf.conf and /etc/pf.anchors/com.apple loaded, pf not enabled. */
export function appleDefaultPf(): PfState {
  return {
    enabled: false,
    enabledSince: 0,
    main: appleMainRuleset(),
    anchors: appleAnchors(),
    references: [],
    states: [],
    nextToken: "8914907148313668449",
  };
}

/** What `pfctl -f /etc/pf.conf` leaves in the main ruleset (real: pfctl -s all, macOS 13.4.1). */
export function appleMainRuleset(): PfRuleset {
  return {
    filter: ['scrub-anchor "com.apple/*" all fragment reassemble', 'anchor "com.apple/*" all'],
    nat: ['nat-anchor "com.apple/*" all', 'rdr-anchor "com.apple/*" all'],
    dummynet: ['dummynet-anchor "com.apple/*" all'],
    tables: [],
  };
}

export function appleAnchors(): Record<string, PfRuleset> {
  return {
    "com.apple": {
      ...emptyRuleset(),
      filter: ['anchor "200.AirDrop/*" all', 'anchor "250.ApplicationFirewall/*" all'],
    },
    "com.apple/200.AirDrop/Bonjour": {
      ...emptyRuleset(),
      // real: pfctl -a "com.apple/200.AirDrop/Bonjour" -sr (osquery#1521)
      filter: ["pass in on p2p0 inet6 proto udp from any to any port = 5353 keep state"],
    },
    "com.apple/250.ApplicationFirewall": emptyRuleset(),
  };
}

/** Rules text as pfctl reads it: comments and blank lines dropped. */
export function ruleLines(text: string): { line: string; number: number }[] {
  const result: { line: string; number: number }[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line) result.push({ line, number: index + 1 });
  });
  return result;
}

const RULE_STARTS = [
  "pass",
  "block",
  "table",
  "anchor",
  "scrub-anchor",
  "nat-anchor",
  "rdr-anchor",
  "binat-anchor",
  "dummynet-anchor",
  "load",
  "scrub",
  "nat",
  "rdr",
  "binat",
  "no",
  "set",
];
/** Grammar macOS's pfctl (OpenBSD 4.3 era) does not know. */
const UNKNOWN_GRAMMAR = /\b(received-on|af-to|divert-to|divert-packet|set prio|set tos|once)\b/;

/** Line numbers pfctl would call a syntax error; empty when the text parses. */
export function syntaxErrors(text: string): number[] {
  const errors: number[] = [];
  for (const { line, number } of ruleLines(text)) {
    const first = line.split(/\s+/)[0];
    const open = (line.match(/\{/g) ?? []).length;
    const close = (line.match(/\}/g) ?? []).length;
    if (!RULE_STARTS.includes(first) || UNKNOWN_GRAMMAR.test(line) || open !== close) errors.push(number);
  }
  // A last line without its newline is not read as a rule (the classic peer bug).
  if (text.length > 0 && !text.endsWith("\n")) errors.push(text.split("\n").length);
  return errors;
}

/** How pfctl prints a rule back: anchor calls get their implicit `all`. */
export function printedRule(line: string): string {
  const normal = line.replace(/\s+/g, " ");
  const anchorCall = normal.match(/^(anchor|nat-anchor|rdr-anchor|binat-anchor|dummynet-anchor) ("[^"]*")$/);
  if (anchorCall) return `${anchorCall[1]} ${anchorCall[2]} all`;
  const scrubCall = normal.match(/^scrub-anchor ("[^"]*")$/);
  if (scrubCall) return `scrub-anchor ${scrubCall[1]} all fragment reassemble`;
  return normal;
}

/** First words of translation rules (`no` only starts `no nat`, `no rdr`, `no binat`). */
const TRANSLATION_STARTS = ["nat", "rdr", "binat", "no", "nat-anchor", "rdr-anchor", "binat-anchor"];

/** Sorts parsed lines into the ruleset types; `load anchor` lines are returned for the caller to follow. */
export function parseRuleset(text: string): {
  ruleset: PfRuleset;
  loads: { anchor: string; file: string }[];
  /** `set skip on IF` / `set skip on { IF IF }`: pf applies it from a main ruleset only (ignored in anchors). */
  skip: string[];
} {
  const ruleset = emptyRuleset();
  const loads: { anchor: string; file: string }[] = [];
  const skip: string[] = [];
  for (const { line } of ruleLines(text)) {
    const skipped = line.match(/^set skip on (?:\{\s*([^}]*)\}|(\S+))$/);
    if (skipped) {
      skip.push(...(skipped[1] ?? skipped[2]).split(/[\s,]+/).filter(Boolean));
      continue;
    }
    if (line.startsWith("set ")) continue; // options are not rules: `pfctl -sr` never prints them
    const load = line.match(/^load anchor "([^"]+)" from "([^"]+)"$/);
    if (load) {
      loads.push({ anchor: load[1], file: load[2] });
      continue;
    }
    const first = line.split(/\s+/)[0];
    if (first === "table") ruleset.tables.push(line);
    else if (TRANSLATION_STARTS.includes(first)) ruleset.nat.push(printedRule(line));
    else if (first === "dummynet-anchor" || first === "dummynet") ruleset.dummynet.push(printedRule(line));
    else ruleset.filter.push(printedRule(line));
  }
  return { ruleset, loads, skip };
}

/**
 * Which anchors pf evaluates for a packet, in order, starting from the main ruleset's filter rules.
 * `anchor "X/*"` runs X's direct children in path order; `anchor "X"` runs X. A rule that is not an
 * anchor call is reported as "<main>" (it could decide a packet before any later anchor runs).
 */
export function evaluationOrder(state: PfState): string[] {
  const order: string[] = [];
  const paths = Object.keys(state.anchors).sort();
  const visit = (rules: string[], base: string) => {
    for (const rule of rules) {
      if (rule.startsWith("scrub")) continue;
      const call = rule.match(/^anchor "([^"]+)"/);
      if (!call) {
        order.push(base || "<main>");
        continue;
      }
      const path = base ? `${base}/${call[1]}` : call[1];
      if (path.endsWith("/*")) {
        const parent = path.slice(0, -2);
        const children = new Set(
          paths
            .filter((p) => p.startsWith(`${parent}/`))
            .map((p) => `${parent}/${p.slice(parent.length + 1).split("/")[0]}`),
        );
        for (const child of [...children].sort()) {
          order.push(child);
          visit(state.anchors[child]?.filter ?? [], child);
        }
      } else {
        order.push(path);
        visit(state.anchors[path]?.filter ?? [], path);
      }
    }
  };
  visit(state.main.filter, "");
  return order.filter((entry, index) => order.indexOf(entry) === index);
}

/**
 * Whether pf holds a blocking ruleset of `anchor`: pf runs, evaluates the anchor before anything else, and the
 * anchor ends as every kill switch ruleset does, refusing what nothing before passed, both ways.
 */
export function holdsBlockingRuleset(state: PfState, anchor: string): boolean {
  const rules = state.anchors[anchor]?.filter ?? [];
  const final = (head: string) =>
    rules.some((rule) => new RegExp(`^${head} log \\(user(, to pflog\\d+)?\\) quick all$`).test(rule));
  return state.enabled && evaluationOrder(state)[0] === anchor && final("block return out") && final("block drop in");
}

function hostSpec(text: string): Cidr | null {
  return parseCidr(text);
}

/** xnu DIOCKILLSTATES: outbound states match src against the Mac's side, inbound ones the other way round. */
export function stateMatches(
  entry: PfStateEntry,
  source: Cidr,
  destination: Cidr | null,
  iface: string | null,
): boolean {
  const [src, dst] = entry.direction === "out" ? [entry.lan, entry.ext] : [entry.ext, entry.lan];
  if (iface !== null && entry.iface !== iface) return false;
  if (!cidrContains(source, src)) return false;
  return destination === null || cidrContains(destination, dst);
}

export function parseKillHost(text: string): Cidr | null {
  return hostSpec(text);
}

/** `pfctl -s states` lines (real layout: sshuttle#563). */
export function printState(entry: PfStateEntry): string {
  const side = (address: string, port: number) =>
    address.includes(":") ? `${address}[${port}]` : `${address}:${port}`;
  const arrow = entry.direction === "out" ? "->" : "<-";
  return `${entry.iface} ${entry.proto} ${side(entry.lan, entry.lanPort)} ${arrow} ${side(entry.ext, entry.extPort)}       ${entry.description}`;
}

/** `pfctl -s References` (real layout: sshuttle pull 4). */
export function printReferences(references: PfReference[], now: number): string {
  const age = (since: number) => {
    const seconds = Math.max(0, now - since);
    const days = Math.floor(seconds / 86400);
    const rest = seconds % 86400;
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${days} days ${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
  };
  const lines = [`${"PID".padEnd(9)}${"Process Name".padEnd(29)}${"TOKEN".padEnd(25)}TIMESTAMP`];
  for (const r of references) {
    lines.push(`${String(r.pid).padEnd(9)}${r.process.padEnd(29)}${r.token.padEnd(25)}${age(r.since)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Interfaces the fake pf knows (as `pfctl -s Interfaces` lists them), besides those named by `set skip`. */
const KNOWN_INTERFACES = ["awdl0", "bridge0", "en0", "en1", "gif0", "lo0", "llw0", "stf0", "utun0", "utun4"];

/** `pfctl -s Interfaces -v` (real layout: osx-10.11.1 and nym-vpn fixtures): `ALL`, then names, `lo0 (skip)`. */
export function printInterfaces(state: PfState, only: string | null): string[] {
  const skip = new Set(state.skip ?? []);
  const names = [...new Set([...KNOWN_INTERFACES, ...skip])].sort();
  const lines = ["ALL", ...names].map((name) => (skip.has(name) ? `${name} (skip)` : name));
  return only === null ? lines : lines.filter((line) => line.split(" ")[0] === only);
}
