import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  ANCHOR_NAME,
  applyKillSwitch,
  disableKillSwitch,
  enableKillSwitch,
  getKillSwitchStatus,
} from "../../src/lifecycle";
import type { Settings } from "../../src/policy/settings";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { preparedFakeMac } from "../fakes/prepared-mac";
import { type PfState, appleDefaultPf, appleMainRuleset, emptyRuleset, evaluationOrder } from "../fakes/pf-model";
import {
  NOW,
  OTHER_TOKEN,
  SETTINGS,
  WIFI_WITH_VPN,
  WIFI_WITHOUT_VPN,
  busyPf,
  rejection,
  settingsFrom,
} from "./scenario";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const enable = (settings: Settings = SETTINGS, network = WIFI_WITH_VPN) =>
  enableKillSwitch({ system: mac.system, settings, network, now: NOW, lookup: async () => [] });
const disable = () => disableKillSwitch({ system: mac.system, network: WIFI_WITH_VPN });

/** On as `enable()` leaves it over busyPf(): enabled for real once per test process, a copy after (prepared-mac.ts). */
async function enabledOverBusyPf() {
  const prepared = await preparedFakeMac(
    ["lifecycle: enable", SETTINGS, WIFI_WITH_VPN, NOW],
    { pf: busyPf() },
    (fresh) =>
      enableKillSwitch({
        system: fresh.system,
        settings: SETTINGS,
        network: WIFI_WITH_VPN,
        now: NOW,
        lookup: async () => [],
      }),
  );
  mac = prepared.mac;
}

/** pf without our anchor, for comparing with what it was before. */
function othersOf(pf: PfState) {
  const anchors = Object.fromEntries(Object.entries(pf.anchors).filter(([path]) => path !== ANCHOR_NAME));
  return { main: pf.main, anchors, references: pf.references.filter((r) => r.token === OTHER_TOKEN) };
}

function expectNoForbiddenPfctl(calls: string[][]) {
  for (const args of calls) {
    expect(args).not.toContain("-d");
    if (args.includes("-F")) expect(args).toContain("-a");
    if (args.includes("-f") && !args.includes("-a")) expect(args).toContain("-R");
    expect(args.join(" ")).not.toContain("/etc/pf.conf");
  }
}

describe("enable then disable", () => {
  it("loads our anchor first, keeps the VPN connection, and then leaves everything else exactly as it was", async () => {
    mac = createFakeMac({ pf: busyPf() });
    const before = mac.readPf();

    const on = await enable();
    const pf = mac.readPf();
    expect(pf.anchors[ANCHOR_NAME].filter).toContain("block return out log (user) quick all");
    expect(evaluationOrder(pf)[0]).toBe(ANCHOR_NAME);
    expect(pf.references).toHaveLength(2);
    expect(pf.main).toEqual(before.main);
    expect(pf.states.map((s) => `${s.lan}>${s.ext}`)).toEqual(["192.168.1.23>198.51.100.7", "10.8.0.2>93.184.216.34"]);
    expect(on.report).toMatchObject({ attachment: "com.apple", reference: "taken", killedStates: 3 });
    expect(on.report.anchorRules).toContainEqual(expect.stringMatching(/^pass out quick on utun4 /));
    expect(on.report.pfInfo[0]).toMatch(/^Status: Enabled/);
    // No watchdog (these tests turn it off): the rules are in force, but nothing checks them later.
    expect(on.status.state).toBe("unverified");
    expect(on.status.headline).toMatch(
      /^Unverified: when last checked \(\S+\), pf ran the kill switch rules, which let traffic out only through the VPN \(utun4\); nothing has checked pf since\.$/,
    );
    expect(on.method).toBe("password");
    const recorded = JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8"));
    expect(recorded).toMatchObject({
      status: "on",
      attachment: "com.apple",
      tunnels: ["utun4"],
      bootTime: 1_700_000_000,
    });
    expect(readFileSync(`${mac.stateDirectory}/anchor.pf`, "utf8")).toBe(on.rules);
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    expect(mode(mac.stateDirectory)).toBe("755");
    expect(mode(`${mac.stateDirectory}/state.json`)).toBe("600");
    expect(mode(`${mac.stateDirectory}/status.json`)).toBe("644");
    // The rules in force: the admin group (gid 80) may read them for Verify; as root here, the group is set.
    const rules = statSync(`${mac.stateDirectory}/anchor.pf`);
    expect(mode(`${mac.stateDirectory}/anchor.pf`)).toBe(process.getuid?.() === 0 ? "640" : "600");
    if (process.getuid?.() === 0) expect(rules.gid).toBe(80);
    expect(mode(`${mac.stateDirectory}/token`)).toBe("600");

    const off = await disable();
    const after = mac.readPf();
    expect(othersOf(after)).toEqual(othersOf(before));
    expect(after.anchors[ANCHOR_NAME]).toBeUndefined();
    expect(after.references).toEqual(before.references);
    expect(after.enabled).toBe(true); // the other program still holds its reference
    expect(off.report.reference).toBe("released");
    expect(off.status.state).toBe("off");
    expect(existsSync(mac.stateDirectory)).toBe(false);

    expect(mac.prompts()).toHaveLength(2);
    expectNoForbiddenPfctl(mac.pfctlCalls());
  });

  it("stops pf again when nobody else held a reference", async () => {
    mac = createFakeMac();
    await enable();
    expect(mac.readPf().enabled).toBe(true);
    await disable();
    expect(mac.readPf()).toMatchObject({ enabled: false, references: [] });
    expect(mac.readPf().anchors).toEqual(appleDefaultPf().anchors);
  });

  it("runs the same way under bash in sh mode, as /bin/sh is on a Mac", async () => {
    mac = createFakeMac({ pf: busyPf(), shell: "/bin/bash" });
    const on = await enable();
    expect(on.report).toMatchObject({ attachment: "com.apple", reference: "taken" });
    const off = await disable();
    expect(off.report.reference).toBe("released");
  });
});

describe("one prompt, and nothing changed when it is not approved", () => {
  it("changes nothing when the password dialog is cancelled", async () => {
    mac = createFakeMac({ pf: busyPf() });
    mac.setPasswordDialog("cancel");
    const before = mac.readPf();
    const error = await rejection(enable());
    expect(error).toMatchObject({ kind: "cancelled", nothingChanged: true });
    expect(error.message).toBe("Cancelled: nothing was changed.");
    expect(mac.readPf()).toEqual(before);
    expect(mac.pfctlCalls()).toEqual([]);
    expect(existsSync(mac.stateDirectory)).toBe(false);
    expect(mac.prompts()).toHaveLength(1);
  });

  it("says so when no dialog can be shown (-1713)", async () => {
    mac = createFakeMac();
    mac.setPasswordDialog("no-ui");
    const error = await rejection(disable());
    expect(error).toMatchObject({ kind: "no-user-interaction", nothingChanged: true });
  });
});

describe("repeated actions", () => {
  it("enabling twice keeps one reference; disabling twice is harmless", async () => {
    await enabledOverBusyPf();
    const second = await enable();
    expect(second.report.reference).toBe("kept");
    expect(mac.readPf().references).toHaveLength(2);
    await disable();
    const again = await disable();
    expect(again.report.reference).toBe("none");
    expect(again.notes).toEqual([]);
    expect(mac.readPf().references.map((r) => r.token)).toEqual([OTHER_TOKEN]);
    expect(again.status.state).toBe("off");
  });
});

describe("disable without a record", () => {
  it("flushes our anchor and releases the reference from state.json when the token file is lost", async () => {
    await enabledOverBusyPf();
    rmSync(`${mac.stateDirectory}/token`);
    const off = await disable();
    expect(off.report.reference).toBe("released");
    expect(mac.readPf().references.map((r) => r.token)).toEqual([OTHER_TOKEN]);
  });

  it("still removes our rules when the token and the state file are both lost or corrupt", async () => {
    await enabledOverBusyPf();
    rmSync(`${mac.stateDirectory}/token`);
    writeFileSync(`${mac.stateDirectory}/state.json`, "{ garbage");
    writeFileSync(`${mac.stateDirectory}/status.json`, "{ garbage");
    expect((await getKillSwitchStatus({ system: mac.system, network: WIFI_WITH_VPN })).state).toBe("unknown");
    const off = await disable();
    const pf = mac.readPf();
    expect(pf.anchors[ANCHOR_NAME]).toBeUndefined();
    // Ours cannot be told from another program's: every reference stays, none is released blindly.
    expect(pf.references).toHaveLength(2);
    expect(pf.references.map((r) => r.token)).toContain(OTHER_TOKEN);
    expect(off.report.reference).toBe("unidentified");
    expect(off.notes.join(" ")).toMatch(/no record of the kill switch's pf reference/i);
    expect(off.status.state).toBe("off");
  });
});

describe("restarts and other software", () => {
  it("shows Not Protected after a restart, and turns on again with a new reference", async () => {
    await enabledOverBusyPf();
    mac.reboot();
    const status = await getKillSwitchStatus({ system: mac.system, network: WIFI_WITH_VPN });
    expect(status.state).toBe("not-protected");
    expect(status.headline).toMatch(/restarted/);

    const on = await enable();
    expect(on.report.reference).toBe("taken");
    expect(on.status.state).toBe("unverified");
    await disable();
    expect(mac.readPf()).toMatchObject({ enabled: false, references: [] });
  });

  it("keeps our com.apple child evaluated first when Apple's main ruleset is reloaded over it", async () => {
    await enabledOverBusyPf();
    const reload = await mac.pfctlAsRoot(["-f", `${mac.root}/etc/pf.conf`]);
    expect(reload.exitCode).toBe(0);
    const pf = mac.readPf();
    expect(pf.main.filter).toEqual(appleMainRuleset().filter); // sshuttle's line is gone, as on a Mac
    expect(evaluationOrder(pf)[0]).toBe(ANCHOR_NAME);
    expect(pf.anchors[ANCHOR_NAME].filter).toContain("block drop in log (user) quick all");
  });

  it("puts a reference at the top of a main ruleset without Apple's anchor point, and takes it back on disable", async () => {
    const pf = busyPf();
    // A virtualisation tool replaced the main ruleset without `anchor "com.apple/*"`.
    pf.main = {
      ...emptyRuleset(),
      filter: ['anchor "vmtool" all'],
      nat: ['nat-anchor "vmtool" all'],
      dummynet: ['dummynet-anchor "vmtool" all'],
    };
    pf.anchors.vmtool = { ...emptyRuleset(), filter: ["pass quick on bridge100 all"] };
    mac = createFakeMac({ pf });
    const before = mac.readPf();

    const on = await enable();
    const loaded = mac.readPf();
    expect(evaluationOrder(before)).not.toContain(ANCHOR_NAME);
    expect(evaluationOrder(loaded)[0]).toBe(ANCHOR_NAME);
    expect(loaded.main.filter).toEqual([`anchor "${ANCHOR_NAME}" all`, 'anchor "vmtool" all']);
    expect(loaded.main.nat).toEqual(before.main.nat);
    expect(loaded.main.dummynet).toEqual(before.main.dummynet);
    expect(on.report.attachment).toBe("main");
    expect(on.notes.join(" ")).toMatch(/Apple's anchor point is not the main ruleset's first rule/);

    await disable();
    expect(othersOf(mac.readPf())).toEqual(othersOf(before));
  });

  it("refuses, and leaves pf as it was, when the main ruleset cannot be reloaded as printed", async () => {
    const pf = busyPf();
    pf.main = { ...emptyRuleset(), filter: ['anchor "_1" all {', "pass quick all", "}"] };
    mac = createFakeMac({ pf });
    const before = mac.readPf();
    const error = await rejection(enable());
    expect(error).toMatchObject({ kind: "not-attached", nothingChanged: true });
    expect(error.message).toMatch(/inline anchors/);
    expect(mac.readPf().anchors).toEqual(before.anchors);
    expect(mac.readPf().references).toEqual(before.references);
  });
});

describe("failures never leave a half state", () => {
  it("takes our rules out again when no pf reference can be taken", async () => {
    mac = createFakeMac({ pf: busyPf() });
    mac.failPfctl(["-E"], "pfctl: DIOCSTARTREF: Cannot allocate memory");
    const before = mac.readPf();
    const error = await rejection(enable());
    expect(error).toMatchObject({ kind: "no-reference", nothingChanged: true });
    expect(error.message).toMatch(/DIOCSTARTREF: Cannot allocate memory/);
    expect(mac.readPf().anchors).toEqual(before.anchors);
    expect((await getKillSwitchStatus({ system: mac.system, network: WIFI_WITH_VPN })).state).toBe("off");
  });

  it("changes nothing when pf cannot load the rules", async () => {
    mac = createFakeMac({ pf: busyPf() });
    mac.failPfctl(["-a", ANCHOR_NAME, "-f"], "pfctl: DIOCXCOMMIT: Device busy");
    const before = mac.readPf();
    const error = await rejection(enable());
    expect(error).toMatchObject({ kind: "load-failed", nothingChanged: true });
    expect(error.message).toMatch(/^pf could not load the kill switch rules: pfctl: DIOCXCOMMIT: Device busy/);
    expect(mac.readPf()).toEqual(before);
  });

  it("keeps its records, so Disable can be tried again, when pf cannot remove the rules", async () => {
    await enabledOverBusyPf();
    mac.failPfctl(["-a", ANCHOR_NAME, "-F", "all"], "pfctl: DIOCXBEGIN: Device busy");
    const error = await rejection(disable());
    expect(error.kind).toBe("load-failed");
    expect(error.message).toMatch(/could not remove the kill switch rules, nothing else was changed/);
    expect(mac.readPf().references).toHaveLength(2);
    expect(existsSync(`${mac.stateDirectory}/token`)).toBe(true);
    expect((await getKillSwitchStatus({ system: mac.system, network: WIFI_WITH_VPN })).state).toBe("unverified");
  });

  it("puts the previous rules back when an apply fails after loading", async () => {
    await enabledOverBusyPf();
    const previous = mac.readPf().anchors[ANCHOR_NAME];
    mac.failPfctl(["-sr"], "pfctl: DIOCGETRULES: Device busy");
    const withException = settingsFrom({
      vpnServers: ["198.51.100.7:1194/udp"],
      exceptions: [{ address: "192.168.1.40", label: "Printer" }],
    });
    const error = await rejection(
      applyKillSwitch({ system: mac.system, settings: withException, network: WIFI_WITH_VPN, now: NOW }),
    );
    expect(error.kind).toBe("not-attached");
    expect(mac.readPf().anchors[ANCHOR_NAME]).toEqual(previous);
    expect(mac.readPf().references).toHaveLength(2);
  });
});

describe("Touch ID", () => {
  it("is used instead of the password dialog when chosen and set up for sudo", async () => {
    mac = createFakeMac({ touchIdForSudo: true });
    const on = await enable(settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], authentication: "touchid" }));
    expect(on.method).toBe("touchid");
    const off = await disableKillSwitch({ system: mac.system, authentication: "touchid" });
    expect(off.report.reference).toBe("released");
    expect(mac.prompts().map((p) => p.prompt)).toEqual(["touchid", "touchid"]);
  });
});

describe("resolving host names", () => {
  it("fails clearly before any prompt when a VPN server name does not resolve", async () => {
    mac = createFakeMac({ pf: busyPf() });
    const before = mac.readPf();
    const settings = settingsFrom({ vpnServers: ["vpn.example.invalid:1194/udp"] });
    const error = await rejection(
      enableKillSwitch({
        system: mac.system,
        settings,
        network: WIFI_WITH_VPN,
        now: NOW,
        lookup: async (host) => {
          throw new Error(`getaddrinfo ENOTFOUND ${host}`);
        },
      }),
    );
    expect(error).toMatchObject({ kind: "resolve", nothingChanged: true });
    expect(error.message).toContain('vpnServers[0]: "vpn.example.invalid" could not be resolved');
    expect(mac.prompts()).toEqual([]);
    expect(mac.readPf()).toEqual(before);
  });

  it("loads the addresses a VPN server name resolves to", async () => {
    mac = createFakeMac();
    const settings = settingsFrom({ vpnServers: ["vpn.example.com:51820/udp"] });
    const on = await enableKillSwitch({
      system: mac.system,
      settings,
      network: WIFI_WITHOUT_VPN,
      now: NOW,
      lookup: async () => ["203.0.113.9", "2001:db8::9"],
      confirmedAddresses: { "vpn.example.com": ["203.0.113.9", "2001:db8::9"] },
    });
    expect(on.rules).toContain("to 203.0.113.9 port 51820");
    expect(on.rules).toContain("to 2001:db8::9 port 51820");
    expect(on.status.state).toBe("unverified");
  });
});

describe("apply", () => {
  it("reloads the anchor with one prompt while on, keeping the reference", async () => {
    await enabledOverBusyPf();
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7:1194/udp"],
      exceptions: [{ address: "192.168.1.40", port: 631, protocol: "tcp", label: "Printer" }],
    });
    const applied = await applyKillSwitch({ system: mac.system, settings, network: WIFI_WITH_VPN, now: NOW });
    expect(applied.report.reference).toBe("kept");
    expect(mac.readPf().anchors[ANCHOR_NAME].filter).toContain(
      "pass out quick inet proto tcp from any to 192.168.1.40 port 631 flags any keep state",
    );
    expect(mac.readPf().references).toHaveLength(2);
    expect(mac.prompts()).toHaveLength(2);
  });

  it("refuses without a prompt when the kill switch is off", async () => {
    mac = createFakeMac();
    const error = await rejection(
      applyKillSwitch({ system: mac.system, settings: SETTINGS, network: WIFI_WITH_VPN, now: NOW }),
    );
    expect(error).toMatchObject({ kind: "not-on", nothingChanged: true });
    expect(mac.prompts()).toEqual([]);
  });
});

describe("values reach the root script intact and inert", () => {
  it("carries an exception label with quotes, spaces, $() and a newline into the loaded rules", async () => {
    mac = createFakeMac();
    const marker = `/tmp/ks-${process.pid}`;
    const label = `Bob's "NAS" $(touch ${marker}) \`touch ${marker}\`\nnext; rm -rf /`;
    const settings = settingsFrom({
      vpnServers: ["198.51.100.7:1194/udp"],
      exceptions: [{ address: "192.168.1.40", label }],
    });
    try {
      const on = await enable(settings);
      const saved = readFileSync(`${mac.stateDirectory}/anchor.pf`, "utf8");
      expect(saved).toBe(on.rules);
      expect(saved).toContain(
        `# Exception: Bob's "NAS" $(touch ${marker}) \`touch ${marker}\` next; rm -rf / (all networks)`,
      );
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(marker, { force: true });
    }
  });
});
