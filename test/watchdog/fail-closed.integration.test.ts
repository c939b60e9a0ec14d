/**
 * Fail closed: whenever the rules the watchdog should load are missing, corrupt or refused by pf, at boot or
 * later, it loads blocking rules in their place (the fail-closed rules Enable prepared: VPN servers and link
 * plumbing; failing those, its built-in ones), puts them first and keeps pf on. Never open.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { getKillSwitchStatus } from "../../src/lifecycle";
import type { NetworkState } from "../../src/network/state";
import { buildFailClosedAnchor } from "../../src/pf/anchor";
import { ANCHOR_NAME, PRODUCT_ID } from "../../src/privileged/paths";
import { verifyRuleset } from "../../src/verify/verify-policy";
import type { FakeMac } from "../fakes/fake-mac";
import { HOME_ID } from "../fakes/networks";
import { emptyRuleset, evaluationOrder } from "../fakes/pf-model";
import { anchorRules, enable, enabledOn, joinNetwork, policyOf, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const SETTINGS = settingsFrom({
  vpnServers: ["198.51.100.7:1194/udp"],
  exceptions: [{ address: "192.168.1.40", label: "Home printer", scope: HOME_ID }],
});
const SERVER_PASS = "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)";
const ruleLines = (text: string) => text.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
const watchdogStatus = () => JSON.parse(readFileSync(`${mac.stateDirectory}/watchdog.json`, "utf8"));
/** The builder's fail-closed rules for the network of now: what Enable's template filled in must give. */
const failClosedFor = async (network: NetworkState) =>
  ruleLines(buildFailClosedAnchor({ policy: await policyOf(SETTINGS), network, now: mac.now() }));

/** On at home with the VPN, then a restart (pf empty and stopped) with the VPN not yet connected. */
async function restartedAfter(damage: () => void, main = emptyRuleset()): Promise<NetworkState> {
  mac = (await enabledOn({ wifi: "home", vpn: "utun4" }, SETTINGS)).mac;
  damage();
  mac.reboot();
  await mac.advanceClock(60); // a restart takes a while
  mac.writePf({ ...mac.readPf(), main, anchors: {}, enabled: false });
  const boot = joinNetwork(mac, { wifi: "home", vpn: null });
  const run = await mac.runLaunchDaemon(PRODUCT_ID); // RunAtLoad
  expect(run.stderr).toBe("");
  expect(run.exitCode).toBe(1); // launchd logs it; the next interval tries again
  return boot;
}

/** pf runs our rules first, nothing the policy blocks gets through, and nothing but `allowed` passes out. */
async function expectBlocking(network: NetworkState, step: string) {
  const pf = mac.readPf();
  expect(pf.enabled, `${step}: pf enabled`).toBe(true);
  expect(evaluationOrder(pf)[0], `${step}: our anchor first`).toBe(ANCHOR_NAME);
  const result = verifyRuleset(anchorRules(mac), { policy: await policyOf(SETTINGS), network, now: mac.now() });
  const leaks = result.clauses.flatMap((clause) => clause.failures.filter((failure) => failure.leak));
  expect(leaks, `${step}: leaks`).toEqual([]);
  expect(anchorRules(mac), step).not.toMatch(/192\.168\.1\.40/); // the exception is not among them
  const status = await getKillSwitchStatus({ system: mac.system, network, now: mac.now() });
  expect(status.state, step).toBe("safe-mode");
  expect(status.headline).toMatch(/blocking all but the VPN servers/);
  expect(watchdogStatus()).toMatchObject({ result: "failed", failedClosed: true });
}

const failClosedFile = () => `${mac.stateDirectory}/fail-closed.pf`;

/** Rewrites every template of the watchdog (this network's and any other network's). */
function damageTemplates(change: (text: string) => string) {
  const rules = `${mac.stateDirectory}/rules`;
  for (const name of readdirSync(rules).filter((file) => file.endsWith(".pf"))) {
    writeFileSync(`${rules}/${name}`, change(readFileSync(`${rules}/${name}`, "utf8")));
  }
}

describe("failing closed at boot", () => {
  it("loads the fail-closed rules when the template is corrupt, the VPN server still reachable", async () => {
    const boot = await restartedAfter(() => damageTemplates((text) => text.split("# Everything else")[0]));
    expect(readFileSync(failClosedFile(), "utf8")).toContain("#@@ each-link:");
    expect(ruleLines(anchorRules(mac))).toEqual(await failClosedFor(boot));
    expect(anchorRules(mac)).toContain(SERVER_PASS);
    expect(anchorRules(mac)).toContain(
      "pass out quick on en0 inet proto udp from any port 68 to 255.255.255.255 port 67 keep state",
    );
    await expectBlocking(boot, "corrupt template");
    expect(watchdogStatus().message).toMatch(
      /network-1\.pf\) are missing or incomplete; blocking with the fail-closed rules/,
    );
  });

  it("puts them ahead of another program's main rules that cannot be kept, by setting those aside", async () => {
    const passAll = { ...emptyRuleset(), filter: ['anchor "_1" all {', "pass quick all", "}"] };
    const boot = await restartedAfter(() => damageTemplates((text) => text.split("# Everything else")[0]), passAll);
    expect(mac.readPf().main.filter).toEqual([`anchor "${ANCHOR_NAME}" all`]);
    await expectBlocking(boot, "corrupt template, main rules that cannot be kept");
  });

  it("loads them when the rules and their record are gone", async () => {
    const boot = await restartedAfter(() => {
      rmSync(`${mac.stateDirectory}/rules`, { recursive: true });
      rmSync(`${mac.stateDirectory}/anchor.pf`);
    });
    expect(anchorRules(mac)).toContain(SERVER_PASS);
    await expectBlocking(boot, "rules missing");
  });

  it("loads them when pf refuses the rules", async () => {
    const boot = await restartedAfter(() =>
      damageTemplates(
        (text) => `pass out quick on en0 received-on en0 all
${text}`,
      ),
    );
    expect(anchorRules(mac)).toContain(SERVER_PASS);
    await expectBlocking(boot, "rules refused");
    expect(watchdogStatus().message).toMatch(/pf refused the rules for this network \(network-1\.pf\)/);
  });

  it("loads them when state.json is damaged", async () => {
    const boot = await restartedAfter(() => writeFileSync(`${mac.stateDirectory}/state.json`, '{"vers'));
    expect(anchorRules(mac)).toContain(SERVER_PASS);
    await expectBlocking(boot, "state.json damaged");
    expect(watchdogStatus().message).toMatch(/state\.json\) is unreadable/);
  });

  it("falls back to its built-in rules, the builder's link plumbing, when the fail-closed rules are damaged too", async () => {
    const boot = await restartedAfter(() => {
      damageTemplates(() => "garbage\n");
      writeFileSync(failClosedFile(), "pass out quick all\n");
    });
    // No server is known to the built-in rules: loopback and the link plumbing of each physical link only,
    // broadcast DHCP only (the lease's server is not read either).
    const links = boot.physical.map(({ name, ipv4, ipv6 }) => ({ name, ipv4, ipv6 }));
    expect(links.map((link) => link.name)).toEqual(["en0"]);
    const built = buildFailClosedAnchor({
      policy: { ...(await policyOf(settingsFrom({}))), endpoints: [] },
      network: { ...boot, physical: links },
      now: mac.now(),
    });
    expect(ruleLines(anchorRules(mac))).toEqual(ruleLines(built));
    await expectBlocking(boot, "built-in rules");
    expect(watchdogStatus().message).toMatch(/blocking with the built-in fail-closed rules/);
  });

  it("goes back to the kill switch's own rules once Enable repairs them", async () => {
    await restartedAfter(() => damageTemplates(() => "garbage\n"));
    const vpn = joinNetwork(mac, { wifi: "home", vpn: "utun4" });
    const on = await enable(mac, SETTINGS, vpn);
    expect(on.status.state).toBe("protected");
    expect(anchorRules(mac)).toContain("to 192.168.1.40 flags any keep state");
  });
});
