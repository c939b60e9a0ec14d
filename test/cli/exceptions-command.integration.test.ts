/**
 * killswitch exceptions on the fake Mac: --here takes this network's identity, and a change made while the kill
 * switch is on is applied at once with one prompt, as Raycast's Manage Exceptions does. Two CLI processes
 * changing the list at once both keep their change.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ANCHOR_NAME } from "../../src/lifecycle";
import { userSettingsPath } from "../../src/settings/settings-file";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { temporaryDirectory } from "../temporary-directory";
import { bundleKillswitch, runKillswitch } from "./cli-harness";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const HOME_NETWORK = "gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24";

/** A user of the fake Mac with `settings` in their settings file. */
function user(settings: Record<string, unknown>) {
  const home = temporaryDirectory("cli-exceptions-mac-");
  const path = userSettingsPath(home);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(settings));
  return {
    path,
    run: (argv: string[]) => runKillswitch(argv, { platform: "darwin", system: mac.system, env: { HOME: home } }),
    exceptions: () => JSON.parse(readFileSync(path, "utf8")).exceptions as Record<string, unknown>[],
  };
}

const filterRules = () => (mac.readPf().anchors[ANCHOR_NAME]?.filter ?? []).join("\n");

describe("killswitch exceptions on a Mac", () => {
  it("--here scopes to this network, recording its link security, and says it applies here", async () => {
    mac = createFakeMac();
    const ana = user({ protectFromStartup: false });
    const run = await ana.run(["exceptions", "add", "192.168.1.20", "--here", "--protocol", "tcp", "--port", "631"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^Exception added: 192\.168\.1\.20, TCP 631, this network \[[0-9a-f]{8}\]/);
    expect(ana.exceptions()).toMatchObject([
      { address: "192.168.1.20", scope: HOME_NETWORK, scopeSecurity: "WPA2_PSK" },
    ]);
    expect((await ana.run(["exceptions", "list"])).stdout).toContain(
      "192.168.1.20, TCP 631, this network (applies now)",
    );
    expect(mac.prompts()).toHaveLength(0);
  });

  it("applies a change at once while the kill switch is on, with one prompt each", async () => {
    mac = createFakeMac();
    const ana = user({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false });
    expect((await ana.run(["enable"])).code).toBe(0);
    expect(filterRules()).not.toContain("192.168.1.20");

    const add = await ana.run(["exceptions", "add", "192.168.1.20", "--protocol", "tcp", "--port", "631"]);
    expect(add).toMatchObject({ code: 0, stderr: "" });
    expect(add.stdout).toContain("Kill switch rules reloaded.");
    expect(filterRules()).toContain("to 192.168.1.20 port 631");
    expect(mac.prompts()).toHaveLength(2);

    const id = String(ana.exceptions()[0].id);
    const off = await ana.run(["exceptions", "disable", id, "--json"]);
    expect(JSON.parse(off.stdout)).toMatchObject({ ok: true, applied: { action: "apply" } });
    expect(filterRules()).not.toContain("192.168.1.20");
    expect(mac.prompts()).toHaveLength(3);
  });

  it("keeps the change, and says it is not applied, when the prompt is cancelled", async () => {
    mac = createFakeMac();
    const ana = user({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false });
    expect((await ana.run(["enable"])).code).toBe(0);
    mac.setPasswordDialog("cancel");
    const add = await ana.run(["exceptions", "add", "192.168.1.20"]);
    expect(add.code).toBe(1);
    expect(add.stderr).toBe(
      "Not applied now: Cancelled: nothing was changed.\nIt applies at the next `killswitch enable`.\n",
    );
    expect(ana.exceptions()).toMatchObject([{ address: "192.168.1.20" }]);
    expect(filterRules()).not.toContain("192.168.1.20");
    const json = await ana.run(["exceptions", "add", "192.168.1.21", "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      exception: { address: "192.168.1.21" },
      applied: null,
      error: { kind: "cancelled", nothingChanged: true },
    });
  });
});

describe("two killswitch processes changing the exceptions at once", () => {
  it("keep both changes, round after round", async () => {
    const dir = temporaryDirectory("cli-concurrent-");
    const cli = bundleKillswitch(dir);
    const home = join(dir, "home");
    const add = (address: string) =>
      new Promise<number>((done) => {
        // Not a Mac: the change is saved only, so each process is quick and the two overlap.
        const child = spawn(process.execPath, [cli, "exceptions", "add", address], {
          env: { HOME: home, PATH: process.env.PATH },
          stdio: "ignore",
        });
        child.on("close", (code) => done(code ?? -1));
      });
    const rounds = 4;
    for (let round = 1; round <= rounds; round++) {
      expect(await Promise.all([add(`192.168.10.${round}`), add(`192.168.20.${round}`)])).toEqual([0, 0]);
    }
    const addresses = JSON.parse(readFileSync(userSettingsPath(home), "utf8")).exceptions.map(
      (e: { address: string }) => e.address,
    );
    expect([...addresses].sort()).toEqual(
      Array.from({ length: rounds }, (_, i) => [`192.168.10.${i + 1}`, `192.168.20.${i + 1}`])
        .flat()
        .sort(),
    );
  });
});
