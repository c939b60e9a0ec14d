// Builds the Alfred workflow from the same source as the CLI and the Raycast commands:
// dist-alfred/VPN Kill Switch.alfredworkflow, a zip with info.plist at its root, the workflow's program
// (src/alfred.ts bundled into alfred.cjs), the Node finder and the scripts Alfred runs, the root script and the
// menu bar's icons. Run `npm run build:alfred` (which generates the root script first); open the file to install.
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { build as buildPlist } from "plist";
import yazl from "yazl";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export const WORKFLOW_FILE_NAME = "VPN Kill Switch.alfredworkflow";
export const BUNDLE_ID = "com.vpnkillswitch.alfred";
/** The Script Filter's keywords: `ks`, and the words. */
export const KEYWORDS = ["ks", "kill switch"];
/** The scripts Alfred runs (external script files), and the finder they run through. */
export const SCRIPT_FILES = ["script-filter.sh", "run-action.sh", "open-query.sh", "find-node.sh"];

const SCRIPTS = here("../src/alfred/scripts/");
const ASSETS = here("../assets/");

// Fixed ids, so that each build of the same source is the same workflow to Alfred.
const UID = {
  filter: "6A1F3C2E-0B7D-4E55-9C1A-7D2B8E4F0A11",
  filterWords: "6A1F3C2E-0B7D-4E55-9C1A-7D2B8E4F0A12",
  run: "6A1F3C2E-0B7D-4E55-9C1A-7D2B8E4F0A21",
  notify: "6A1F3C2E-0B7D-4E55-9C1A-7D2B8E4F0A22",
  open: "6A1F3C2E-0B7D-4E55-9C1A-7D2B8E4F0A31",
  copy: "6A1F3C2E-0B7D-4E55-9C1A-7D2B8E4F0A41",
};

/** Alfred's modifier bits on a connection. */
const MODIFIER = { none: 0, alt: 524288, cmd: 1048576 };

const scriptFilter = (uid, keyword) => ({
  type: "alfred.workflow.input.scriptfilter",
  uid,
  version: 3,
  config: {
    keyword,
    withspace: true,
    // The words after the keyword are optional.
    argumenttype: 1,
    argumenttrimmode: 0,
    argumenttreatemptyqueryasnil: false,
    title: "VPN Kill Switch",
    subtext: "Protected, Blocking… Enable, Disable, Test, Verify, exceptions",
    runningsubtext: "Reading the kill switch…",
    // An external script, given the query as its argument (never pasted into script text).
    type: 8,
    scriptfile: "script-filter.sh",
    script: "",
    scriptargtype: 1,
    escaping: 0,
    // The program filters its own items; a new keystroke ends the run before it.
    alfredfiltersresults: false,
    alfredfiltersresultsmatchmode: 0,
    queuedelaycustom: 3,
    queuedelayimmediatelyinitially: true,
    queuedelaymode: 0,
    queuemode: 2,
  },
});

const runScript = (uid, scriptfile) => ({
  type: "alfred.workflow.action.script",
  uid,
  version: 2,
  config: { type: 8, scriptfile, script: "", scriptargtype: 1, escaping: 0, concurrently: true },
});

const link = (destinationuid, modifiers = MODIFIER.none, modifiersubtext = "") => ({
  destinationuid,
  modifiers,
  modifiersubtext,
  vitoclose: false,
});

/** The filter's three ways out: ↵ runs the item's action, ⌘↵ edits it, ⌥↵ copies it. */
const filterLinks = () => [link(UID.run), link(UID.open, MODIFIER.cmd, "Edit"), link(UID.copy, MODIFIER.alt, "Copy")];

/** info.plist: the workflow's objects and how they connect. */
export function workflowInfo() {
  return {
    bundleid: BUNDLE_ID,
    name: "VPN Kill Switch",
    description: "Keep every packet inside your VPN: the kill switch's state, its actions and exceptions.",
    category: "Tools",
    createdby: "vpn-kill-switch",
    webaddress: "https://github.com/vpn-kill-switch/vpn-kill-switch",
    readme:
      "Type ks (or kill switch) for the state and the actions; ks add 192.168.1.20 tcp 631 printer adds an exception. " +
      "↵ runs an item, ⌘↵ edits it, ⌥↵ copies it. Needs Node.js 20 or later (Homebrew, nvm, fnm, Volta): set " +
      "node_path to a node when it is elsewhere.",
    version: "1.0.0",
    disabled: false,
    variables: { node_path: "" },
    variablesdontexport: ["node_path"],
    objects: [
      scriptFilter(UID.filter, KEYWORDS[0]),
      scriptFilter(UID.filterWords, KEYWORDS[1]),
      runScript(UID.run, "run-action.sh"),
      {
        type: "alfred.workflow.output.notification",
        uid: UID.notify,
        version: 1,
        config: {
          title: "{var:notification_title}",
          text: "{query}",
          lastpathcomponent: false,
          onlyshowifquerypopulated: true,
          removeextension: false,
        },
      },
      runScript(UID.open, "open-query.sh"),
      {
        type: "alfred.workflow.output.clipboard",
        uid: UID.copy,
        version: 3,
        config: { clipboardtext: "{query}", autopaste: false, ignoredynamicplaceholders: true, transient: false },
      },
    ],
    connections: {
      [UID.filter]: filterLinks(),
      [UID.filterWords]: filterLinks(),
      [UID.run]: [link(UID.notify)],
    },
    uidata: {
      [UID.filter]: { xpos: 40, ypos: 60 },
      [UID.filterWords]: { xpos: 40, ypos: 240 },
      [UID.run]: { xpos: 300, ypos: 40 },
      [UID.notify]: { xpos: 520, ypos: 40 },
      [UID.open]: { xpos: 300, ypos: 180 },
      [UID.copy]: { xpos: 300, ypos: 320 },
    },
  };
}

/** The workflow's program: src/alfred.ts and all it uses, in one CommonJS file for the Node the finder found. */
async function bundleProgram() {
  const result = await build({
    entryPoints: [here("../src/alfred.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    write: false,
    logLevel: "warning",
    // Raycast's runtime is no part of the workflow: a module that needs it must not be reached.
    external: ["@raycast/api", "@raycast/utils"],
  });
  return Buffer.from(result.outputFiles[0].contents);
}

/** Every file of the workflow, by its path inside the archive, with its mode. */
export async function workflowFiles() {
  const icons = readdirSync(ASSETS).filter((name) => /^state-[a-z-]+\.png$/.test(name));
  return [
    { path: "info.plist", data: Buffer.from(buildPlist(workflowInfo())), mode: 0o644 },
    { path: "icon.png", data: readFileSync(join(ASSETS, "extension-icon.png")), mode: 0o644 },
    { path: "alfred.cjs", data: await bundleProgram(), mode: 0o644 },
    // Checked against the SHA-256 the program was built with before it runs as root.
    { path: "assets/killswitch-root.sh", data: readFileSync(join(ASSETS, "killswitch-root.sh")), mode: 0o644 },
    ...SCRIPT_FILES.map((name) => ({ path: name, data: readFileSync(join(SCRIPTS, name)), mode: 0o755 })),
    ...icons.map((name) => ({ path: `icons/${name}`, data: readFileSync(join(ASSETS, name)), mode: 0o644 })),
  ];
}

/** Writes the .alfredworkflow into `outDir`; returns its path. */
export async function buildAlfredWorkflow({ outDir = here("../dist-alfred") } = {}) {
  const zip = new yazl.ZipFile();
  // A fixed time, so that the same source makes the same archive.
  const mtime = new Date("2020-01-01T00:00:00Z");
  for (const file of await workflowFiles()) zip.addBuffer(file.data, file.path, { mtime, mode: 0o100000 | file.mode });
  zip.end();
  const chunks = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk);
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, WORKFLOW_FILE_NAME);
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const path = await buildAlfredWorkflow();
  process.stdout.write(`${path}\n`);
}
