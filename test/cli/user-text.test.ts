import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { reportChange } from "../../src/cli/enable-command";
import type { CliIo } from "../../src/cli/io";
import { printable } from "../../src/cli/printable";
import type { KillSwitchChange } from "../../src/lifecycle";
import { runKillswitch } from "./cli-harness";
import { temporaryDirectory } from "../temporary-directory";

let dir: string;
const config = async (name: string, settings: unknown) => {
  await writeFile(join(dir, name), JSON.stringify(settings));
  return join(dir, name);
};

beforeAll(() => {
  dir = temporaryDirectory("killswitch-user-text-");
});

describe("text that came from the settings", () => {
  it("is printed with its control characters shown, never acting on the terminal", async () => {
    expect(printable("Printer\n\u001b[31mred\r\u0000")).toBe("Printer\\n\\u001b[31mred\\r\\u0000");
    const file = await config("label.json", {
      exceptions: [{ address: "192.168.1.20", label: "Printer\n\u001b[2J\u0007" }],
    });
    const run = await runKillswitch(["preview", "--config", file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Printer\\n\\u001b[2J\\u0007: 192.168.1.20");
    // eslint-disable-next-line no-control-regex -- no control character but newlines reaches the terminal
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  it("lists an exception whose time is up as expired, instead of dropping it without a word", async () => {
    const file = await config("expired.json", {
      exceptions: [{ address: "203.0.113.80", label: "Build server", expiresAt: "2026-11-22T11:00:00Z" }],
    });
    const run = await runKillswitch(["preview", "--config", file]);
    expect(run.stdout).toContain("Exceptions active here: none");
    expect(run.stdout).toContain("Expired, no longer passed: Build server: 203.0.113.80 (ended 2026-11-22T11:00:00Z)");
  });

  it("refuses a scope that is neither all nor a network identity, and a time without a zone, naming the field", async () => {
    for (const [exception, field, value] of [
      [{ address: "192.168.1.20", scope: "home" }, "exceptions[0].scope", '"home"'],
      [{ address: "192.168.1.20", expiresAt: "1" }, "exceptions[0].expiresAt", '"1"'],
      [{ address: "192.168.1.20", expiresAt: "2026-12-01" }, "exceptions[0].expiresAt", '"2026-12-01"'],
      [
        { address: "192.168.1.20", expiresAt: "2026-12-01T18:00:00" },
        "exceptions[0].expiresAt",
        '"2026-12-01T18:00:00"',
      ],
    ] as const) {
      const run = await runKillswitch(["preview", "--config", await config("bad.json", { exceptions: [exception] })]);
      expect(run.code, field).toBe(2);
      expect(run.stderr).toContain(field);
      expect(run.stderr).toContain(value);
    }
    const good = await config("good.json", {
      exceptions: [
        {
          address: "192.168.1.20",
          scope: "gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24",
          expiresAt: "2027-01-01T09:00:00+01:00",
        },
      ],
    });
    expect((await runKillswitch(["preview", "--config", good])).code).toBe(0);
  });

  it("is escaped in the lines Enable prints, notes from the root side included", async () => {
    let stdout = "";
    const io = { stdout: (text: string) => (stdout += text) } as unknown as CliIo;
    const change = {
      action: "enable",
      method: "password",
      notes: ["pfctl said \u001b[31mno\r\nsuch\u0007 thing"],
      report: {
        anchorRules: [],
        attachment: "com.apple",
        pfInfo: [],
        reference: "taken",
        killedStates: 0,
        watchdog: null,
      },
      status: { headline: "Protected: \u001b]0;title\u0007" },
    } as unknown as KillSwitchChange;
    expect(await reportChange(async () => change, false, io)).toBe(0);
    expect(stdout).toContain("Note: pfctl said \\u001b[31mno\\r\\nsuch\\u0007 thing");
    expect(stdout).toContain("Protected: \\u001b]0;title\\u0007");
    // eslint-disable-next-line no-control-regex -- no control character but the line ends reaches the terminal
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });
});
