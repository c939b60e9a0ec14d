/**
 * Whatever arrives, every parser answers and never throws: settings, each snapshot parser, the rules parser and
 * the command line. Fixed seeds, so a run is the same on every machine; bounded input sizes (stated per
 * property), so each property stays well under a second (the suite's 60 s timeout is the safety net, not a
 * measure: no test here reads the clock), and bounded output. A failure found here is kept as a regression case
 * in REGRESSIONS below.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseArpTable } from "../../src/network/arp";
import { deriveNetworkState } from "../../src/network/derive";
import { parseIfconfig } from "../../src/network/ifconfig";
import { parseIpconfigSummary } from "../../src/network/ipconfig-summary";
import { parseNetstatSockets } from "../../src/network/netstat-sockets";
import { parseNetstatRoutes } from "../../src/network/netstat";
import { parseRouteGet } from "../../src/network/route-get";
import { parseScutilDns } from "../../src/network/scutil-dns";
import { parseScutilNcList } from "../../src/network/scutil-nc";
import { parseScutilNwi } from "../../src/network/scutil-nwi";
import { parseSettings } from "../../src/policy/settings";
import { parsePfRules } from "../../src/verify/parse-rules";
import { runKillswitch } from "../cli/cli-harness";

const SEED = 20261202;
const run = <T>(property: fc.IProperty<T>, numRuns = 150) => fc.assert(property, { seed: SEED, numRuns });

// eslint-disable-next-line no-control-regex -- the point: no control character but a newline reaches the terminal
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** Lines of the real outputs in test/fixtures/macos, to build inputs that look like macOS's, torn and mixed. */
function fixtureLines(): string[] {
  const root = join(__dirname, "..", "fixtures", "macos");
  const lines: string[] = [];
  for (const kind of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const file of readdirSync(join(root, kind.name))) {
      lines.push(
        ...readFileSync(join(root, kind.name, file), "utf8")
          .split("\n")
          .slice(0, 80),
      );
    }
  }
  return lines;
}
const LINES = fixtureLines();

/** Up to 40 lines: real ones, cut at any point, or junk (any code point, control characters included). */
const outputText = fc
  .array(
    fc.oneof(
      fc.constantFrom(...LINES),
      fc.tuple(fc.constantFrom(...LINES), fc.nat(120)).map(([line, at]) => line.slice(0, at)),
      fc.string({ unit: "binary", maxLength: 80 }),
    ),
    { maxLength: 40 },
  )
  .map((lines) => lines.join("\n"));

describe("snapshot parsers", () => {
  const parsers: [string, (text: string) => unknown][] = [
    ["ifconfig", parseIfconfig],
    ["netstat -rn", parseNetstatRoutes],
    ["netstat -anv", parseNetstatSockets],
    ["route -n get", parseRouteGet],
    ["arp -an", parseArpTable],
    ["scutil --dns", parseScutilDns],
    ["scutil --nwi", parseScutilNwi],
    ["scutil --nc list", parseScutilNcList],
    ["ipconfig getsummary", parseIpconfigSummary],
  ];
  for (const [name, parse] of parsers) {
    it(`${name}: any text of up to 40 lines parses without throwing`, () => {
      run(fc.property(outputText, (text) => void parse(text)));
    });
  }

  it("a whole snapshot of such texts gives a network state", () => {
    const snapshot = fc.record(
      {
        ifconfig: outputText,
        netstatRoutes: outputText,
        routeGetDefault: outputText,
        scutilNwi: outputText,
        arp: outputText,
      },
      { requiredKeys: [] },
    );
    run(
      fc.property(snapshot, (s) => void deriveNetworkState(s)),
      100,
    );
  });
});

describe("the rules parser", () => {
  it("reads any text of up to 40 lines into rules and errors with line numbers, never throwing", () => {
    run(
      fc.property(outputText, (text) => {
        const parsed = parsePfRules(text);
        for (const error of parsed.errors) expect(error.line).toBeGreaterThan(0);
      }),
    );
  });
});

/** Settings-shaped values: the real fields with values of any JSON kind, nested up to 4 deep, and unknown fields. */
const settingsInput = fc.dictionary(
  fc.oneof(
    fc.constantFrom("vpnServers", "exceptions", "allowLan", "dnsResolvers", "trustedTunnels", "tunnelInterface"),
    fc.string({ maxLength: 12 }),
  ),
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.array(
      fc.dictionary(
        fc.constantFrom("address", "scope", "expiresAt", "port", "protocol", "label", "wide", "enabled"),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      { maxLength: 4 },
    ),
  ),
  { maxKeys: 6 },
);

describe("the settings parser", () => {
  it("answers any value with settings or messages that name a field, without control characters", () => {
    run(
      fc.property(settingsInput, (input) => {
        const result = parseSettings(input);
        if (result.ok) return;
        expect(result.errors.length).toBeGreaterThan(0);
        for (const error of result.errors) {
          expect(error).toMatch(/^[A-Za-z]/);
          expect(error).not.toMatch(CONTROL);
        }
      }),
      300,
    );
  });
});

/** Argument lists: a command (real or not), then real options and values of any kind, up to 8 of them. */
const argv = fc.tuple(
  fc.constantFrom("preview", "verify", "explain", "status", "help", "--version", "bogus", ""),
  fc.array(
    fc.oneof(
      fc.constantFrom(
        "--out",
        "--in",
        "--if",
        "--proto",
        "--to",
        "--from",
        "--port",
        "--json",
        "--rules-only",
        "--help",
      ),
      fc.constantFrom("en0", "tcp", "udp", "8.8.8.8", "fe80::1", "443", "-5", "utun4"),
      fc.string({ unit: "binary", maxLength: 20 }),
    ),
    { maxLength: 8 },
  ),
);

describe("the command line", () => {
  it("ends with 0, 1 or 2 and no stack trace, printing no control character that came in", async () => {
    await fc.assert(
      fc.asyncProperty(argv, async ([command, rest]) => {
        const result = await runKillswitch(command === "" ? rest : [command, ...rest], { stdin: "" });
        expect([0, 1, 2]).toContain(result.code);
        expect(result.stderr).not.toMatch(/\n\s+at /);
        expect(result.stdout + result.stderr).not.toMatch(CONTROL);
        // Bounded output: a message echoes at most a cut value, whatever the arguments were.
        expect(result.stderr.length).toBeLessThan(4_096);
      }),
      { seed: SEED, numRuns: 120 },
    );
  });
});
