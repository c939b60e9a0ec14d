/** Without --config, every command reads the user's settings file: the one the Raycast extension keeps too. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { userSettingsPath } from "../../src/settings/settings-file";
import { temporaryDirectory } from "../temporary-directory";
import { runKillswitch } from "./cli-harness";

function homeWith(text: string | null): string {
  const home = temporaryDirectory("cli-home-");
  if (text !== null) {
    mkdirSync(dirname(userSettingsPath(home)), { recursive: true });
    writeFileSync(userSettingsPath(home), text);
  }
  return home;
}

const PRINTER = { exceptions: [{ address: "192.168.1.20", protocol: "tcp", port: 631, label: "Printer" }] };

describe("the user's settings file as the CLI's default", () => {
  it("is what preview and verify use when no --config is given", async () => {
    const home = homeWith(JSON.stringify(PRINTER));
    const preview = await runKillswitch(["preview", "--rules-only"], { env: { HOME: home } });
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain("to 192.168.1.20 port 631");
    const verify = await runKillswitch(["verify"], { env: { HOME: home } });
    expect(verify.stdout).toContain(`against the settings in ${userSettingsPath(home)} on the network`);
  });

  it("gives the defaults while there is none, and says so", async () => {
    const home = homeWith(null);
    const verify = await runKillswitch(["verify"], { env: { HOME: home } });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain(`against the default settings (no ${userSettingsPath(home)} yet)`);
  });

  it("gives way to --config", async () => {
    const home = homeWith("{ broken");
    const dir = temporaryDirectory("cli-config-");
    writeFileSync(`${dir}/settings.json`, "{}");
    const run = await runKillswitch(["preview", "--config", "settings.json"], { env: { HOME: home }, cwd: dir });
    expect(run.code).toBe(0);
  });

  it("names the file and the field when it is corrupt or invalid (exit 2)", async () => {
    const broken = homeWith("{ broken");
    const run = await runKillswitch(["preview"], { env: { HOME: broken } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(`^killswitch preview: settings file ${userSettingsPath(broken)} is not valid JSON: `),
    );
    const invalid = homeWith('{ "allowLan": "yes" }');
    const json = await runKillswitch(["preview", "--json"], { env: { HOME: invalid } });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toEqual({
      field: "allowLan",
      value: '"yes"',
      message: `settings file ${userSettingsPath(invalid)} holds invalid settings:\n  allowLan: expected boolean, got "yes"`,
    });
  });

  it("needs HOME to find it", async () => {
    const run = await runKillswitch(["preview"], { env: {} });
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toBe(
      "killswitch preview: HOME is not set, so the user's settings file cannot be found: give --config FILE\n",
    );
  });
});
