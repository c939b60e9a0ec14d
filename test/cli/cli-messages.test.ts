import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createSystemCommands } from "../../src/system/commands";
import { runKillswitch } from "./cli-harness";
import { temporaryDirectory } from "../temporary-directory";

/** An outgoing TCP packet to explain, without its port. */
const EXPLAIN_OUT = ["explain", "--out", "--if", "en0", "--proto", "tcp", "--to", "8.8.8.8"];

let dir: string;
beforeAll(() => {
  dir = temporaryDirectory("killswitch-messages-");
});

describe("the killswitch command line's messages", () => {
  it("sends usage to stderr with exit 2 when no command is given, and to stdout for help", async () => {
    const none = await runKillswitch([]);
    expect(none).toMatchObject({ code: 2, stdout: "" });
    expect(none.stderr).toMatch(/^Usage: killswitch <command>/);
    const help = await runKillswitch(["help"]);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toMatch(/Exit status: 0 done, 1 a check failed/);
  });

  it("prints one command's usage for help COMMAND, and refuses an unknown one", async () => {
    const help = await runKillswitch(["help", "preview"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: killswitch preview/);
    const unknown = await runKillswitch(["help", "bogus"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^killswitch help: unknown command "bogus"/);
  });

  it("prints its version", async () => {
    const run = await runKillswitch(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^killswitch \(VPN Kill Switch\): root script version \d+, sha256 [0-9a-f]{12}\n$/);
  });

  it("names the command once, and says plainly what is wrong with an option", async () => {
    const bogus = await runKillswitch(["explain", "--bogus"]);
    expect(bogus.stderr).toBe("killswitch explain: Unknown option '--bogus'\n");
    const dash = await runKillswitch([...EXPLAIN_OUT, "--port", "-5"]);
    expect(dash.code).toBe(2);
    expect(dash.stderr).toBe('killswitch explain: --port needs a value, and a value cannot start with "-"\n');
    const twice = await runKillswitch([...EXPLAIN_OUT, "--port", "443", "--port", "80"]);
    expect(twice).toMatchObject({ code: 2, stderr: "killswitch explain: --port was given more than once\n" });
  });

  it("refuses explain --if with an interface the network does not have, unless the Mac's address is given", async () => {
    const args = ["explain", "--out", "--if", "en9", "--proto", "tcp", "--to", "8.8.8.8", "--port", "443"];
    const refused = await runKillswitch(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /--if "en9": the network read has no such interface \(it has .*en0.*\); give the Mac's address on it with --from/,
    );
    expect((await runKillswitch([...args, "--from", "10.9.9.9"])).code).toBe(0);
  });

  it("says status needs a Mac on any other system, with exit 2 as enable does", async () => {
    const run = await runKillswitch(["status"], { system: createSystemCommands() }); // this machine, not a stand-in tree
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("killswitch status: status reads the pf firewall of a Mac; this system is linux.\n");
  });

  it("accepts a config file with a byte-order mark, and prints errors under --json as JSON", async () => {
    await writeFile(join(dir, "bom.json"), `\uFEFF${JSON.stringify({ allowLan: true })}`);
    expect((await runKillswitch(["preview", "--config", join(dir, "bom.json")])).code).toBe(0);
    await writeFile(join(dir, "bad.json"), JSON.stringify({ allowLan: "yes" }));
    const run = await runKillswitch(["preview", "--json", "--config", join(dir, "bad.json")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("");
    const parsed = JSON.parse(run.stdout);
    expect(parsed.error).toMatchObject({ field: "allowLan", value: '"yes"' });
    expect(parsed.error.message).toMatch(/allowLan: expected boolean, got "yes"/);
  });
});

describe("option errors under --json", () => {
  it("name the option and its value", async () => {
    const error = async (argv: string[]) => {
      const run = await runKillswitch([...argv, "--json"]);
      expect(run.code, argv.join(" ")).toBe(2);
      expect(run.stderr).toBe("");
      return JSON.parse(run.stdout).error;
    };
    expect(await error([...EXPLAIN_OUT, "--port", "70000"])).toEqual({
      field: "--port",
      value: "70000",
      message: '--port "70000" is not a port (1-65535)',
    });
    expect(await error([...EXPLAIN_OUT, "--port", "443", "--port", "80"])).toMatchObject({
      field: "--port",
      value: "80",
    });
    expect(await error(["explain", "--bogus"])).toMatchObject({ field: "--bogus", value: null });
    expect(await error([...EXPLAIN_OUT, "--port", "-5"])).toMatchObject({ field: "--port", value: "-5" });
    expect(await error(["explain", "--out", "--if", "en0", "--proto", "tcp", "--to", "nowhere"])).toMatchObject({
      field: "--to",
      value: "nowhere",
    });
    expect(await error(["explain", "--out", "--if", "en0;rm", "--proto", "tcp"])).toMatchObject({
      field: "--if",
      value: "en0;rm",
    });
  });
});

describe("killswitch preview --rules-only", () => {
  it("prints exactly the anchor, which verify --rules - takes as it is", async () => {
    const rules = await runKillswitch(["preview", "--rules-only"]);
    expect(rules.code).toBe(0);
    expect(rules.stdout).toMatch(/^# VPN Kill Switch: no packet leaves/);
    expect(rules.stdout).toMatch(/block drop in log \(user\) quick all\n$/);
    const json = (await runKillswitch(["preview", "--json"])).stdout;
    expect(rules.stdout).toBe(JSON.parse(json).ruleset);
    const verified = await runKillswitch(["verify", "--rules", "-"], { stdin: rules.stdout });
    expect(verified.code).toBe(0);
    expect((await runKillswitch(["preview", "--rules-only", "--json"])).code).toBe(2);
  });
});
