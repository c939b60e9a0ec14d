/**
 * A day with "Protect from startup" on, on the fake Mac, checked by the verifier at every step: the rules pf
 * holds are run through the policy's packet matrix for that step's network, pf runs, and our anchor is
 * evaluated first. Only the root watchdog acts between Enable and Disable (no prompt, no extension).
 */
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { disableKillSwitch, getKillSwitchStatus } from "../../src/lifecycle";
import { ANCHOR_NAME } from "../../src/privileged/paths";
import { createFakeMac } from "../fakes/fake-mac";
import { CAFE_ID, HOME_ID, macNetworkState, macSnapshot } from "../fakes/networks";
import { appleMainRuleset, emptyRuleset, evaluationOrder } from "../fakes/pf-model";
import { anchorRules, enable, expectNoLeak, joinNetwork, policyOf, runWatchdog, settingsFrom } from "./helpers";

const SETTINGS = settingsFrom({
  vpnServers: ["198.51.100.7:1194/udp"],
  protectFromStartup: true,
  exceptions: [
    { address: "192.168.1.40", label: "Home printer", scope: HOME_ID },
    { address: "192.168.50.9", port: 631, protocol: "tcp", label: "Cafe printer", scope: CAFE_ID },
    { address: "10.20.0.5", port: 445, protocol: "tcp", label: "NAS" },
  ],
});

const mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: "utun4" }) });
afterAll(() => mac.cleanup());

describe("from boot to shutdown, nothing leaves outside the VPN", () => {
  it("holds at every step of the day", async () => {
    const policy = await policyOf(SETTINGS);
    const status = (network: ReturnType<typeof macNetworkState>) =>
      getKillSwitchStatus({ system: mac.system, network, now: mac.now() });

    // The evening before: on at home, VPN up, with the watchdog installed in the same prompt.
    const evening = macNetworkState({ wifi: "home", vpn: "utun4" });
    const on = await enable(mac, SETTINGS, evening);
    expect(on.report.watchdog).toBe("installed");
    expectNoLeak(mac, policy, evening, new Date(), "enabled");

    // Boot: pf is empty and stopped until com.apple.pfctl loads /etc/pf.conf; nobody has logged in.
    mac.reboot();
    mac.writePf({ ...mac.readPf(), main: emptyRuleset(), anchors: {} });
    const boot = joinNetwork(mac, { wifi: "home", vpn: null });
    await runWatchdog(mac); // RunAtLoad
    expectNoLeak(mac, policy, boot, new Date(), "boot, before login");
    expect(anchorRules(mac)).toContain("to 192.168.1.40 flags any keep state");
    await mac.pfctlAsRoot(["-f", `${mac.root}/etc/pf.conf`]); // com.apple.pfctl
    expectNoLeak(mac, policy, boot, new Date(), "boot, Apple's rules loaded");
    await runWatchdog(mac); // StartInterval
    expectNoLeak(mac, policy, boot, new Date(), "boot, checked again");
    expect((await status(boot)).state).toBe("blocking");

    // The VPN connects (configd rewrites resolv.conf: WatchPaths).
    const vpn = joinNetwork(mac, { wifi: "home", vpn: "utun4" });
    await runWatchdog(mac);
    expectNoLeak(mac, policy, vpn, new Date(), "VPN connected");
    expect(await status(vpn)).toMatchObject({ state: "protected", activeTunnel: "utun4" });

    // Wi-Fi moves to the cafe: the VPN drops, the home printer must stop, the cafe printer may start.
    const cafe = joinNetwork(mac, { wifi: "cafe", vpn: null });
    await runWatchdog(mac);
    expectNoLeak(mac, policy, cafe, new Date(), "Wi-Fi changed");
    expect(anchorRules(mac)).not.toContain("192.168.1.40");
    expect(anchorRules(mac)).toContain("to 192.168.50.9 port 631 flags any keep state");

    // The VPN reconnects on a new tunnel.
    const renumbered = joinNetwork(mac, { wifi: "cafe", vpn: "utun5" });
    await runWatchdog(mac);
    expectNoLeak(mac, policy, renumbered, new Date(), "VPN on utun5");
    expect(await status(renumbered)).toMatchObject({ state: "protected", activeTunnel: "utun5" });

    // The system reloads pf.conf: our child of com.apple stays and stays first.
    await mac.pfctlAsRoot(["-f", `${mac.root}/etc/pf.conf`]);
    expectNoLeak(mac, policy, renumbered, new Date(), "pf.conf reloaded");
    // Internet Sharing replaces the main ruleset without Apple's anchor point and flushes ours.
    const sharing = mac.readPf();
    const others = Object.fromEntries(Object.entries(sharing.anchors).filter(([path]) => path !== ANCHOR_NAME));
    mac.writePf({
      ...sharing,
      main: { ...emptyRuleset(), filter: ['anchor "com.apple.internet-sharing" all'] },
      anchors: { ...others, "com.apple.internet-sharing": { ...emptyRuleset(), filter: ["pass quick all"] } },
    });
    expect(evaluationOrder(mac.readPf())).not.toContain(ANCHOR_NAME);
    await runWatchdog(mac);
    expectNoLeak(mac, policy, renumbered, new Date(), "repaired after Internet Sharing");
    expect((await status(renumbered)).notes.join(" ")).toMatch(/The watchdog repaired the kill switch/);

    // The user disables: everything of ours goes, and nothing comes back.
    await disableKillSwitch({ system: mac.system });
    const off = mac.readPf();
    expect(off.anchors[ANCHOR_NAME]).toBeUndefined();
    expect(off.main.filter).toEqual(['anchor "com.apple.internet-sharing" all']);
    expect(mac.launchDaemons()).toEqual([]);
    expect(existsSync(mac.stateDirectory)).toBe(false);
    mac.reboot();
    expect(mac.launchDaemons()).toEqual([]);
    expect(mac.readPf().main.filter).toEqual(appleMainRuleset().filter);
    expect((await status(renumbered)).state).toBe("off");
  });
});
