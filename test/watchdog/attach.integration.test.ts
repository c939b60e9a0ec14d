/**
 * Our rules run first or the kill switch says it is not attached: Apple's anchor point counts only as the exact
 * `anchor "com.apple/*" all` line, and only when no sibling anchor sorts before ours; otherwise a reference to
 * our anchor goes to the top of the main ruleset.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ANCHOR_NAME } from "../../src/privileged/paths";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macNetworkState, macSnapshot } from "../fakes/networks";
import { appleMainRuleset, evaluationOrder } from "../fakes/pf-model";
import { enable, runWatchdog, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const SETTINGS = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"] });
const HOME = { wifi: "home", vpn: "utun4" } as const;
const OUR_REFERENCE = `anchor "${ANCHOR_NAME}" all`;
const firstFilterRule = () => mac.readPf().main.filter.find((rule) => !rule.startsWith("scrub"));

describe("attaching ahead of everything", () => {
  it("does not take Apple's anchor point when it is limited to one interface", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME) });
    const main = appleMainRuleset();
    main.filter = main.filter.map((rule) =>
      rule === 'anchor "com.apple/*" all' ? 'anchor "com.apple/*" on en1 all' : rule,
    );
    mac.writePf({ ...mac.readPf(), main });
    const on = await enable(mac, SETTINGS, macNetworkState(HOME));
    expect(on.report.attachment).toBe("main");
    expect(firstFilterRule()).toBe(OUR_REFERENCE);
  });

  it("puts its reference first when another child of com.apple sorts before ours, and the watchdog too", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME) });
    const pf = mac.readPf();
    const early = { filter: ["pass out quick all"], nat: [], dummynet: [], tables: [] };
    mac.writePf({ ...pf, anchors: { ...pf.anchors, "com.apple/-x": early } });
    const on = await enable(mac, SETTINGS, macNetworkState(HOME));
    expect(on.report.attachment).toBe("main");
    expect(evaluationOrder(mac.readPf())[0]).toBe(ANCHOR_NAME);

    // Another program reloads the main ruleset (Apple's lines only), with the sibling still there.
    mac.writePf({ ...mac.readPf(), main: appleMainRuleset() });
    expect(evaluationOrder(mac.readPf())[0]).toBe("com.apple/-x");
    await runWatchdog(mac);
    expect(evaluationOrder(mac.readPf())[0]).toBe(ANCHOR_NAME);
    expect(firstFilterRule()).toBe(OUR_REFERENCE);
  });

  it("keeps Apple's anchor point when Apple's own children are the only others", async () => {
    mac = createFakeMac({ network: macSnapshot(HOME) });
    const on = await enable(mac, SETTINGS, macNetworkState(HOME));
    expect(on.report.attachment).toBe("com.apple");
    expect(firstFilterRule()).toBe('anchor "com.apple/*" all');
  });
});
