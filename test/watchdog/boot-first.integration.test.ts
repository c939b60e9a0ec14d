/**
 * Blocking rules first: at boot pf is stopped and empty, and the watchdog has pf hold blocking rules with pfctl
 * alone before it needs anything that may fail (a work folder, the clock, the network, the record of what pf
 * blocks). Whichever of those fails, pf blocks, the VPN can still reach its server, and the watchdog says what
 * failed. Enable, which needs a work folder too, changes nothing without one.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getKillSwitchStatus } from "../../src/lifecycle";
import type { NetworkState } from "../../src/network/state";
import { ANCHOR_NAME, PRODUCT_ID } from "../../src/privileged/paths";
import { verifyRuleset } from "../../src/verify/verify-policy";
import { traceWatchdog } from "../fakes/boot-trace";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { HOME_ID, macNetworkState, macSnapshot } from "../fakes/networks";
import { emptyRuleset, evaluationOrder } from "../fakes/pf-model";
import { anchorRules, enable, joinNetwork, policyOf, settingsFrom } from "./helpers";

const SETTINGS = settingsFrom({
  vpnServers: ["198.51.100.7:1194/udp"],
  protectFromStartup: true,
  blockedTrafficLog: 10,
  exceptions: [{ address: "192.168.1.40", label: "Home printer", scope: HOME_ID }],
});
const SERVER_PASS = "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)";
const HOME_VPN = { wifi: "home", vpn: "utun4" } as const;
const ruleLines = (text: string) => text.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));

/** On at home with the VPN the evening before; each test restarts it. */
let mac: FakeMac;
beforeAll(async () => {
  mac = createFakeMac({ network: macSnapshot(HOME_VPN) });
  await enable(mac, SETTINGS, macNetworkState(HOME_VPN));
});
afterAll(() => mac?.cleanup());

const watchdogStatus = () => JSON.parse(readFileSync(`${mac.stateDirectory}/watchdog.json`, "utf8"));

/** A restart: pf stopped and empty (com.apple.pfctl has not loaded pf.conf yet), the VPN not yet connected. */
function restart(): NetworkState {
  mac.reboot();
  mac.writePf({ ...mac.readPf(), main: emptyRuleset(), anchors: {}, enabled: false });
  return joinNetwork(mac, { wifi: "home", vpn: null });
}

/** Puts `script` in place of a program of the tree (or removes it, for null) until the returned undo. */
function replaced(path: string, script: string | null): () => void {
  renameSync(path, `${path}.kept`);
  if (script !== null) writeFileSync(path, script, { mode: 0o755 });
  return () => {
    rmSync(path, { force: true });
    renameSync(`${path}.kept`, path);
  };
}

/** No work folder: /tmp replaced by a file, so mktemp -d fails (as on a full disk). */
function withoutWorkFolder(): () => void {
  rmSync(`${mac.root}/tmp`, { recursive: true });
  writeFileSync(`${mac.root}/tmp`, "");
  return () => {
    rmSync(`${mac.root}/tmp`);
    mkdirSync(`${mac.root}/tmp`);
  };
}

/** pf runs our anchor first, nothing leaves outside the VPN, and the VPN can reach its server. */
async function expectBlocking(network: NetworkState, step: string) {
  const pf = mac.readPf();
  expect(pf.enabled, `${step}: pf enabled`).toBe(true);
  expect(evaluationOrder(pf)[0], `${step}: our anchor first`).toBe(ANCHOR_NAME);
  const result = verifyRuleset(anchorRules(mac), { policy: await policyOf(SETTINGS), network, now: mac.now() });
  const leaks = result.clauses.flatMap((clause) => clause.failures.filter((failure) => failure.leak));
  expect(leaks, `${step}: leaks`).toEqual([]);
}

const failing = (tool: "ifconfig" | "netstat" | "ipconfig") => () =>
  replaced(mac.system.binaries[tool], `#!/bin/sh\necho "${tool}: failed" >&2\nexit 1\n`);

/** `ifconfig pflogN create` refused (where cloning pflog is not allowed); every other ifconfig call answers. */
function pflogCannotBeCreated(): () => void {
  const ifconfig = mac.system.binaries.ifconfig;
  const elsewhere = `${mac.root}/usr/sbin/ifconfig`; // the same fake program: it knows itself by its name
  linkSync(ifconfig, elsewhere);
  const undo = replaced(
    ifconfig,
    `#!/bin/sh\nif [ "$2" = create ]; then echo "ifconfig: SIOCIFCREATE2: Operation not permitted" >&2; exit 1; fi\nexec "${elsewhere}" "$@"\n`,
  );
  return () => {
    undo();
    rmSync(elsewhere);
  };
}

const FAILURES: { step: string; fail: () => () => void; said: RegExp }[] = [
  {
    step: "no pflog interface",
    fail: pflogCannotBeCreated,
    said: /No pflog interface could be created, so what pf blocks is not recorded/,
  },
  {
    step: "tcpdump missing",
    fail: () => replaced(mac.system.binaries.tcpdump, null),
    said: /tcpdump \(\S+\/usr\/sbin\/tcpdump\) cannot be run, so what pf blocks is not recorded/,
  },
  {
    step: "ifconfig failing",
    fail: failing("ifconfig"),
    said: /The interfaces could not be read \(ifconfig -a failed\)/,
  },
  {
    step: "netstat failing",
    fail: failing("netstat"),
    said: /The route table could not be read \(netstat -rn failed\)/,
  },
  {
    step: "ipconfig failing",
    fail: failing("ipconfig"),
    said: /The link's security could not be read \(ipconfig getsummary en0\): this network's own rules are not used/,
  },
];

describe("at boot, the watchdog", () => {
  it("starts nothing but pfctl until pf holds blocking rules; the work folder, network and capture come after", async () => {
    const boot = restart();
    const trace = await traceWatchdog(mac);
    expect(trace.run).toMatchObject({ exitCode: 0, stderr: "" });
    expect(trace.beforeBlocking.length).toBeGreaterThan(0);
    expect(new Set(trace.beforeBlocking)).toEqual(new Set(["pfctl"]));
    const after = trace.started.slice(trace.beforeBlocking.length);
    for (const program of ["mktemp", "sh", "sysctl", "ifconfig", "netstat", "tcpdump"])
      expect(after).toContain(program);
    // The check then puts this network's rules in place, logging to the record it started.
    await expectBlocking(boot, "network rules");
    expect(anchorRules(mac)).toContain("to 192.168.1.40 flags any keep state");
    expect(anchorRules(mac)).toContain("block drop in log (user, to pflog1) quick all");
    expect(watchdogStatus()).toMatchObject({ result: "repaired", failedClosed: false });
    expect(watchdogStatus().message).toMatch(/^loaded the rules after a restart, re-attached the kill switch anchor/);
  });

  it("blocks with the recorded fail-closed rules when it cannot make a work folder, and says so", async () => {
    const boot = restart();
    const undo = withoutWorkFolder();
    const trace = await traceWatchdog(mac);
    undo();
    expect(trace.run.exitCode).toBe(69);
    expect(trace.run.stderr).toMatch(/cannot create a private work directory\n$/);
    expect(new Set(trace.beforeBlocking)).toEqual(new Set(["pfctl"]));
    await expectBlocking(boot, "no work folder");
    // Enable's fail-closed rules as recorded: the VPN server; without the network read, no link plumbing.
    const recorded = readFileSync(`${mac.stateDirectory}/fail-closed.pf`, "utf8");
    expect(ruleLines(anchorRules(mac))).toEqual(ruleLines(recorded));
    expect(anchorRules(mac)).toContain(SERVER_PASS);
    expect(watchdogStatus()).toMatchObject({ result: "failed", failedClosed: true, pfEnabled: true });
    expect(watchdogStatus().message).toMatch(
      /cannot make a private work folder in \S+\/tmp \(a full disk, or \/tmp replaced\), so it cannot read the network; blocking with the fail-closed rules \(VPN servers only\)/,
    );
    const status = await getKillSwitchStatus({ system: mac.system, network: boot, now: mac.now() });
    expect(status.state).toBe("safe-mode");
    expect(status.headline).toMatch(/blocking all but the VPN servers/);
    expect(status.notes.join(" ")).toMatch(/cannot make a private work folder/);
  });

  for (const { step, fail, said } of FAILURES) {
    it(`blocks and says what failed: ${step}`, async () => {
      const boot = restart();
      const undo = fail();
      const run = await mac.runLaunchDaemon(PRODUCT_ID);
      undo();
      expect(run).toMatchObject({ exitCode: 0, stderr: "" });
      await expectBlocking(boot, step);
      expect(anchorRules(mac), step).toContain(SERVER_PASS);
      expect(watchdogStatus().message).toMatch(said);
      const status = await getKillSwitchStatus({ system: mac.system, network: boot, now: mac.now() });
      expect(status.state, step).toBe("blocking");
      expect(status.notes.join(" ")).toMatch(said);
    });
  }

  it("takes its blocking rules out again when the kill switch was disabled while they went in", async () => {
    restart();
    // Disable ends between the blocking rules and the check's turn at the lock: as the clock is read, say.
    const now = Math.floor(mac.now().getTime() / 1000);
    const undo = replaced(`${mac.root}/bin/date`, `#!/bin/sh\nrm -f "${mac.stateDirectory}/state.json"\necho ${now}\n`);
    const run = await mac.runLaunchDaemon(PRODUCT_ID);
    undo();
    expect(run).toMatchObject({ exitCode: 0, stderr: "" });
    const pf = mac.readPf();
    expect(pf.anchors[ANCHOR_NAME]).toBeUndefined();
    expect(pf.main.filter).toEqual([]);
    expect(pf.references).toEqual([]);
  });

  it("falls back to its built-in rules without a work folder when the recorded fail-closed rules are damaged", async () => {
    const boot = restart();
    writeFileSync(`${mac.stateDirectory}/state.json`, '{"version":1,"status":"on"}\n');
    writeFileSync(`${mac.stateDirectory}/fail-closed.pf`, "pass out quick all\n");
    const undo = withoutWorkFolder();
    const run = await mac.runLaunchDaemon(PRODUCT_ID);
    undo();
    expect(run.exitCode).toBe(69);
    await expectBlocking(boot, "built-in rules");
    expect(ruleLines(anchorRules(mac))).toEqual([
      "pass quick on lo0 all flags any keep state",
      "block return out log (user) quick proto { tcp, udp } from any to any port { 53, 853 }",
      "block return out log (user) quick all",
      "block drop in log (user) quick all",
    ]);
  });
});

describe("under bash in sh mode, as /bin/sh is on a Mac", () => {
  it("blocks at boot without a work folder, pfctl first", async () => {
    const bash = createFakeMac({ network: macSnapshot(HOME_VPN), shell: "/bin/bash" });
    try {
      await enable(bash, SETTINGS, macNetworkState(HOME_VPN));
      bash.reboot();
      bash.writePf({ ...bash.readPf(), main: emptyRuleset(), anchors: {}, enabled: false });
      rmSync(`${bash.root}/tmp`, { recursive: true });
      const trace = await traceWatchdog(bash);
      expect(trace.run.exitCode).toBe(69);
      expect(new Set(trace.beforeBlocking)).toEqual(new Set(["pfctl"]));
      const pf = bash.readPf();
      expect(pf.enabled).toBe(true);
      expect(pf.main.filter).toEqual([`anchor "${ANCHOR_NAME}" all`]);
      expect(anchorRules(bash)).toContain(SERVER_PASS);
      expect(anchorRules(bash)).toMatch(/\nblock drop in log \(user\) quick all\n$/);
    } finally {
      bash.cleanup();
    }
  });
});

describe("Enable without a work folder", () => {
  it("changes nothing: the rules in force stay, pf stays on", async () => {
    restart();
    await enable(mac, SETTINGS, macNetworkState(HOME_VPN));
    const before = mac.readPf();
    const undo = withoutWorkFolder();
    const error = await enable(mac, SETTINGS, macNetworkState(HOME_VPN)).catch((caught: unknown) => caught);
    undo();
    expect(error).toMatchObject({ kind: "unsafe-state-directory", nothingChanged: true });
    expect((error as Error).message).toMatch(/cannot create a private work directory\nNothing was changed\./);
    const after = mac.readPf();
    expect(after.enabled).toBe(true);
    expect(after.anchors[ANCHOR_NAME]).toEqual(before.anchors[ANCHOR_NAME]);
    expect(after.main).toEqual(before.main);
    expect(after.references).toEqual(before.references);
  });
});
