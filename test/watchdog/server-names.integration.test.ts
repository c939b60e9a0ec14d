/**
 * A VPN app that reaches its server by name (`remote vpn.example.com 1194`) reconnects while the kill switch
 * blocks, after a drop and after a restart, on a network whose DNS lies: the Mac answers the name itself, so no
 * query leaves; another app's query is still refused, and a forged answer opens nothing.
 */
import { existsSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { enableKillSwitch } from "../../src/lifecycle";
import type { FakeMac } from "../fakes/fake-mac";
import { hostsAnswer } from "../fakes/programs/connect-by-name";
import { preparedFakeMac } from "../fakes/prepared-mac";
import { type MacNetwork, macNetworkState, macSnapshot } from "../fakes/networks";
import { joinNetwork, runWatchdog, settingsFrom } from "./helpers";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const HOME_WITH_VPN: MacNetwork = { wifi: "home", vpn: "utun4" };
const HOME_WITHOUT_VPN: MacNetwork = { wifi: "home", vpn: null };
const SETTINGS = settingsFrom({ vpnServers: ["vpn.example.com:1194/udp"] });
const SERVER = { "vpn.example.com": ["198.51.100.7"] };
const STOCK_HOSTS = readFileSync(`${__dirname}/../fixtures/fake-mac/etc-hosts`, "utf8");

/** On at home with the VPN up, the watchdog installed: enabled for real once per test process, a copy after. */
async function onAtHome(): Promise<FakeMac> {
  const prepared = await preparedFakeMac(
    ["server names: on at home", SETTINGS],
    { network: macSnapshot(HOME_WITH_VPN) },
    (fresh) =>
      enableKillSwitch({
        system: fresh.system,
        settings: SETTINGS,
        network: macNetworkState(HOME_WITH_VPN),
        lookup: async (host) => SERVER[host as "vpn.example.com"] ?? [],
        confirmedAddresses: SERVER,
      }),
  );
  mac = prepared.mac;
  // The network's DNS is hostile: it points the VPN's name at another host, and answers anyone who asks.
  mac.setDnsAnswers({ "vpn.example.com": ["203.0.113.66"], "www.example.org": ["203.0.113.80"] });
  return mac;
}

const tunnels = () => JSON.parse(readFileSync(`${mac.stateDirectory}/state.json`, "utf8")).tunnels;

/** While blocking: the VPN app reconnects by name, with no query; another app's query and the forged host stay shut. */
async function expectReconnectByNameOnly(step: string) {
  expect(tunnels(), `${step}: blocking`).toEqual([]);
  const vpn = await mac.connectByName(["-u", "-b", "en0", "vpn.example.com", "1194"]);
  expect(vpn.stdout, step).toBe(
    "vpn.example.com: /etc/hosts answered 198.51.100.7\nconnected to 198.51.100.7 port 1194 (udp) from en0\n",
  );
  expect(vpn.exitCode, step).toBe(0);
  const other = await mac.connectByName(["-b", "en0", "www.example.org", "443"]);
  expect(other.stdout, step).toBe("www.example.org: the query to 192.168.1.1 port 53 on en0 was blocked by pf\n");
  expect(other.exitCode, step).toBe(2);
  // Were the forged answer believed, by any app, it would lead nowhere: pf passes the VPN's own server only.
  const forged = await mac.connectByName(["-u", "-b", "en0", "203.0.113.66", "1194"]);
  expect(forged.stdout, step).toBe("203.0.113.66 port 1194: blocked by pf\n");
  expect(forged.exitCode, step).toBe(1);
  // And the watchdog, which asks nobody, never learnt it.
  expect(hostsAnswer(readFileSync(`${mac.root}/etc/hosts`, "utf8"), "vpn.example.com"), step).toEqual(["198.51.100.7"]);
}

async function vpnBack(step: string) {
  joinNetwork(mac, HOME_WITH_VPN);
  await runWatchdog(mac);
  expect(tunnels(), `${step}: protected again`).toEqual(["utun4"]);
}

describe("a VPN that reaches its server by name", () => {
  it("reconnects after a drop, while nothing else resolves and a forged answer opens nothing", async () => {
    await onAtHome();
    joinNetwork(mac, HOME_WITHOUT_VPN);
    await runWatchdog(mac);
    await expectReconnectByNameOnly("after the drop");
    await vpnBack("after the drop");
  });

  it("reconnects after a restart, the watchdog having put back the names an update took out of /etc/hosts", async () => {
    await onAtHome();
    joinNetwork(mac, HOME_WITHOUT_VPN);
    writeFileSync(`${mac.root}/etc/hosts`, STOCK_HOSTS);
    mac.reboot();
    await runWatchdog(mac);
    expect(readFileSync(`${mac.root}/etc/hosts`, "utf8").startsWith(STOCK_HOSTS)).toBe(true);
    await expectReconnectByNameOnly("after the restart");
    await vpnBack("after the restart");
  });

  it("has the names put back at the next check when a program rewrites /etc/hosts while all is steady", async () => {
    await onAtHome();
    await runWatchdog(mac);
    // Steady: nothing changed since the last full check, so the next one reads no work folder's worth.
    const steady = readFileSync(`${mac.stateDirectory}/steady`, "utf8");
    expect(steady).not.toBe("");
    writeFileSync(`${mac.root}/etc/hosts`, `${STOCK_HOSTS}10.0.0.5\tbuild.internal\n`);
    await runWatchdog(mac);
    expect(hostsAnswer(readFileSync(`${mac.root}/etc/hosts`, "utf8"), "vpn.example.com")).toEqual(["198.51.100.7"]);
    expect(readFileSync(`${mac.root}/etc/hosts`, "utf8").startsWith(`${STOCK_HOSTS}10.0.0.5\tbuild.internal\n`)).toBe(
      true,
    );
  });

  it("leaves an /etc/hosts that is a link alone at its checks, without a word at each (Enable said it)", async () => {
    await onAtHome();
    writeFileSync(`${mac.root}/etc/hosts.managed`, STOCK_HOSTS);
    rmSync(`${mac.root}/etc/hosts`);
    symlinkSync("hosts.managed", `${mac.root}/etc/hosts`);
    joinNetwork(mac, HOME_WITHOUT_VPN);
    await runWatchdog(mac);
    expect(readlinkSync(`${mac.root}/etc/hosts`)).toBe("hosts.managed");
    expect(readFileSync(`${mac.root}/etc/hosts.managed`, "utf8")).toBe(STOCK_HOSTS);
    const checked = JSON.parse(readFileSync(`${mac.stateDirectory}/watchdog.json`, "utf8"));
    expect(checked.message).toBe("now letting through no tunnel (blocking mode)");
    // So the next check, nothing having changed, is a steady one.
    expect(existsSync(`${mac.stateDirectory}/steady`)).toBe(true);
  });

  it("the fake Mac's resolver: without the Mac's answer the name is looked up, and pf refuses the query", async () => {
    await onAtHome();
    joinNetwork(mac, HOME_WITHOUT_VPN);
    await runWatchdog(mac);
    writeFileSync(`${mac.root}/etc/hosts`, STOCK_HOSTS);
    const vpn = await mac.connectByName(["-u", "-b", "en0", "vpn.example.com", "1194"]);
    expect(vpn.stdout).toBe("vpn.example.com: the query to 192.168.1.1 port 53 on en0 was blocked by pf\n");
    expect(vpn.exitCode).toBe(2);
  });
});
