import { rmSync, writeFileSync } from "node:fs";
import { uptime } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { getKillSwitchStatus, parseBootTime } from "../../src/lifecycle";
import { bootTimeFromUptime, readMachineBootTime } from "../../src/lifecycle/record";
import { SAME_BOOT_TOLERANCE_SECONDS } from "../../src/lifecycle/status";
import { MACOS_BINARIES, type SystemCommands } from "../../src/system/commands";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { writeRecordedState } from "../fakes/recorded-state";
import { WIFI_WITH_VPN, WIFI_WITHOUT_VPN } from "./scenario";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const BOOT = 1_700_000_000;

/** Rules recorded with the startup watchdog, which checks them: Protected and Blocking are its to say. */
function record(fields: Record<string, unknown> = {}) {
  writeRecordedState(mac, BOOT, { protectFromStartup: true, ...fields });
}

function watchdog(fields: Record<string, unknown>) {
  const status = {
    version: 1,
    checkedAt: BOOT + 86_500,
    bootTime: BOOT + 86_400,
    result: "ok",
    message: "",
    ...fields,
  };
  writeFileSync(`${mac.stateDirectory}/watchdog.json`, JSON.stringify(status));
}

/** A moment after the recorded Enable: its watchdog counts as on time (the clock is never read). */
const NOW = new Date((BOOT + 61) * 1000);

const status = (network = WIFI_WITH_VPN) => getKillSwitchStatus({ system: mac.system, network, now: NOW });

describe("getKillSwitchStatus", () => {
  it("is Off with no record, and never asks for a password or runs pfctl", async () => {
    mac = createFakeMac();
    expect((await status()).state).toBe("off");
    expect(mac.prompts()).toEqual([]);
    expect(mac.pfctlCalls()).toEqual([]);
  });

  it("is Protected when a tunnel the rules allow is up, Blocking when none is", async () => {
    mac = createFakeMac();
    record();
    expect(await status()).toMatchObject({ state: "protected", activeTunnel: "utun4" });
    const blocking = await status(WIFI_WITHOUT_VPN);
    expect(blocking.state).toBe("blocking");
    expect(blocking.notes[0]).toMatch(/Connect the VPN/);
  });

  it("is Unverified without the watchdog, the VPN up or down: nobody checks that pf still runs the rules", async () => {
    mac = createFakeMac();
    record({ protectFromStartup: false });
    const up = await status();
    expect(up).toMatchObject({ state: "unverified", activeTunnel: "utun4" });
    expect(up.notes[0]).toMatch(/Turn on Startup Protection \(protectFromStartup\) and enable again/);
    const down = await status(WIFI_WITHOUT_VPN);
    expect(down.state).toBe("unverified");
    expect(down.headline).toBe(
      "Unverified: no allowed VPN tunnel is up; when last checked (2023-11-14T22:14:20Z), pf ran the kill switch rules, which stop traffic without one; nothing has checked pf since.",
    );
    expect(down.notes[0]).toMatch(/Connect the VPN/);
  });

  it("reads an earlier version's state.json when no status.json was written yet, and Off when neither is", async () => {
    mac = createFakeMac();
    record();
    rmSync(`${mac.stateDirectory}/status.json`);
    expect((await status()).state).toBe("protected");
    rmSync(`${mac.stateDirectory}/state.json`);
    expect((await status()).state).toBe("off");
  });

  it("says when the VPN came back on a tunnel the rules do not name", async () => {
    mac = createFakeMac();
    record();
    const moved = { ...WIFI_WITH_VPN, tunnels: [{ name: "utun5", ipv4: ["10.8.0.6"], ipv6: [] }] };
    const result = await status(moved);
    expect(result.state).toBe("blocking");
    expect(result.notes[0]).toMatch(/utun5, which the rules do not let through \(they allow utun4\)/);
  });

  it("is Not Protected after a restart, unless the watchdog put the rules back in this boot", async () => {
    mac = createFakeMac();
    record();
    mac.reboot();
    expect((await status()).state).toBe("not-protected");
    watchdog({ result: "repaired", message: "rules loaded at boot" });
    expect((await status()).state).toBe("protected");
    watchdog({ result: "failed", message: "pf refused the rules" });
    expect(await status()).toMatchObject({ state: "not-protected", notes: ["pf refused the rules"] });
  });

  it("is Not Protected while a virtual machine is bridged to Wi-Fi, with or without the watchdog; not for the Thunderbolt Bridge", async () => {
    mac = createFakeMac();
    record();
    const thunderbolt = { name: "bridge0", members: ["en1", "en2"], thunderbolt: true };
    expect((await status({ ...WIFI_WITH_VPN, bridges: [thunderbolt] })).state).toBe("protected");
    const bridged = {
      ...WIFI_WITH_VPN,
      bridges: [thunderbolt, { name: "bridge100", members: ["en0", "vmenet0"], thunderbolt: false }],
    };
    const note = "a virtual machine bridged to en0 is not filtered by pf (bridge100: en0, vmenet0)";
    const found = await status(bridged);
    expect(found).toMatchObject({ state: "not-protected", headline: `Not Protected: ${note}.`, activeTunnel: "utun4" });
    expect(found.notes[0]).toBe(note);
    // The watchdog reports it too: its failure is the bridge, said as such.
    mac.reboot();
    watchdog({ result: "failed", message: note });
    expect(await status(bridged)).toMatchObject({ state: "not-protected", headline: `Not Protected: ${note}.` });
    expect((await status(bridged)).notes[0]).toBe(note);
    // Without the watchdog (Protect from Startup off), the network alone says it.
    record({ protectFromStartup: false });
    expect((await status(bridged)).state).toBe("not-protected");
  });

  it("is Not Protected when the last look at pf found it off: the watchdog's check, or the action that just ran", async () => {
    mac = createFakeMac();
    record();
    watchdog({
      result: "failed",
      bootTime: BOOT,
      checkedAt: BOOT + 61,
      pfEnabled: false,
      message: "pf could not be enabled",
    });
    const off = await status();
    expect(off).toMatchObject({ state: "not-protected", notes: ["pf could not be enabled", expect.any(String)] });
    expect(off.headline).toBe(
      "Not Protected: pf was off when last checked (2023-11-14T22:14:21Z), so it filtered nothing, the kill switch rules included.",
    );
    const reported = { pfEnabled: false, skippedInterfaces: [], translationPassing: 0 };
    record({ protectFromStartup: false });
    const afterAction = await getKillSwitchStatus({ system: mac.system, network: WIFI_WITH_VPN, now: NOW, reported });
    expect(afterAction.headline).toMatch(/^Not Protected: pf was off when last checked \(2023-11-14T22:14:20Z\)/);
    const fine = await getKillSwitchStatus({
      system: mac.system,
      network: WIFI_WITH_VPN,
      now: NOW,
      reported: { ...reported, pfEnabled: true },
    });
    expect(fine.state).toBe("unverified");
  });

  it("is Not Protected while the record says pf skipped an interface or a translation rule passed when it was written", async () => {
    mac = createFakeMac();
    record({ skippedInterfaces: ["en0", "en5"] });
    expect((await status()).headline).toMatch(/^Not Protected: pf skips en0, en5 \(another program's "set skip on"\)/);
    record({ translationPassing: 2 });
    const passing = await status();
    expect(passing.headline).toMatch(/^Not Protected: another program's nat or rdr rules with pass let packets out/);
    expect(passing.notes[0]).toMatch(/pf would not let those 2 rules be set aside/);
    // A check after the record found none: that is the latest look.
    watchdog({ result: "ok", bootTime: BOOT, checkedAt: BOOT + 61, pfEnabled: true, skippedInterfaces: [] });
    expect((await status()).state).toBe("protected");
  });

  it("ignores a watchdog report from an earlier boot", async () => {
    mac = createFakeMac({ bootTime: BOOT });
    record();
    watchdog({ result: "failed", bootTime: BOOT - 100, message: "old" });
    expect((await status()).state).toBe("protected");
  });

  it("is Unknown when the record is corrupt, the boot time unreadable or the network unknown", async () => {
    mac = createFakeMac();
    record({ status: "maybe" });
    expect((await status()).state).toBe("unknown");
    record();
    expect((await getKillSwitchStatus({ system: mac.system, network: null, now: NOW })).state).toBe("unknown");
    rmSync(mac.system.binaries.sysctl);
    expect((await status()).headline).toMatch(/cannot tell whether the rules are still loaded/);
  });
});

describe("getKillSwitchStatus with the boot time given (as the menu bar reads it, without a process)", () => {
  const at = (bootTime: number | null) =>
    getKillSwitchStatus({ system: mac.system, network: WIFI_WITH_VPN, bootTime: async () => bootTime, now: NOW });

  it("takes a boot time a few seconds off the recorded one for the same boot, and never runs sysctl", async () => {
    mac = createFakeMac();
    record();
    expect((await at(BOOT)).state).toBe("protected");
    expect((await at(BOOT + 1)).state).toBe("protected");
    expect((await at(BOOT - SAME_BOOT_TOLERANCE_SECONDS)).state).toBe("protected");
    expect(mac.events().filter((event) => event.program === "sysctl")).toEqual([]);
  });

  it("is Not Protected after a restart, and Unknown when the boot time is unknown or its reading fails", async () => {
    mac = createFakeMac();
    record();
    expect((await at(BOOT + 86_400)).state).toBe("not-protected");
    expect((await at(BOOT + SAME_BOOT_TOLERANCE_SECONDS + 1)).state).toBe("not-protected");
    expect((await at(null)).headline).toMatch(/cannot tell whether the rules are still loaded/);
    const failing = await getKillSwitchStatus({
      system: mac.system,
      network: WIFI_WITH_VPN,
      bootTime: () => Promise.reject(new Error("no clock")),
      now: NOW,
    });
    expect(failing.state).toBe("unknown");
  });

  it("counts the watchdog's report as this boot's when its boot time is within the tolerance", async () => {
    mac = createFakeMac();
    record();
    watchdog({ result: "failed", bootTime: BOOT + 86_400, message: "pf refused the rules" });
    expect(await at(BOOT + 86_401)).toMatchObject({ state: "not-protected", notes: ["pf refused the rules"] });
    watchdog({ result: "repaired", bootTime: BOOT + 86_400, lastRepairAt: BOOT + 86_450, lastRepair: "rules" });
    expect(await at(BOOT + 86_399)).toMatchObject({ state: "protected" });
  });
});

describe("the Mac's boot time", () => {
  it("is the time now less the uptime, in whole seconds", () => {
    expect(bootTimeFromUptime(1_700_086_400_900, 86_400)).toBe(BOOT);
    expect(bootTimeFromUptime(Date.now(), Number.NaN)).toBeNull();
    expect(bootTimeFromUptime(Date.now(), -1)).toBeNull();
  });

  it("comes from the kernel, without a process, on the Mac itself", async () => {
    const started: string[] = [];
    const theMac: SystemCommands = {
      binaries: { ...MACOS_BINARIES },
      run: async (tool) => {
        started.push(tool);
        return { exitCode: 1, stdout: "", stderr: "" };
      },
    };
    const expected = Math.floor(Date.now() / 1000 - uptime());
    const read = await readMachineBootTime(theMac);
    expect(started).toEqual([]);
    expect(read).not.toBeNull();
    expect(Math.abs((read ?? 0) - expected)).toBeLessThanOrEqual(1);
  });

  it("comes from the tree's own sysctl under a prefixed tree, which has a boot of its own", async () => {
    mac = createFakeMac({ bootTime: BOOT });
    expect(await readMachineBootTime(mac.system)).toBe(BOOT);
    mac.reboot();
    expect(await readMachineBootTime(mac.system)).toBe(BOOT + 86_400);
  });
});

describe("parseBootTime", () => {
  it("reads the seconds of sysctl's struct timeval", () => {
    expect(parseBootTime("{ sec = 1700000000, usec = 123456 } Tue Nov 14 22:13:20 2023\n")).toBe(1_700_000_000);
    expect(parseBootTime("")).toBeNull();
  });
});
