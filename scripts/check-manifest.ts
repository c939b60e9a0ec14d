/**
 * Offline manifest check: what `ray lint` verifies that needs no network (its author and schema look-ups
 * need raycast.com). Icon sizes come from PNG headers; state icons (Alfred shows them) must be template images (black + alpha).
 *
 * Run: tsx scripts/check-manifest.ts [package.json] [--bundles DIR]
 *   --bundles DIR  also check each command's bundle built by `ray build -e dist -o DIR` against the size budget
 * Exit status 1 and one line per problem when something is wrong.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { inflateSync } from "node:zlib";
import { KILL_SWITCH_STATES, stateIconFile } from "../src/raycast/models/kill-switch-state";
import { BUNDLE_BUDGET_BYTES } from "../bench/bundles";

export const COMMAND_MODES = ["view", "no-view", "menu-bar"];
export const PREFERENCE_TYPES = ["textfield", "password", "checkbox", "dropdown", "appPicker", "file", "directory"];
export const CATEGORIES = [
  "Applications",
  "Communication",
  "Data",
  "Design Tools",
  "Developer Tools",
  "Documentation",
  "Finance",
  "Fun",
  "Media",
  "News",
  "Productivity",
  "Security",
  "System",
  "Web",
  "Other",
];
/** Words Title Case leaves in lower case unless they come first. */
const MINOR_WORDS = new Set([
  "a",
  "an",
  "and",
  "as",
  "at",
  "but",
  "by",
  "for",
  "from",
  "in",
  "of",
  "on",
  "or",
  "the",
  "to",
  "via",
  "with",
]);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngInfo {
  width: number;
  height: number;
  colorType: number;
  bitDepth: number;
  interlace: number;
}

/** Width, height and pixel format from the IHDR chunk; null when the bytes are not a PNG. */
export function readPngHeader(bytes: Buffer): PngInfo | null {
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (bytes.toString("ascii", 12, 16) !== "IHDR") return null;
  return {
    width: bytes.readUInt32BE(16),
    height: bytes.readUInt32BE(20),
    bitDepth: bytes[24],
    colorType: bytes[25],
    interlace: bytes[28],
  };
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes an 8-bit, non-interlaced grey/RGB(A) PNG into raw samples; null for other formats. */
export function decodePngSamples(bytes: Buffer): { info: PngInfo; samples: Uint8Array; channels: number } | null {
  const info = readPngHeader(bytes);
  if (!info || info.bitDepth !== 8 || info.interlace !== 0 || !(info.colorType in CHANNELS)) return null;
  const channels = CHANNELS[info.colorType];
  const data: Buffer[] = [];
  for (let offset = 8; offset + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(offset);
    if (bytes.toString("ascii", offset + 4, offset + 8) === "IDAT") {
      data.push(bytes.subarray(offset + 8, offset + 8 + length));
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = info.width * channels;
  const samples = new Uint8Array(info.height * stride);
  for (let y = 0; y < info.height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x];
      const left = x >= channels ? samples[y * stride + x - channels] : 0;
      const up = y > 0 ? samples[(y - 1) * stride + x] : 0;
      const upLeft = y > 0 && x >= channels ? samples[(y - 1) * stride + x - channels] : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter] ?? 0;
      samples[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return { info, samples, channels };
}

/** A template image: every visible pixel black, shape carried by alpha alone (macOS tints it). */
export function isTemplateImage(bytes: Buffer): boolean {
  const decoded = decodePngSamples(bytes);
  if (!decoded || (decoded.channels !== 2 && decoded.channels !== 4)) return false;
  const { samples, channels } = decoded;
  let visible = 0;
  for (let i = 0; i < samples.length; i += channels) {
    const alpha = samples[i + channels - 1];
    if (alpha === 0) continue;
    visible++;
    for (let c = 0; c < channels - 1; c++) if (samples[i + c] !== 0) return false;
  }
  return visible > 0;
}

export function isTitleCase(title: string): boolean {
  return title.split(/\s+/).every((word, index) => {
    if (index > 0 && MINOR_WORDS.has(word)) return true;
    const first = word.replace(/^[^\p{L}\p{N}]+/u, "")[0];
    return first === undefined || first === first.toUpperCase();
  });
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkPreferences(preferences: unknown, where: string, problems: string[]): void {
  if (preferences === undefined) return;
  if (!Array.isArray(preferences)) {
    problems.push(`${where}: preferences must be a list`);
    return;
  }
  const names = new Set<string>();
  for (const [index, preference] of preferences.entries()) {
    if (!isObject(preference)) {
      problems.push(`${where}.preferences[${index}]: must be an object`);
      continue;
    }
    const at = `${where}.preferences[${index}] (${String(preference.name)})`;
    if (typeof preference.name !== "string" || !/^[a-zA-Z][a-zA-Z0-9]*$/.test(preference.name)) {
      problems.push(`${at}: name must be a camelCase identifier, got ${JSON.stringify(preference.name)}`);
    } else if (names.has(preference.name)) {
      problems.push(`${at}: duplicate preference name`);
    } else {
      names.add(preference.name);
    }
    if (typeof preference.description !== "string" || preference.description === "") {
      problems.push(`${at}: description is required`);
    }
    if (typeof preference.required !== "boolean") problems.push(`${at}: required must be true or false`);
    if (!PREFERENCE_TYPES.includes(String(preference.type))) {
      problems.push(
        `${at}: type must be one of ${PREFERENCE_TYPES.join(", ")}, got ${JSON.stringify(preference.type)}`,
      );
    }
    if (preference.type === "checkbox") {
      if (typeof preference.label !== "string" || preference.label === "")
        problems.push(`${at}: a checkbox needs a label`);
      if (preference.default !== undefined && typeof preference.default !== "boolean") {
        problems.push(`${at}: a checkbox default must be true or false`);
      }
    } else if (typeof preference.title !== "string" || preference.title === "") {
      problems.push(`${at}: title is required`);
    }
    if (typeof preference.title === "string" && !isTitleCase(preference.title)) {
      problems.push(`${at}: title ${JSON.stringify(preference.title)} is not in Title Case`);
    }
    if (preference.type === "dropdown") {
      const data = preference.data;
      if (!Array.isArray(data) || data.length === 0) {
        problems.push(`${at}: a dropdown needs data (a list of { title, value })`);
      } else {
        const values = data.map((item) => (isObject(item) ? item.value : undefined));
        data.forEach((item, i) => {
          if (!isObject(item) || typeof item.title !== "string" || typeof item.value !== "string") {
            problems.push(`${at}: data[${i}] needs a title and a value (strings)`);
          }
        });
        if (preference.default !== undefined && !values.includes(preference.default)) {
          problems.push(`${at}: default ${JSON.stringify(preference.default)} is not one of the dropdown values`);
        }
      }
    }
  }
}

function checkIcon(root: string, icon: unknown, where: string, problems: string[]): void {
  if (typeof icon !== "string" || icon === "") {
    problems.push(`${where}: icon is required (a 512x512 PNG in assets/)`);
    return;
  }
  const file = join(root, "assets", icon);
  if (!existsSync(file)) {
    problems.push(`${where}: icon assets/${icon} does not exist`);
    return;
  }
  const header = readPngHeader(readFileSync(file));
  if (!header) problems.push(`${where}: icon assets/${icon} is not a PNG file`);
  else if (header.width !== 512 || header.height !== 512) {
    problems.push(`${where}: icon assets/${icon} is ${header.width}x${header.height}, must be 512x512`);
  }
}

/** Raycast loads a command's whole bundle on every launch: each must stay under this many bytes. */
export { BUNDLE_BUDGET_BYTES };

/** Commands whose built bundle (`DIR/<name>.js`) is missing or over the budget. */
export function checkBundles(manifest: unknown, dir: string): string[] {
  if (!isObject(manifest) || !Array.isArray(manifest.commands)) return [];
  const problems: string[] = [];
  for (const command of manifest.commands) {
    if (!isObject(command)) continue;
    const file = join(dir, `${String(command.name)}.js`);
    if (!existsSync(file)) {
      problems.push(`${file}: not built (run ray build -e dist -o dist)`);
      continue;
    }
    const size = statSync(file).size;
    if (size > BUNDLE_BUDGET_BYTES) {
      problems.push(`${file}: ${Math.round(size / 1024)} KB, over the ${BUNDLE_BUDGET_BYTES / 1024} KB budget`);
    }
  }
  return problems;
}

/** Every problem `ray lint` would report offline, as one line each; empty when the manifest is fine. */
export function checkManifest(manifest: unknown, root: string, stateIcons: string[] = []): string[] {
  const problems: string[] = [];
  if (!isObject(manifest)) return ["package.json: must be a JSON object"];
  if (manifest.type === "module") problems.push(`package.json: "type": "module" breaks ray develop; remove it`);
  for (const field of ["name", "title", "description", "author"]) {
    if (typeof manifest[field] !== "string" || manifest[field] === "")
      problems.push(`package.json: ${field} is required`);
  }
  if (typeof manifest.title === "string" && !isTitleCase(manifest.title)) {
    problems.push(`package.json: title ${JSON.stringify(manifest.title)} is not in Title Case`);
  }
  if (manifest.license !== "MIT") problems.push(`package.json: license must be "MIT"`);
  if (!Array.isArray(manifest.platforms) || !manifest.platforms.includes("macOS")) {
    problems.push(`package.json: platforms must include "macOS"`);
  }
  if (!Array.isArray(manifest.categories) || manifest.categories.length === 0) {
    problems.push("package.json: categories must list at least one category");
  } else {
    for (const category of manifest.categories) {
      if (!CATEGORIES.includes(String(category)))
        problems.push(`package.json: unknown category ${JSON.stringify(category)}`);
    }
  }
  checkIcon(root, manifest.icon, "package.json", problems);
  checkPreferences(manifest.preferences, "package.json", problems);

  if (!Array.isArray(manifest.commands) || manifest.commands.length === 0) {
    problems.push("package.json: commands must list at least one command");
    return problems;
  }
  const names = new Set<string>();
  for (const [index, command] of manifest.commands.entries()) {
    if (!isObject(command)) {
      problems.push(`commands[${index}]: must be an object`);
      continue;
    }
    const name = String(command.name);
    const at = `commands[${index}] (${name})`;
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name))
      problems.push(`${at}: name must be kebab-case, got ${JSON.stringify(command.name)}`);
    if (names.has(name)) problems.push(`${at}: duplicate command name`);
    names.add(name);
    if (!existsSync(join(root, "src", `${name}.ts`)) && !existsSync(join(root, "src", `${name}.tsx`))) {
      problems.push(`${at}: src/${name}.ts(x) does not exist`);
    }
    if (typeof command.title !== "string" || command.title === "") problems.push(`${at}: title is required`);
    else if (!isTitleCase(command.title))
      problems.push(`${at}: title ${JSON.stringify(command.title)} is not in Title Case`);
    if (typeof command.description !== "string" || command.description === "")
      problems.push(`${at}: description is required`);
    if (!COMMAND_MODES.includes(String(command.mode))) {
      problems.push(`${at}: mode must be one of ${COMMAND_MODES.join(", ")}, got ${JSON.stringify(command.mode)}`);
    }
    if (command.interval !== undefined) {
      if (command.mode === "view") problems.push(`${at}: interval is only for no-view and menu-bar commands`);
      const match = typeof command.interval === "string" ? command.interval.match(/^(\d+)([smhd])$/) : null;
      if (!match)
        problems.push(
          `${at}: interval must look like "1m", "30s", "1h" or "1d", got ${JSON.stringify(command.interval)}`,
        );
      else if (match[2] === "s" && Number(match[1]) < 10) problems.push(`${at}: interval must be at least 10s`);
    }
    if (command.keywords !== undefined) {
      if (!Array.isArray(command.keywords) || command.keywords.some((k) => typeof k !== "string" || k === "")) {
        problems.push(`${at}: keywords must be a list of non-empty strings`);
      }
    }
    if (command.icon !== undefined) checkIcon(root, command.icon, at, problems);
    checkPreferences(command.preferences, at, problems);
  }

  for (const icon of stateIcons) {
    const file = join(root, "assets", icon);
    if (!existsSync(file)) {
      problems.push(`assets/${icon}: state icon does not exist`);
      continue;
    }
    const bytes = readFileSync(file);
    const header = readPngHeader(bytes);
    if (!header || header.width !== header.height || header.width < 16 || header.width > 64) {
      problems.push(`assets/${icon}: state icon must be a square PNG between 16 and 64 pixels`);
    } else if (!isTemplateImage(bytes)) {
      problems.push(`assets/${icon}: state icon must be a template image (black pixels, shape in alpha)`);
    }
  }
  return problems;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const bundlesAt = args.indexOf("--bundles");
  const bundleDir = bundlesAt >= 0 ? args.splice(bundlesAt, 2)[1] : undefined;
  const path = resolve(args[0] ?? "package.json");
  const manifest: unknown = JSON.parse(readFileSync(path, "utf8"));
  const problems = checkManifest(
    manifest,
    dirname(path),
    KILL_SWITCH_STATES.map((state) => stateIconFile(state)),
  );
  if (bundleDir !== undefined) problems.push(...checkBundles(manifest, resolve(bundleDir)));
  if (problems.length > 0) {
    console.error(`Manifest check failed (${problems.length} problem${problems.length === 1 ? "" : "s"}):`);
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  console.log(
    `Manifest check passed: ${path}${bundleDir !== undefined ? ` (bundles in ${bundleDir} within budget)` : ""}`,
  );
}
