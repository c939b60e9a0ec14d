import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";

import { join, resolve } from "node:path";
import { deflateSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BUNDLE_BUDGET_BYTES,
  checkBundles,
  checkManifest,
  isTemplateImage,
  isTitleCase,
  readPngHeader,
} from "../../scripts/check-manifest";
import { KILL_SWITCH_STATES, stateIconFile } from "../../src/raycast/models/kill-switch-state";
import { COMMANDS } from "../../src/raycast/commands";
import { ENABLE_COMMAND, SERVER_PROTOCOL_COMMAND } from "../../src/raycast/actions/launch-context";
import { STATUS_COMMAND } from "../../src/raycast/reading/menu-bar-refresh";
import { temporaryDirectory } from "../temporary-directory";

const ROOT = resolve(__dirname, "../..");
const STATE_ICONS = KILL_SWITCH_STATES.map(stateIconFile);

/** A minimal PNG: 8-bit, colour type 6 (RGBA) or 2 (RGB), every pixel `pixel`. */
function png(width: number, height: number, pixel: number[]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type), data, Buffer.alloc(4)]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = pixel.length === 4 ? 6 : 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => pixel).flat())]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

let manifest: Record<string, unknown>;
beforeAll(async () => {
  manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
});

describe("the extension's manifest", () => {
  it("passes every offline check", () => {
    expect(checkManifest(manifest, ROOT, STATE_ICONS)).toEqual([]);
  });

  it("has the commands people search for, findable by the words they type", () => {
    const commands = manifest.commands as {
      name: string;
      title: string;
      mode: string;
      keywords?: string[];
      interval?: string;
    }[];
    expect(commands.map((c) => [c.name, c.title, c.mode, c.interval])).toEqual([
      ["enable-kill-switch", "Enable Kill Switch", "no-view", undefined],
      ["set-vpn-server-protocol", "Set VPN Server Protocol", "view", undefined],
      ["disable-kill-switch", "Disable Kill Switch", "no-view", undefined],
      ["kill-switch-status", "Kill Switch Status", "menu-bar", "1m"],
      ["add-exception", "Add Exception", "view", undefined],
      ["manage-exceptions", "Manage Exceptions", "view", undefined],
      ["blocked-traffic", "Blocked Traffic", "view", undefined],
      ["verify-kill-switch-rules", "Verify Kill Switch Rules", "no-view", undefined],
      ["test-kill-switch", "Test Kill Switch", "view", undefined],
      ["uninstall-kill-switch", "Uninstall Kill Switch", "no-view", undefined],
    ]);
    const keywords = (name: string) => commands.find((c) => c.name === name)?.keywords ?? [];
    expect(keywords("enable-kill-switch")).toContain("kill switch on");
    expect(keywords("disable-kill-switch")).toContain("kill switch off");
    for (const command of commands) expect(keywords(command.name)).toEqual(expect.arrayContaining(["vpn", "leak"]));
  });

  it("names in the code exactly the commands it has, each with its entry file in src/", () => {
    const names = (manifest.commands as { name: string }[]).map((c) => c.name);
    expect(Object.values(COMMANDS).sort()).toEqual([...names].sort());
    for (const name of [ENABLE_COMMAND, SERVER_PROTOCOL_COMMAND, STATUS_COMMAND]) expect(names).toContain(name);
    for (const name of names) {
      expect(
        existsSync(join(__dirname, "../../src", `${name}.ts`)) ||
          existsSync(join(__dirname, "../../src", `${name}.tsx`)),
        name,
      ).toBe(true);
    }
  });

  it("has a preference for every setting in the settings model", () => {
    const names = (manifest.preferences as { name: string }[]).map((p) => p.name);
    expect(names).toEqual([
      "vpnServers",
      "tunnelInterface",
      "trustedTunnels",
      "allowLan",
      "allowDiscovery",
      "allowAirDrop",
      "dnsResolvers",
      "authentication",
      "protectFromStartup",
      "blockedTrafficLog",
    ]);
  });

  it("ships template state icons and a 512x512 extension icon", async () => {
    for (const icon of STATE_ICONS) {
      const bytes = await readFile(join(ROOT, "assets", icon));
      expect(readPngHeader(bytes)).toMatchObject({ width: 44, height: 44 });
      expect(isTemplateImage(bytes)).toBe(true);
    }
    const icon = await readFile(join(ROOT, "assets/extension-icon.png"));
    expect(readPngHeader(icon)).toMatchObject({ width: 512, height: 512 });
    expect(isTemplateImage(icon)).toBe(false);
  });
});

describe("checkManifest", () => {
  it("reports each problem ray lint would, naming the command or preference", async () => {
    const root = temporaryDirectory("ks-manifest-");
    await mkdir(join(root, "assets"));
    await mkdir(join(root, "src"));
    await writeFile(join(root, "assets/icon.png"), png(256, 256, [0, 0, 255, 255]));
    await writeFile(join(root, "assets/bar.png"), png(22, 22, [255, 0, 0, 255]));
    await writeFile(join(root, "src/show-things.tsx"), "");
    const broken = {
      name: "x",
      title: "my extension",
      description: "d",
      author: "a",
      icon: "icon.png",
      type: "module",
      license: "ISC",
      platforms: ["Windows"],
      categories: ["Gadgets"],
      preferences: [
        { name: "flag", title: "Flag", description: "d", type: "checkbox", required: false },
        { name: "pick", title: "Pick", description: "d", type: "dropdown", required: true, default: "c" },
        { name: "color", title: "Color", description: "d", type: "colour", required: false },
      ],
      commands: [
        { name: "show-things", title: "Show things", description: "d", mode: "window" },
        { name: "missing-file", title: "Missing File", description: "d", mode: "view", interval: "1m" },
        { name: "refresh", title: "Refresh", description: "d", mode: "menu-bar", interval: "60" },
      ],
    };
    expect(checkManifest(broken, root, ["bar.png"])).toEqual([
      'package.json: "type": "module" breaks ray develop; remove it',
      'package.json: title "my extension" is not in Title Case',
      'package.json: license must be "MIT"',
      'package.json: platforms must include "macOS"',
      'package.json: unknown category "Gadgets"',
      "package.json: icon assets/icon.png is 256x256, must be 512x512",
      "package.json.preferences[0] (flag): a checkbox needs a label",
      "package.json.preferences[1] (pick): a dropdown needs data (a list of { title, value })",
      'package.json.preferences[2] (color): type must be one of textfield, password, checkbox, dropdown, appPicker, file, directory, got "colour"',
      'commands[0] (show-things): title "Show things" is not in Title Case',
      'commands[0] (show-things): mode must be one of view, no-view, menu-bar, got "window"',
      "commands[1] (missing-file): src/missing-file.ts(x) does not exist",
      "commands[1] (missing-file): interval is only for no-view and menu-bar commands",
      "commands[2] (refresh): src/refresh.ts(x) does not exist",
      'commands[2] (refresh): interval must look like "1m", "30s", "1h" or "1d", got "60"',
      "assets/bar.png: state icon must be a template image (black pixels, shape in alpha)",
    ]);
  });

  it("knows Title Case", () => {
    expect(isTitleCase("Allow Captive Portal for 5 Minutes")).toBe(true);
    expect(isTitleCase("VPN Kill Switch")).toBe(true);
    expect(isTitleCase("enable Kill Switch")).toBe(false);
    expect(isTitleCase("Add exception")).toBe(false);
  });

  it("tells PNG files from other files", () => {
    expect(readPngHeader(Buffer.from("GIF89a not a png at all, clearly not"))).toBeNull();
    expect(isTemplateImage(png(4, 4, [0, 0, 0, 255]))).toBe(true);
    expect(isTemplateImage(png(4, 4, [0, 0, 0, 0]))).toBe(false);
    expect(isTemplateImage(png(4, 4, [0, 0, 0]))).toBe(false);
  });
});

describe("checkBundles", () => {
  it("names a command whose bundle is missing or over the budget", async () => {
    const dir = temporaryDirectory("ks-dist-");
    await writeFile(join(dir, "small.js"), "x".repeat(1000));
    await writeFile(join(dir, "large.js"), "x".repeat(BUNDLE_BUDGET_BYTES + 1));
    const commands = [{ name: "small" }, { name: "large" }, { name: "absent" }];
    expect(checkBundles({ commands }, dir)).toEqual([
      `${join(dir, "large.js")}: 256 KB, over the 256 KB budget`,
      `${join(dir, "absent.js")}: not built (run ray build -e dist -o dist)`,
    ]);
  });
});
