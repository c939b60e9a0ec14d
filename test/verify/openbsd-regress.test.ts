import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Packet, createEvaluator } from "../../src/verify/evaluate";
import { parsePfRules } from "../../src/verify/parse-rules";

const FIXTURES = join(__dirname, "..", "fixtures", "openbsd-4.3-pfctl-regress");
const files = readdirSync(FIXTURES).filter((name) => name.endsWith(".loaded"));

/** Lines that say something (what the parser must account for): not blank, not comments. */
function statementLines(text: string): number[] {
  return text
    .split("\n")
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== "" && !line.startsWith("#"))
    .map(({ number }) => number);
}

/** A few packets each way, over the interfaces and addresses the regress rules name. */
const PACKETS: Packet[] = ["lo0", "tun1000000", "en0"].flatMap((iface) =>
  (["out", "in"] as const).flatMap((direction) => [
    {
      direction,
      interface: iface,
      family: "inet",
      protocol: "tcp",
      source: "10.0.1.5",
      destination: "1.2.3.4",
      sourcePort: 1025,
      destinationPort: 80,
    },
    {
      direction,
      interface: iface,
      family: "inet",
      protocol: "udp",
      source: "192.168.1.3",
      destination: "127.0.0.1",
      sourcePort: 53,
      destinationPort: 53,
    },
    {
      direction,
      interface: iface,
      family: "inet",
      protocol: "icmp",
      source: "192.168.1.4",
      destination: "10.0.0.1",
      icmpType: 8,
    },
    {
      direction,
      interface: iface,
      family: "inet6",
      protocol: "tcp",
      source: "::1",
      destination: "::2",
      sourcePort: 1025,
      destinationPort: 22,
    },
  ]),
);

describe("OpenBSD 4.3's own pfctl regress listings (test/fixtures/openbsd-4.3-pfctl-regress)", () => {
  it("has all 72 listings", () => {
    expect(files).toHaveLength(72);
  });

  for (const name of files) {
    it(`${name}: judged with every line read, or refused naming the line`, () => {
      const text = readFileSync(join(FIXTURES, name), "utf8");
      const lines = text.split("\n");
      const parsed = parsePfRules(text);
      if (parsed.errors.length > 0) {
        for (const error of parsed.errors) {
          expect(lines[error.line - 1].trim(), `${name} line ${error.line}`).toBe(error.text);
          expect(error.reason).not.toBe("");
        }
        return;
      }
      const read = new Set([
        ...parsed.rules.map((r) => r.line),
        ...parsed.translations.map((t) => t.line),
        ...parsed.tables.map((t) => t.line),
        ...parsed.others.map((o) => o.line),
      ]);
      expect(statementLines(text).filter((line) => !read.has(line))).toEqual([]);
      // A nat, rdr or binat rule decides packets: it is read as one, never set down as a line that decides nothing.
      const unread = parsed.others.filter((o) => o.kind === "translation" && !/^(@\d+ )?\w+-anchor /.test(o.text));
      expect(unread).toEqual([]);
      const evaluate = createEvaluator(parsed);
      for (const packet of PACKETS) expect(["pass", "block"]).toContain(evaluate(packet).action);
    });
  }

  it("pf80: nat pass, rdr pass and binat pass pass their packets without the filter rules; no nat stops nat", () => {
    const text = readFileSync(join(FIXTURES, "pf80.loaded"), "utf8");
    const parsed = parsePfRules(`${text}block drop quick all\n`);
    expect(parsed.errors).toEqual([]);
    const kinds = new Set(parsed.translations.map((t) => `${t.negated ? "no " : ""}${t.kind}${t.pass ? " pass" : ""}`));
    expect([...kinds].sort()).toEqual([
      "binat",
      "binat pass",
      "nat",
      "nat pass",
      "no binat",
      "no nat",
      "no rdr",
      "rdr",
      "rdr pass",
    ]);
    const evaluate = createEvaluator(parsed);
    const lineOf = (start: string) => text.split("\n").findIndex((line) => line.startsWith(start)) + 1;
    const decided = (packet: Packet) => {
      const evaluation = evaluate(packet);
      return {
        action: evaluation.action,
        line: evaluation.translation?.pass ? evaluation.translation.line : evaluation.rule?.line,
      };
    };
    const tcp = { family: "inet", protocol: "tcp", sourcePort: 40000, destinationPort: 80, interface: "lo0" } as const;
    // Out: binat (no match for 172.16/16), then the first nat: @0 nat pass.
    expect(decided({ ...tcp, direction: "out", source: "10.1.2.3", destination: "172.16.5.5" })).toEqual({
      action: "pass",
      line: lineOf("@0 nat pass"),
    });
    // Out to 11/8: binat is looked at before nat.
    expect(decided({ ...tcp, direction: "out", source: "10.1.2.3", destination: "11.0.0.1" })).toEqual({
      action: "pass",
      line: lineOf("@0 binat pass"),
    });
    // In: rdr pass for 1.2.3.4 port 80; binat pass for 11/8 -> 12/8.
    expect(decided({ ...tcp, direction: "in", source: "9.9.9.9", destination: "1.2.3.4" })).toEqual({
      action: "pass",
      line: lineOf("@0 rdr pass"),
    });
    expect(decided({ ...tcp, direction: "in", source: "11.0.0.7", destination: "12.3.4.5" })).toMatchObject({
      action: "pass",
      line: lineOf("@0 binat pass"),
    });
    // `no nat` for 20/8 -> 192.168/24 is first among nothing that matches: the filter decides.
    expect(decided({ ...tcp, direction: "out", source: "20.1.1.1", destination: "192.168.0.9" }).action).toBe("block");
  });
});
