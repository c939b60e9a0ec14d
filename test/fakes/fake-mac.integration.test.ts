/** The fake macOS itself: its programs pass arguments through intact, its clock moves only when told, and it leaves nothing behind. */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { readMacosFixture } from "../network/fixtures";
import { type FakeMac, createFakeMac } from "./fake-mac";
import { fakePaths } from "./machine";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const shell = (script: string) =>
  mac.system.run("sh", ["-c", script, "sh", mac.root], { env: { PATH: "/usr/bin:/bin", FAKE_MAC_UID: "0" } });

describe("the fake macOS", () => {
  it("hands every argument to its programs intact: spaces, quotes, newlines, $(), non-ASCII", async () => {
    mac = createFakeMac();
    const odd = ["a b", "it's", 'say "hi"', "two\nlines", "$(touch /tmp/x)", "café ✓", ""];
    const run = await mac.system.run("arp", odd);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe(`fake-mac: no output recorded for "${["arp", ...odd].join(" ")}"\n`);
    expect(mac.events().at(-1)).toEqual({ program: "arp", args: odd, asRoot: false });
  });

  it("answers many callers at once, each with its own output", async () => {
    mac = createFakeMac();
    const runs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => mac.system.run("sysctl", i % 2 ? ["-n", "kern.boottime"] : ["-x"])),
    );
    runs.forEach((run, i) => {
      if (i % 2) expect(run).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^\{ sec = 1700000000,/) });
      else expect(run).toMatchObject({ exitCode: 1, stderr: 'fake-mac: no output recorded for "sysctl -x"\n' });
    });
  });

  it("lists pf's interfaces as macOS's pfctl does, with the skip flags of the main ruleset's set skip", async () => {
    mac = createFakeMac();
    const real = readMacosFixture("pfctl", "osx-10.11.1-pfctl-s-Interfaces-v_sshuttle43.txt")
      .trim()
      .split("\n")
      .slice(2);
    const shape = (lines: string[]) => [
      lines[0],
      lines.every((line) => /^[a-z][a-z0-9]*\d( \(skip\))?$|^ALL$/.test(line)),
    ];
    writeFileSync(`${mac.root}/tmp/skip.conf`, "set skip on lo0\npass all\n");
    await mac.pfctlAsRoot(["-f", `${mac.root}/tmp/skip.conf`]);
    const listed = (await mac.pfctlAsRoot(["-s", "Interfaces", "-v"])).stdout.trim().split("\n");
    expect(shape(listed)).toEqual(shape(real));
    expect(listed).toContain("lo0 (skip)");
    expect((await mac.pfctlAsRoot(["-s", "Interfaces", "-v", "-i", "lo0"])).stdout.trim()).toBe("lo0 (skip)");
    expect(mac.readPf().main.filter).toEqual(["pass all"]); // options are not rules
  });

  it("has pfctl read rules from its standard input with -f -, as pfctl does, and name it stdin in its errors", async () => {
    mac = createFakeMac();
    const anchor = (rules: string) => shell(`printf '${rules}' | "$1/sbin/pfctl" -a test -f -`);
    expect(await anchor("pass quick on lo0 all\\nblock drop in quick all\\n")).toMatchObject({ exitCode: 0 });
    expect(mac.readPf().anchors.test.filter).toEqual(["pass quick on lo0 all", "block drop in quick all"]);
    const refused = await anchor("pass quick on lo0 all\\nnot a rule\\n");
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("stdin:2: syntax error");
    expect(mac.readPf().anchors.test.filter).toEqual(["pass quick on lo0 all", "block drop in quick all"]);
  });

  it("prints long output whole", async () => {
    mac = createFakeMac();
    const run = await mac.system.run("ifconfig", ["-a"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(2000);
    expect(run.stdout).toMatch(/^lo0: flags=/);
    expect(run.stdout.endsWith("\n")).toBe(true);
  });

  it("has a clock that moves only when the test moves it, and sleeps that wait for it", async () => {
    mac = createFakeMac({ now: 1_800_000_000 });
    expect((await shell('"$1/bin/date" +%s')).stdout).toBe("1800000000\n");
    expect(mac.now()).toEqual(new Date(1_800_000_000_000));
    const sleeper = shell('"$1/bin/sleep" 30 && "$1/bin/date" +%s');
    let woke = false;
    void sleeper.then(() => (woke = true));
    await mac.whenAsleep(1);
    expect(mac.sleepers()[0].until).toBe(1_800_000_030);
    await mac.advanceClock(29);
    expect(woke).toBe(false);
    await mac.advanceClock(1);
    expect(await sleeper).toMatchObject({ exitCode: 0, stdout: "1800000030\n" });
    expect((await shell('"$1/bin/date" -u')).stderr).toMatch(/prints \+%s only/);
    expect((await shell('"$1/bin/sleep" soon')).stderr).toBe("usage: sleep seconds\n");
  });

  it("waits for what a clock step wakes to finish before going on", async () => {
    mac = createFakeMac({ touchIdForSudo: true });
    // As the captive-portal timer does: a detached root process that sleeps, then acts.
    const started = await mac.system.run("sudo", [
      "--",
      "/bin/sh",
      "-c",
      `( "$0/bin/sleep" 60 && "$0/sbin/pfctl" -e >/dev/null 2>&1 ) </dev/null >/dev/null 2>&1 &`,
      mac.root,
    ]);
    expect(started.exitCode).toBe(0);
    await mac.advanceClock(59);
    expect(mac.readPf().enabled).toBe(false);
    await mac.advanceClock(1);
    expect(mac.readPf().enabled).toBe(true);
  });

  it("has sleeps count elapsed time, as macOS's do: a clock step moves kern.boottime with it, a nap counts nothing", async () => {
    mac = createFakeMac({ now: 1_800_000_000, bootTime: 1_799_990_000 });
    const sleeper = shell('"$1/bin/sleep" 30 && "$1/bin/date" +%s');
    await mac.whenAsleep(1);
    await mac.stepClock(-3600); // an NTP correction: the sleep is still due 30 seconds after it began
    expect((await shell('"$1/usr/sbin/sysctl" -n kern.boottime')).stdout).toMatch(/^\{ sec = 1799986400,/);
    await mac.advanceClock(29);
    await mac.sleepFor(600); // the lid closed: sleep does not count it
    expect(mac.sleepers()).toHaveLength(1);
    await mac.advanceClock(1);
    expect(await sleeper).toMatchObject({ exitCode: 0, stdout: `${1_800_000_000 - 3600 + 630}\n` });
  });

  it("answers ifconfig about one interface it lists, and fills its disk on demand", async () => {
    mac = createFakeMac();
    expect((await mac.system.run("ifconfig", ["en0"])).stdout).toMatch(/^en0: flags=.*\n(\t.*\n)+$/);
    expect(await mac.system.run("ifconfig", ["utun9"])).toMatchObject({
      exitCode: 1,
      stderr: "ifconfig: interface utun9 does not exist\n",
    });
    mac.fillDisk(true);
    expect((await shell('mktemp -d "$1/tmp/killswitch.XXXXXX"')).exitCode).not.toBe(0);
    mac.fillDisk(false);
    expect((await shell('mktemp -d "$1/tmp/killswitch.XXXXXX"')).exitCode).toBe(0);
    expect(mac.running()).toEqual({ tcpdumps: [], sleepers: [] });
  });

  it("counts and kills only its own programs: a recorded pid another process holds now is not its tcpdump", () => {
    mac = createFakeMac();
    // A tcpdump that was killed, its pid since taken by another process (this one stands in for it).
    writeFileSync(fakePaths(mac.root).capturing, JSON.stringify([{ pid: process.pid, ppid: process.ppid }]));
    writeFileSync(fakePaths(mac.root).sleeping, JSON.stringify([{ pid: process.pid, ppid: process.ppid, until: 0 }]));
    expect(mac.running()).toEqual({ tcpdumps: [], sleepers: [] });
    mac.cleanup(); // kills what still sleeps or captures in the tree: this process would be killed with the old pid
    expect(process.kill(process.pid, 0)).toBe(true);
  });

  it("leaves nothing behind: its tree, what still sleeps in it, the root script's work folders", async () => {
    mac = createFakeMac({ touchIdForSudo: true });
    await mac.system.run("sudo", [
      "--",
      "/bin/sh",
      "-c",
      `( "$0/bin/sleep" 600 ) </dev/null >/dev/null 2>&1 &`,
      mac.root,
    ]);
    await mac.advanceClock(1);
    const root = mac.root;
    mac.cleanup();
    expect(existsSync(root)).toBe(false);
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith("killswitch."))).toEqual([]);
  });
});
