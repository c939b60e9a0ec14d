/**
 * killswitch verify --in-force on the fake Mac: the rules the kill switch last loaded, judged as Raycast's Verify
 * Kill Switch Rules judges them, without a password.
 */
import { appendFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { RULES_FILE } from "../../src/privileged/paths";
import { systemPath } from "../../src/system/commands";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { runKillswitch } from "./cli-harness";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const onMac = (argv: string[]) => runKillswitch(argv, { platform: "darwin", system: mac.system });

describe("killswitch verify --in-force", () => {
  it("passes the rules Enable loaded, fails them once they let more out, and says when there are none", async () => {
    mac = createFakeMac();
    const off = await onMac(["verify", "--in-force"]);
    expect(off).toMatchObject({ code: 0, stdout: "The kill switch is off: no rules to verify.\n" });

    expect((await onMac(["enable"])).code).toBe(0);
    const prompts = mac.prompts().length;
    const pass = await onMac(["verify", "--in-force"]);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toContain(`Verifying ${systemPath(mac.system, RULES_FILE)}`);
    expect(pass.stdout).toContain("PASS: every clause holds");

    appendFileSync(systemPath(mac.system, RULES_FILE), "pass out quick all\n");
    const fail = await onMac(["verify", "--in-force", "--json"]);
    expect(fail.code).toBe(1);
    expect(JSON.parse(fail.stdout)).toMatchObject({ rules: systemPath(mac.system, RULES_FILE), passed: false });
    expect(mac.prompts()).toHaveLength(prompts);
  });

  it("takes neither --rules nor --snapshot", async () => {
    mac = createFakeMac();
    expect(await onMac(["verify", "--in-force", "--rules", "x.conf"])).toMatchObject({
      code: 2,
      stderr: "killswitch verify: give --rules or --in-force, not both\n",
    });
    expect((await onMac(["verify", "--in-force", "--snapshot", "dir"])).code).toBe(2);
  });
});
