/**
 * The workflow `npm run build:alfred` makes, opened as Alfred opens it: info.plist at the root of the zip, every
 * object its connections name, the keyword, every file it runs inside the archive. Then its Script Filter run as
 * Alfred runs it (Alfred's variables, the query as the argument, the workflow's folder as the working directory,
 * Node found by its finder) on the fake Mac in each state, its JSON checked against Alfred's format, its state in
 * the same words as `killswitch status`.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "plist";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_ID, KEYWORDS, WORKFLOW_FILE_NAME, buildAlfredWorkflow } from "../../scripts/build-alfred.mjs";
import { parseAction } from "../../src/alfred/actions";
import { ALFRED_KEYWORD } from "../../src/alfred/items";
import type { KillSwitchState } from "../../src/lifecycle";
import { KILL_SWITCH_STATES } from "../../src/raycast/models/kill-switch-state";
import { ACTION_TITLES, asksMore, captivePortalTitle } from "../../src/words/actions";
import { STATE_NAMES } from "../../src/words/states";
import { runKillswitch } from "../cli/cli-harness";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macSnapshot } from "../fakes/networks";
import { writeRecordedState } from "../fakes/recorded-state";
import { temporaryDirectory } from "../temporary-directory";
import { alfredEnvironment } from "./alfred-harness";
import { checkedScriptFilter } from "./script-filter-schema";
import { type ArchivedFile, readArchive, unpack } from "./workflow-archive";

interface PlistObject {
  type: string;
  uid: string;
  config: Record<string, unknown>;
}
interface WorkflowInfo {
  bundleid: string;
  objects: PlistObject[];
  connections: Record<string, { destinationuid: string; modifiers: number }[]>;
}

let archivePath: string;
let files: Map<string, ArchivedFile>;
let folder: string;

beforeAll(async () => {
  archivePath = await buildAlfredWorkflow({ outDir: temporaryDirectory("alfred-build-") });
  files = await readArchive(archivePath);
  folder = temporaryDirectory("alfred-workflow-");
  unpack(files, folder);
});

const info = () => parse(files.get("info.plist")?.data.toString("utf8") ?? "") as unknown as WorkflowInfo;

describe("the built workflow", () => {
  it("is the file npm run build:alfred names, a zip with info.plist at its root", () => {
    const manifest = JSON.parse(readFileSync(resolve(__dirname, "../../package.json"), "utf8"));
    expect(manifest.scripts["build:alfred"]).toContain("scripts/build-alfred.mjs");
    expect(archivePath.endsWith(`/${WORKFLOW_FILE_NAME}`)).toBe(true);
    expect(WORKFLOW_FILE_NAME).toBe("VPN Kill Switch.alfredworkflow");
    expect(files.has("info.plist")).toBe(true);
    expect(info().bundleid).toBe(BUNDLE_ID);
  });

  it("is called by the keyword ks, and by kill switch", () => {
    const keywords = info()
      .objects.filter((object) => object.type === "alfred.workflow.input.scriptfilter")
      .map((object) => object.config.keyword);
    expect(keywords).toEqual(KEYWORDS);
    expect(keywords[0]).toBe(ALFRED_KEYWORD);
  });

  it("connects only objects it has: ↵ to the Run Script and its notification, ⌘ to edit, ⌥ to copy", () => {
    const { objects, connections } = info();
    const uids = new Set(objects.map((object) => object.uid));
    expect(uids.size).toBe(objects.length);
    for (const [source, links] of Object.entries(connections)) {
      expect(uids.has(source), source).toBe(true);
      for (const link of links) expect(uids.has(link.destinationuid), link.destinationuid).toBe(true);
    }
    const typeOf = (uid: string) => objects.find((object) => object.uid === uid)?.type;
    const filter = objects.find((object) => object.config.keyword === "ks") as PlistObject;
    expect(connections[filter.uid].map((link) => [link.modifiers, typeOf(link.destinationuid)])).toEqual([
      [0, "alfred.workflow.action.script"],
      [1048576, "alfred.workflow.action.script"],
      [524288, "alfred.workflow.output.clipboard"],
    ]);
    const run = connections[filter.uid][0].destinationuid;
    expect(connections[run].map((link) => typeOf(link.destinationuid))).toEqual([
      "alfred.workflow.output.notification",
    ]);
  });

  it("holds every file it runs, executable, and what they run: the Node finder, the program, the root script", () => {
    const scripts = info()
      .objects.map((object) => object.config.scriptfile)
      .filter((file): file is string => typeof file === "string" && file !== "");
    expect(scripts.length).toBeGreaterThan(0);
    for (const object of info().objects.filter((o) => "scriptfile" in o.config)) {
      // An external script, handed the query as its argument.
      expect(object.config).toMatchObject({ type: 8, scriptargtype: 1, script: "" });
    }
    const run = new Set<string>();
    for (const script of scripts) {
      expect(files.get(script)?.mode, script).toBe(0o755);
      const text = files.get(script)?.data.toString("utf8") ?? "";
      // Each runs the finder beside it, which runs the program beside it.
      for (const [, name] of text.matchAll(/"\$\(dirname "\$0"\)\/([\w.-]+)"/g)) run.add(name);
    }
    expect([...run]).toEqual(["find-node.sh"]);
    const finder = files.get("find-node.sh")?.data.toString("utf8") ?? "";
    expect(finder).toContain('exec "$found" "$here/alfred.cjs" "$@"');
    for (const file of [...run, "alfred.cjs", "assets/killswitch-root.sh", "icon.png"])
      expect(files.has(file), file).toBe(true);
  });
});

const BOOT = 1_700_000_000;

/** The fake Mac in `state`, from the records Enable and the watchdog leave (no clock is read to judge them). */
function macIn(state: KillSwitchState): FakeMac {
  const vpnDown = state === "blocking";
  const mac = createFakeMac({
    bootTime: BOOT,
    ...(vpnDown ? { network: macSnapshot({ wifi: "home", vpn: null }) } : {}),
  });
  const watched = (check: Record<string, unknown> = {}) =>
    writeFileSync(
      `${mac.stateDirectory}/watchdog.json`,
      // A watchdog that checks so seldom that the real clock never finds it late.
      JSON.stringify({
        version: 1,
        checkedAt: BOOT + 100,
        bootTime: BOOT,
        result: "ok",
        message: "",
        intervalSeconds: 1e9,
        ...check,
      }),
    );
  switch (state) {
    case "protected":
    case "blocking":
      writeRecordedState(mac, BOOT, { protectFromStartup: true });
      watched();
      break;
    case "unverified":
      writeRecordedState(mac, BOOT, { protectFromStartup: false });
      break;
    case "not-protected":
      // Recorded in an earlier boot, and nothing put the rules back in this one.
      writeRecordedState(mac, BOOT - 86_400, { protectFromStartup: true });
      break;
    case "safe-mode":
      writeRecordedState(mac, BOOT, { protectFromStartup: true });
      watched({ result: "failed", failedClosed: true, message: "pf refused the rules" });
      break;
    case "watchdog-stopped":
      // Its last check was in 2023, and it checks every second: any clock since finds it silent.
      writeRecordedState(mac, BOOT, { protectFromStartup: true });
      watched({ intervalSeconds: 1 });
      break;
    case "unknown":
      writeRecordedState(mac, BOOT, { status: "maybe" });
      break;
    case "off":
      break;
  }
  return mac;
}

/** A user with Node where Volta puts it, and Alfred's variables for this workflow. */
function alfredUserHome() {
  const home = temporaryDirectory("alfred-user-");
  mkdirSync(join(home, ".volta/bin"), { recursive: true });
  symlinkSync(process.execPath, join(home, ".volta/bin/node"));
  return alfredEnvironment(home, folder);
}

/** Runs a script of the workflow as Alfred does: its path, the query as the one argument, in the workflow's folder. */
function runAsAlfred(script: string, argument: string, env: Record<string, string>, mac: FakeMac) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      join(folder, script),
      [argument],
      { cwd: folder, env: { ...env, PATH: "/usr/bin:/bin", SHELL: "/bin/false", KILLSWITCH_SYSTEM_ROOT: mac.root } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Every title an action item may have. */
const ACTION_WORDS = new Set([
  ...Object.values(ACTION_TITLES),
  ...Object.values(ACTION_TITLES).map(asksMore),
  captivePortalTitle(2),
  captivePortalTitle(5),
]);

let mac: FakeMac | undefined;
afterEach(() => mac?.cleanup());

describe("its Script Filter, run as Alfred runs it on the fake Mac", () => {
  it.each(KILL_SWITCH_STATES)(
    "%s: Alfred's format, the state first in Status's words, actions by their titles",
    async (state) => {
      const fake = macIn(state);
      mac = fake;
      const env = alfredUserHome();
      const run = await runAsAlfred("script-filter.sh", "", env, fake);
      expect(run).toMatchObject({ code: 0, stderr: "" });
      const output = checkedScriptFilter(run.stdout);
      expect(output.skipknowledge).toBe(true);
      expect(output.items[0]).toMatchObject({
        uid: "state",
        title: STATE_NAMES[state],
        icon: { path: `icons/state-${state}.png` },
      });
      for (const item of output.items) {
        if (item.icon) expect(files.has(item.icon.path), item.icon.path).toBe(true);
        if (item.uid?.startsWith("action-")) expect(ACTION_WORDS.has(item.title), item.title).toBe(true);
        // What ↵ hands the Run Script is an action of the workflow.
        if (item.valid !== false) expect(parseAction(String(item.arg)).ok, item.title).toBe(true);
      }
      const titles = output.items.map((item) => item.title);
      expect(titles.includes(ACTION_TITLES.enable)).toBe(!["protected", "blocking"].includes(state));
      expect(titles.includes(ACTION_TITLES.disable)).toBe(state !== "off");
      // Only while blocking for want of the VPN: a sign-in page comes before the VPN connects.
      expect(titles.includes(captivePortalTitle(2))).toBe(state === "blocking");
      // The terminal names the state with the same word.
      const cli = await runKillswitch(["status", "--json"], { platform: "darwin", system: fake.system });
      const status = JSON.parse(cli.stdout);
      expect(status.state).toBe(state);
      expect(status.headline.startsWith(`${STATE_NAMES[state]}: `)).toBe(true);
    },
  );

  it("says how to install Node when the finder finds none, in Alfred's format", async () => {
    const fake = createFakeMac();
    mac = fake;
    const env = alfredEnvironment(temporaryDirectory("alfred-no-node-"), folder);
    const run = await runAsAlfred("script-filter.sh", "", env, fake);
    expect(run.code).toBe(0);
    expect(checkedScriptFilter(run.stdout).items).toMatchObject([
      { title: "Node.js 20 or Later Is Needed", valid: false, mods: { alt: { arg: "brew install node" } } },
    ]);
  });
});
