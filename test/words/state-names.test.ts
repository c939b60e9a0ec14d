/**
 * One vocabulary for the kill switch's states: src/words/states.ts names them, and no other source file types a
 * state's name by hand. Every string and template text of src/ (and the CLI and Alfred with it) is read with
 * TypeScript's own parser, so a name in a comment or an identifier does not count, and one in a message does.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { STATE_HEADLINES, STATE_NAMES } from "../../src/words/states";

const ROOT = resolve(__dirname, "../..");
const SOURCES = join(ROOT, "src");
/** Names no state has any more: a text still using one is out of date. */
const RETIRED_NAMES = ["Degraded"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every piece of text a file writes: string literals, template texts, JSX text. */
function textsOf(path: string): string[] {
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const texts: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteralLike(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      texts.push(node.text);
    } else if (ts.isJsxText(node)) texts.push(node.getText());
    ts.forEachChild(node, visit);
  };
  visit(source);
  return texts;
}

/**
 * Where a text types a state's name as a state: the whole text, or a part of it between separators (":" or "·"),
 * as headlines and titles write them. "Protected from startup" or "When Unknown" are other words.
 */
function typedStateNames(text: string, names: readonly string[]): string[] {
  return names.filter((name) => {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(^|[:·]\\s*)${escaped}(\\s*[:·]|$)`).test(text.trim());
  });
}

describe("state names", () => {
  const names = [...new Set([...Object.values(STATE_NAMES), ...Object.values(STATE_HEADLINES), ...RETIRED_NAMES])];

  it("finds a state's name typed as a state, and not the same word meaning something else", () => {
    expect(typedStateNames("Not Protected: the Mac restarted", names)).toEqual(["Not Protected"]);
    expect(typedStateNames(" · Degraded", names)).toEqual(["Degraded"]);
    expect(typedStateNames("Degraded", names)).toEqual(["Degraded"]);
    expect(typedStateNames("Kill Switch On · Safe Mode", names)).toContain("Kill Switch On · Safe Mode");
    expect(typedStateNames("Protected from startup by the root watchdog.", names)).toEqual([]);
    expect(typedStateNames("Turn it off: nothing is blocked", names)).toEqual([]);
    expect(typedStateNames("When Unknown", names)).toEqual([]);
  });

  it("are typed only in src/words: every other source file takes them from there", () => {
    const found = sourceFiles(SOURCES)
      .filter((path) => !path.startsWith(join(SOURCES, "words")))
      .flatMap((path) =>
        textsOf(path).flatMap((text) =>
          typedStateNames(text, names).map((name) => `${relative(ROOT, path)}: ${name} in ${JSON.stringify(text)}`),
        ),
      );
    expect(found).toEqual([]);
  });
});
