/**
 * The workflow's Node finder (src/alfred/scripts/find-node.sh) with a fake HOME and fake system folders: it
 * takes the first Node 20 or later in the documented order, nvm's and fnm's newest by version (not by name), the
 * login shell's as a last resort, hands the query on as one argument, and says how to install Node when there is
 * none, as an Alfred item for the Script Filter and a notification's text otherwise.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryDirectory } from "../temporary-directory";
import { runScriptSchema, scriptFilterSchema } from "./script-filter-schema";

const FINDER = resolve(__dirname, "../../src/alfred/scripts/find-node.sh");

/** A fake `node` at `path` answering `--version` with `version`, else printing what it was run with, a line each. */
function fakeNode(path: string, version: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo ${version}; exit 0; fi\necho "node ${version}"\nfor a; do printf '%s\\n' "$a"; done\n`,
    { mode: 0o755 },
  );
  return path;
}

interface Machine {
  home: string;
  root: string;
  folder: string;
  shell: string;
}

function machine(): Machine {
  const base = temporaryDirectory("find-node-");
  const folder = join(base, "workflow");
  mkdirSync(folder);
  copyFileSync(FINDER, join(folder, "find-node.sh"));
  const shell = join(base, "login-shell");
  // A login shell whose PATH has no node (what it prints first is a greeting, as some profiles do).
  writeFileSync(shell, '#!/bin/sh\necho "Welcome"\nexit 1\n', { mode: 0o755 });
  return { home: join(base, "home"), root: join(base, "root"), folder, shell };
}

function find(m: Machine, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; lines: string[]; stdout: string }>((done) => {
    execFile(
      "/bin/sh",
      [join(m.folder, "find-node.sh"), ...args],
      {
        cwd: m.folder,
        env: { HOME: m.home, PATH: "/usr/bin:/bin", SHELL: m.shell, KILLSWITCH_SYSTEM_ROOT: m.root, ...env },
      },
      (error, stdout) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, lines: stdout.split("\n").filter(Boolean) }),
    );
  });
}

describe("the Node finder", () => {
  it("runs the program with the first Node 20 or later, the mode and the query as one argument each", async () => {
    const m = machine();
    fakeNode(join(m.root, "usr/bin/node"), "v20.0.0");
    fakeNode(join(m.home, ".nvm/versions/node/v22.3.0/bin/node"), "v22.3.0");
    fakeNode(join(m.root, "usr/local/bin/node"), "v21.1.0");
    fakeNode(join(m.root, "opt/homebrew/bin/node"), "v18.20.0");
    const run = await find(m, ["filter", `add nas.local "Bob's NAS" $HOME`]);
    expect(run.lines).toEqual([
      "node v21.1.0",
      join(m.folder, "alfred.cjs"),
      "filter",
      `add nas.local "Bob's NAS" $HOME`,
    ]);
  });

  it("takes nvm's newest version by number, not by name, and fnm's default before its newest", async () => {
    const m = machine();
    for (const version of ["v9.11.2", "v18.19.0", "v20.11.1", "v22.3.0"]) {
      fakeNode(join(m.home, `.nvm/versions/node/${version}/bin/node`), version);
    }
    // Not a version: never taken for the newest.
    fakeNode(join(m.home, ".nvm/versions/node/lts-latest/bin/node"), "v99.0.0");
    expect((await find(m, ["filter"])).lines[0]).toBe("node v22.3.0");

    const f = machine();
    const fnm = join(f.home, "Library/Application Support/fnm");
    fakeNode(join(fnm, "node-versions/v23.0.0/installation/bin/node"), "v23.0.0");
    expect((await find(f, ["filter"])).lines[0]).toBe("node v23.0.0");
    fakeNode(join(fnm, "aliases/default/bin/node"), "v20.5.0");
    expect((await find(f, ["filter"])).lines[0]).toBe("node v20.5.0");
  });

  it("then Volta, then /usr/bin, then the login shell's PATH; the node_path variable before all", async () => {
    const m = machine();
    const fromShell = fakeNode(join(m.home, "somewhere/bin/node"), "v24.0.0");
    writeFileSync(m.shell, `#!/bin/sh\n[ "$1" = -lc ] || exit 2\necho "Welcome"\necho ${fromShell}\n`, { mode: 0o755 });
    expect((await find(m, ["filter"])).lines[0]).toBe("node v24.0.0");
    fakeNode(join(m.root, "usr/bin/node"), "v20.1.0");
    expect((await find(m, ["filter"])).lines[0]).toBe("node v20.1.0");
    fakeNode(join(m.home, ".volta/bin/node"), "v22.0.0");
    expect((await find(m, ["filter"])).lines[0]).toBe("node v22.0.0");
    const chosen = fakeNode(join(m.home, "chosen/node"), "v20.9.0");
    expect((await find(m, ["filter"], { node_path: chosen })).lines[0]).toBe("node v20.9.0");
    expect((await find(m, ["filter"], { node_path: join(m.home, "nothing/node") })).lines[0]).toBe("node v22.0.0");
  });

  it("says how to install Node when there is none, naming one too old, as an item or a notification", async () => {
    const m = machine();
    const none = await find(m, ["filter", ""]);
    expect(none.code).toBe(0);
    expect(scriptFilterSchema.parse(JSON.parse(none.stdout)).items).toMatchObject([
      {
        uid: "node-missing",
        title: "Node.js 20 or Later Is Needed",
        subtitle: expect.stringMatching(/^No Node\.js found .* Install it with Homebrew \(brew install node\)/),
        valid: false,
      },
    ]);
    const old = fakeNode(join(m.root, "usr/local/bin/node"), "v18.19.0");
    const tooOld = scriptFilterSchema.parse(JSON.parse((await find(m, ["filter", ""])).stdout));
    expect(tooOld.items[0].subtitle).toMatch(new RegExp(`^Found only ${old} \\(v18\\), too old\\.`));
    const notification = runScriptSchema.parse(JSON.parse((await find(m, ["run", "{}"])).stdout));
    expect(notification.alfredworkflow).toMatchObject({
      arg: expect.stringMatching(/^Found only .* \(v18\), too old\. Install it/),
      variables: { notification_title: "Node.js 20 or Later Is Needed" },
    });
  });
});
