/**
 * A stateful fake of macOS's /sbin/pfctl, for the options the product uses (and a few it must never use,
 * so tests can see them). State lives in <root>/.fake/pf.json.
 */
import { readFileSync } from "node:fs";
import { type MachineState, fakePaths, readJson, writeJson } from "../machine";
import {
  type PfState,
  emptyRuleset,
  parseKillHost,
  parseRuleset,
  printInterfaces,
  printReferences,
  printState,
  stateMatches,
  syntaxErrors,
} from "../pf-model";

export interface ProgramIo {
  stdout: string[];
  stderr: string[];
}

/** Who called a fake program: as root (inside the fake osascript or sudo) or not, and its process id. */
export interface ProgramCall {
  asRoot: boolean;
  pid: number;
  /** Its standard input, when it was given "-" for it (`pfctl -f -`). */
  stdin?: string;
}

const WITH_VALUE = new Set(["a", "D", "f", "F", "i", "k", "K", "o", "p", "s", "t", "T", "x", "X"]);
const FLAGS = new Set(["A", "d", "e", "E", "g", "h", "m", "M", "n", "N", "O", "q", "r", "R", "v", "z", "Z"]);

interface Options {
  flags: Set<string>;
  anchor: string;
  file: string | null;
  flush: string | null;
  iface: string | null;
  kills: string[];
  show: string | null;
  release: string | null;
}

/** getopt, as pfctl uses it: `-sr` is `-s r`, `-vnf file` works. */
function parseOptions(args: string[]): Options | string {
  const options: Options = {
    flags: new Set(),
    anchor: "",
    file: null,
    flush: null,
    iface: null,
    kills: [],
    show: null,
    release: null,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-") || arg === "-") return `unexpected argument ${arg}`;
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j];
      if (FLAGS.has(letter)) {
        options.flags.add(letter);
        continue;
      }
      if (!WITH_VALUE.has(letter)) return `illegal option -- ${letter}`;
      const rest = arg.slice(j + 1);
      const value = rest !== "" ? rest : args[++i];
      if (value === undefined) return `option requires an argument -- ${letter}`;
      if (letter === "a") options.anchor = value;
      else if (letter === "f") options.file = value;
      else if (letter === "F") options.flush = value;
      else if (letter === "i") options.iface = value;
      else if (letter === "k") options.kills.push(value);
      else if (letter === "s") options.show = value;
      else if (letter === "X") options.release = value;
      break;
    }
  }
  return options;
}

const MODIFIERS = {
  show: [
    "nat",
    "queue",
    "rules",
    "Anchors",
    "Sources",
    "states",
    "info",
    "Interfaces",
    "labels",
    "References",
    "dummynet",
    "all",
  ],
  flush: ["nat", "queue", "rules", "Sources", "states", "info", "Tables", "osfp", "all"],
};

/** pfctl accepts any prefix of a modifier (`-s r`, `-s Ref`). */
function modifier(value: string, list: string[]): string | null {
  return list.find((m) => m.startsWith(value)) ?? null;
}

const F_OPTION_WARNING = [
  // real: the warning pfctl prints for -f on the main ruleset (pfctl-E_with-f-warning fixture)
  "pfctl: Use of -f option, could result in flushing of rules",
  "present in the main ruleset added by the system at startup.",
  "See /etc/pf.conf for further details.",
  "",
];

function anchorExists(state: PfState, anchor: string): boolean {
  return anchor in state.anchors || Object.keys(state.anchors).some((path) => path.startsWith(`${anchor}/`));
}

export function runPfctl(root: string, args: string[], io: ProgramIo, now: number, call: ProgramCall): number {
  if (!call.asRoot) {
    io.stderr.push("pfctl: /dev/pf: Permission denied"); // real: pfctl_permission-denied_non-root.txt
    return 1;
  }
  const options = parseOptions(args);
  if (typeof options === "string") {
    io.stderr.push(`pfctl: ${options}`, "usage: pfctl [-AdeghMmNnOPqRrvz] [-a anchor] [-D macro=value] [-F modifier]");
    return 1;
  }
  // real: every pfctl call on macOS starts with these two lines
  io.stderr.push("No ALTQ support in kernel", "ALTQ related functions disabled");
  const paths = fakePaths(root);
  const called = args.join(" ");
  const faults = readJson<MachineState>(paths.machine).pfctlFaults;
  const fault = Object.entries(faults).find(([prefix]) => called === prefix || called.startsWith(`${prefix} `))?.[1];
  if (fault) {
    io.stderr.push(fault.stderr);
    return fault.exitCode;
  }
  const state = readJson<PfState>(paths.pf);
  const save = () => writeJson(paths.pf, state);
  const anchor = options.anchor;

  if (options.flags.has("d")) {
    if (!state.enabled) {
      io.stderr.push("pfctl: pf not enabled");
      return 1;
    }
    // DIOCSTOP: stops pf for everyone and forgets every reference.
    state.enabled = false;
    state.references = [];
    io.stderr.push("pf disabled");
    save();
  }

  if (options.flush !== null) {
    const what = modifier(options.flush, MODIFIERS.flush);
    if (!what) {
      io.stderr.push(`pfctl: Unknown flush modifier '${options.flush}'`);
      return 1;
    }
    if (anchor) {
      const ruleset = state.anchors[anchor] ?? emptyRuleset();
      const tables = ruleset.tables.length;
      if (what === "rules" || what === "all") ruleset.filter = [];
      if (what === "nat" || what === "all") ruleset.nat = [];
      if (what === "Tables" || what === "all") ruleset.tables = [];
      const empty = !ruleset.filter.length && !ruleset.nat.length && !ruleset.tables.length && !ruleset.dummynet.length;
      if (empty) delete state.anchors[anchor];
      else state.anchors[anchor] = ruleset;
      if (what === "rules" || what === "all") io.stderr.push("rules cleared");
      if (what === "nat" || what === "all") io.stderr.push("nat cleared");
      if (what === "Tables" || what === "all") io.stderr.push(`${tables} tables deleted.`);
    } else {
      if (what === "all" || what === "rules") state.main.filter = [];
      if (what === "all" || what === "nat") state.main.nat = [];
      if (what === "all") {
        state.main = emptyRuleset();
        state.anchors = {};
      }
      if (what === "all" || what === "states") state.states = [];
      io.stderr.push(`${what} cleared`);
    }
    save();
  }

  if (options.kills.length > 0) {
    const source = parseKillHost(options.kills[0]);
    const destination = options.kills[1] !== undefined ? parseKillHost(options.kills[1]) : null;
    if (!source || (options.kills[1] !== undefined && !destination)) {
      io.stderr.push("pfctl: getaddrinfo: nodename nor servname provided, or not known");
      return 1;
    }
    const before = state.states.length;
    state.states = state.states.filter((entry) => !stateMatches(entry, source, destination, options.iface));
    const killed = before - state.states.length;
    io.stderr.push(`killed ${killed} states from 1 sources and ${destination ? 1 : 0} destinations`);
    save();
  }

  if (options.file !== null) {
    // `-f -` reads the rules from standard input, which pfctl's messages call "stdin" (OpenBSD parse.y pushfile).
    const source = options.file === "-" ? "stdin" : options.file;
    let text: string;
    try {
      text = options.file === "-" ? (call.stdin ?? "") : readFileSync(options.file, "utf8");
    } catch {
      io.stderr.push(`pfctl: ${options.file}: No such file or directory`);
      return 1;
    }
    const errors = syntaxErrors(text);
    if (errors.length > 0) {
      // real: pfctl's message for a rules file it cannot parse
      io.stderr.push(...errors.map((line) => `${source}:${line}: syntax error`));
      io.stderr.push("pfctl: Syntax error in config file: pf rules not loaded");
      return 1;
    }
    if (!options.flags.has("n")) {
      const { ruleset, loads, skip } = parseRuleset(text);
      if (anchor && (anchor.startsWith("_") || anchor.includes("/_"))) {
        io.stderr.push("pfctl: anchor names beginning with '_' cannot be modified from the command line");
        return 1;
      }
      if (options.flags.has("N")) {
        // -N: the translation rules only; filter rules, tables and other anchors stay.
        if (anchor) state.anchors[anchor] = { ...(state.anchors[anchor] ?? emptyRuleset()), nat: ruleset.nat };
        else {
          state.main.nat = ruleset.nat;
          io.stderr.push(...F_OPTION_WARNING);
        }
      } else if (anchor) {
        state.anchors[anchor] = ruleset;
        // pf counts a rule's packets from its load.
        if (state.packets) delete state.packets[anchor];
      } else if (options.flags.has("R")) {
        // Filter rules only: translation rules, tables and anchors stay. Modelled pessimistically, the
        // dummynet rules are replaced too (whether Apple's pfctl counts them with the filter is unknown).
        state.main.filter = ruleset.filter;
        state.main.dummynet = ruleset.dummynet;
        io.stderr.push(...F_OPTION_WARNING);
      } else {
        state.main = ruleset;
        // Modelled on pfctl: a main ruleset's `set skip` flags its interfaces and clears the others'.
        state.skip = skip;
        for (const load of loads) {
          const loaded = parseRuleset(readFileSync(`${root}${load.file}`, "utf8")).ruleset;
          state.anchors[load.anchor] = { ...(state.anchors[load.anchor] ?? emptyRuleset()), ...loaded };
        }
        io.stderr.push(...F_OPTION_WARNING);
      }
      save();
    }
  }

  if (options.release !== null) {
    if (!state.enabled) {
      io.stderr.push("pfctl: pf not enabled"); // modelled: DIOCSTOPREF answers ENOENT when pf is stopped
      return 1;
    }
    const index = state.references.findIndex((r) => r.token === options.release);
    if (index === -1) {
      io.stderr.push("pfctl: DIOCSTOPREF: No such process"); // modelled: ESRCH for an unknown token
      return 1;
    }
    state.references.splice(index, 1);
    if (state.references.length === 0) {
      state.enabled = false;
      io.stderr.push("pf disabled");
    }
    save();
  }

  if (options.flags.has("e")) {
    if (state.enabled) {
      io.stderr.push("pfctl: pf already enabled"); // real: pfctl-e_already-enabled fixtures
      return 1;
    }
    state.enabled = true;
    state.enabledSince = now;
    io.stderr.push("pf enabled");
    save();
  }

  if (options.flags.has("E")) {
    if (!state.enabled) state.enabledSince = now;
    state.enabled = true;
    const token = state.nextToken;
    state.nextToken = String(BigInt(token) + 7919n);
    state.references.push({ pid: call.pid, process: "pfctl", token, since: now });
    // real: "pf enabled" then "Token : N" (pfctl-vvv-f-E fixture), both on stderr
    io.stderr.push("pf enabled", `Token : ${token}`);
    save();
  }

  if (options.show !== null) {
    const what = modifier(options.show, MODIFIERS.show);
    if (!what) {
      io.stderr.push(`pfctl: Unknown show modifier '${options.show}'`);
      return 1;
    }
    return show(state, what, anchor, options.flags.has("v"), io, now, options.iface);
  }
  return 0;
}

function show(
  state: PfState,
  what: string,
  anchor: string,
  verbose: boolean,
  io: ProgramIo,
  now: number,
  iface: string | null,
): number {
  if (what === "all") {
    // As pfctl -s all prints the main ruleset (real: the sshuttle fixtures): each section titled only when it has
    // lines, a blank line between sections, the status always.
    const ruleset = anchor ? (state.anchors[anchor] ?? emptyRuleset()) : state.main;
    const sections: [string, string[]][] = [
      ["TRANSLATION RULES:", ruleset.nat],
      ["FILTER RULES:", ruleset.filter],
      ["DUMMYNET RULES:", ruleset.dummynet],
      ["STATES:", state.states.map(printState)],
    ];
    const info: ProgramIo = { stdout: [], stderr: [] };
    show(state, "info", "", false, info, now, null);
    for (const [title, lines] of [...sections, ["INFO:", info.stdout] as [string, string[]]]) {
      if (lines.length === 0) continue;
      if (io.stdout.length > 0) io.stdout.push("");
      io.stdout.push(title, ...lines);
    }
    return 0;
  }
  if (what === "Interfaces") {
    // Without -v pfctl prints the names alone; -v adds the (skip) flag.
    const lines = printInterfaces(state, iface);
    io.stdout.push(...(verbose ? lines : lines.map((line) => line.split(" ")[0])));
    return 0;
  }
  if (what === "dummynet") {
    io.stdout.push(...(anchor ? (state.anchors[anchor]?.dummynet ?? []) : state.main.dummynet));
    return 0;
  }
  if (what === "rules" || what === "nat") {
    if (anchor && !anchorExists(state, anchor.replace(/\/\*$/, ""))) {
      io.stderr.push("pfctl: DIOCGETRULES: Invalid argument"); // real: nonexistent anchor fixture
      return 1;
    }
    const ruleset = anchor ? (state.anchors[anchor] ?? emptyRuleset()) : state.main;
    const rules = what === "rules" ? ruleset.filter : ruleset.nat;
    if (!verbose || what !== "rules") {
      io.stdout.push(...rules);
      return 0;
    }
    // -v: each rule's counters and who inserted it, in pfctl's layout (real: OpenBSD `pfctl -v -s rules`).
    const counted = state.packets?.[anchor] ?? [];
    rules.forEach((rule, index) => {
      const packets = counted[index] ?? 0;
      const column = (value: number, width: number) => String(value).padEnd(width);
      io.stdout.push(
        rule,
        `  [ Evaluations: ${column(packets, 8)}  Packets: ${column(packets, 8)}  Bytes: ${column(packets * 60, 10)}  States: ${column(0, 6)}]`,
        "  [ Inserted: uid 0 pid 1 ]",
      );
    });
    return 0;
  }
  if (what === "info") {
    const seconds = state.enabled ? Math.max(0, now - state.enabledSince) : 0;
    const pad = (n: number) => String(n).padStart(2, "0");
    const running = `${Math.floor(seconds / 86400)} days ${pad(Math.floor((seconds % 86400) / 3600))}:${pad(
      Math.floor((seconds % 3600) / 60),
    )}:${pad(seconds % 60)}`;
    // real layout: pfctl -s info (sshuttle#563)
    io.stdout.push(
      `Status: ${state.enabled ? "Enabled" : "Disabled"} for ${running}           Debug: Urgent`,
      "",
      "State Table                          Total             Rate",
      `  current entries                  ${String(state.states.length).padStart(7)}`,
    );
    return 0;
  }
  if (what === "states") {
    io.stdout.push(...state.states.map(printState));
    return 0;
  }
  if (what === "References") {
    io.stdout.push(printReferences(state.references, now).trimEnd());
    return 0;
  }
  if (what === "Anchors") {
    const base = anchor ? `${anchor}/` : "";
    const paths = new Set<string>();
    for (const path of Object.keys(state.anchors)) {
      if (!path.startsWith(base)) continue;
      const parts = path.slice(base.length).split("/");
      const depth = verbose ? parts.length : 1;
      for (let i = 1; i <= depth; i++) paths.add(`${base}${parts.slice(0, i).join("/")}`);
    }
    io.stdout.push(...[...paths].sort().map((path) => ` ${path}`));
    return 0;
  }
  io.stderr.push(`pfctl: the fake pfctl does not show '${what}'`);
  return 1;
}
