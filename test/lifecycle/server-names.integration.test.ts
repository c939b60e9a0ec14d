/**
 * A VPN server named by host name is answered on the Mac itself while the kill switch is on: a block of ours in
 * /etc/hosts, written by Enable and Apply, taken out by Disable and Uninstall, every other line of the file kept.
 */
import { execFile } from "node:child_process";
import { readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  applyKillSwitch,
  disableKillSwitch,
  enableKillSwitch,
  getKillSwitchStatus,
  uninstallKillSwitch,
} from "../../src/lifecycle";
import { PRODUCT_ID } from "../../src/privileged/paths";
import { loadRootScript } from "../../src/privileged/root-script-loader";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { hostsAnswer } from "../fakes/programs/connect-by-name";
import { preparedFakeMac } from "../fakes/prepared-mac";
import { NOW, WIFI_WITHOUT_VPN, WIFI_WITH_VPN, settingsFrom } from "./scenario";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const SETTINGS = settingsFrom({
  vpnServers: ["vpn.example.com:1194/udp", "198.51.100.7:1194/udp"],
  exceptions: [{ address: "nas.example.net", label: "NAS" }],
});
const ADDRESSES: Record<string, string[]> = {
  // Written as a resolver may print it: pinned in its one canonical text.
  "vpn.example.com": ["198.51.100.7", "2001:db8:0:0:0:0:0:7"],
  "nas.example.net": ["192.168.1.40"],
};
const CONFIRMED = { "vpn.example.com": ADDRESSES["vpn.example.com"] };
const BEGIN = `# BEGIN ${PRODUCT_ID}: VPN servers the kill switch answers for while it is on (Disable removes this block)`;
const END = `# END ${PRODUCT_ID}`;
const block = (...lines: string[]) => `${BEGIN}\n${lines.join("\n")}\n${END}\n`;

/** /etc/hosts as someone made it: comments, tabs, a CRLF line, a scoped address, a look-alike of our marker, UTF-8. */
const USERS_HOSTS =
  "##\n# Host Database\n##\n127.0.0.1\tlocalhost\n255.255.255.255\tbroadcasthost\n::1             localhost\n" +
  "10.0.0.5\tbuild.internal   # the build box\r\n" +
  `${BEGIN} (copied by hand)\n` +
  "fe80::1%lo0\tlocalhost\n" +
  "192.168.1.40 nas.example.net café.example\n" +
  "  \n";

const request = (lookup = async (host: string) => ADDRESSES[host] ?? []) => ({
  system: mac.system,
  settings: SETTINGS,
  network: WIFI_WITH_VPN,
  now: NOW,
  lookup,
  confirmedAddresses: CONFIRMED,
});

const hosts = () => readFileSync(`${mac.root}/etc/hosts`, "utf8");

/** On, after an Enable over the user's own /etc/hosts: enabled for real once per test process, a copy after. */
async function enabledOverUsersHosts() {
  const prepared = await preparedFakeMac(["server names: enable", SETTINGS, USERS_HOSTS], {}, async (fresh) => {
    writeFileSync(`${fresh.root}/etc/hosts`, USERS_HOSTS);
    mac = fresh;
    return enableKillSwitch(request());
  });
  mac = prepared.mac;
  return prepared.value;
}

describe("VPN servers named by host name", () => {
  it("are answered from a block of /etc/hosts while the kill switch is on, and said so", async () => {
    const on = await enabledOverUsersHosts();
    expect(hosts()).toBe(USERS_HOSTS + block("198.51.100.7\tvpn.example.com", "2001:db8::7\tvpn.example.com"));
    expect((statSync(`${mac.root}/etc/hosts`).mode & 0o777).toString(8)).toBe("644");
    // An exception's name is no VPN server's: the Mac does not answer for it.
    expect(hostsAnswer(hosts(), "nas.example.net")).toEqual(["192.168.1.40"]);
    const note =
      "While the kill switch is on, this Mac answers for the VPN server itself (vpn.example.com is 198.51.100.7, 2001:db8::7), so the VPN app finds it again with DNS blocked.";
    expect(on.notes).toContain(note);
    const status = JSON.parse(readFileSync(`${mac.stateDirectory}/status.json`, "utf8"));
    expect(status.pinnedNames).toEqual(["vpn.example.com=198.51.100.7", "vpn.example.com=2001:db8::7"]);
    const now = await getKillSwitchStatus({ system: mac.system, network: WIFI_WITH_VPN, now: NOW });
    expect(now.pinnedNames).toEqual({ "vpn.example.com": ["198.51.100.7", "2001:db8::7"] });
    // While blocking, Status says where the VPN app finds its server.
    const blocking = await getKillSwitchStatus({ system: mac.system, network: WIFI_WITHOUT_VPN, now: NOW });
    expect(blocking.notes).toContain(note);
  });

  it("replaces the block when the answer changes, and Disable leaves the rest of the file as it was", async () => {
    await enabledOverUsersHosts();
    const moved = { "vpn.example.com": ["198.51.100.8"] };
    await applyKillSwitch({
      ...request(async (host) => moved[host as "vpn.example.com"] ?? []),
      confirmedAddresses: moved,
    });
    expect(hosts()).toBe(USERS_HOSTS + block("198.51.100.8\tvpn.example.com"));
    await disableKillSwitch({ system: mac.system });
    expect(hosts()).toBe(USERS_HOSTS);
  });

  it("never reads its own answer back: a pinned name is asked of the DNS servers, so a server that moved is learnt", async () => {
    await enabledOverUsersHosts();
    // getaddrinfo reads /etc/hosts first, where the old address is pinned.
    const getaddrinfo = async (host: string) => hostsAnswer(hosts(), host);
    const answered = { "vpn.example.com": ["198.51.100.9"] };
    const applied = await applyKillSwitch({
      ...request(getaddrinfo),
      lookupPastPins: async (host) => answered[host as "vpn.example.com"] ?? [],
      confirmedAddresses: answered,
    });
    expect(applied.rules).toContain("to 198.51.100.9 port 1194");
    expect(applied.rules).not.toContain("to 2001:db8");
    expect(hosts()).toBe(USERS_HOSTS + block("198.51.100.9\tvpn.example.com"));
  });

  it("is taken out by Uninstall too", async () => {
    await enabledOverUsersHosts();
    expect(hosts()).toBe(USERS_HOSTS + block("198.51.100.7\tvpn.example.com", "2001:db8::7\tvpn.example.com"));
    await uninstallKillSwitch({ system: mac.system });
    expect(hosts()).toBe(USERS_HOSTS);
  });

  it("leaves /etc/hosts alone when it is a link (a hosts manager's), and says the names are not answered", async () => {
    mac = createFakeMac();
    writeFileSync(`${mac.root}/etc/hosts.managed`, USERS_HOSTS);
    rmSync(`${mac.root}/etc/hosts`);
    symlinkSync("hosts.managed", `${mac.root}/etc/hosts`);
    const on = await enableKillSwitch(request());
    expect(readlinkSync(`${mac.root}/etc/hosts`)).toBe("hosts.managed");
    expect(readFileSync(`${mac.root}/etc/hosts.managed`, "utf8")).toBe(USERS_HOSTS);
    expect(on.notes).toContain(
      `VPN server names are not answered on this Mac: ${mac.root}/etc/hosts is not a plain file, so the kill switch leaves it as it is.`,
    );
  });
});

describe("the root script's --server-name", () => {
  const RULES = "block return out log (user) quick all\nblock drop in log (user) quick all\n";
  const run = (root: string, name: string, addresses: string) =>
    new Promise<{ code: number; stderr: string }>((done) =>
      execFile(
        "/bin/sh",
        [
          "-c",
          loadRootScript(),
          "killswitch-root",
          "enable",
          root,
          "--rules",
          RULES,
          "--server-address",
          "198.51.100.7",
          "--server-name",
          name,
          addresses,
        ],
        { encoding: "utf8" },
        (error, _stdout, stderr) => done({ code: Number(error?.code ?? 0), stderr }),
      ),
    );

  it.each([
    ["localhost", "198.51.100.7"],
    ["VPN.example.com", "198.51.100.7"],
    ["vpn.example.com\n203.0.113.66 bank.example", "198.51.100.7"],
    ["-vpn.example.com", "198.51.100.7"],
    ["1.2.3.4", "198.51.100.7"],
    ["vpn.example.com", "198.051.100.7"],
    ["vpn.example.com", "2001:DB8::7"],
    ["vpn.example.com", "2001:db8:0::7"],
    ["vpn.example.com", "198.51.100.7,*"],
    ["vpn.example.com", ""],
  ])("refuses %j %j, naming it, and changes nothing", async (name, addresses) => {
    mac = createFakeMac();
    const result = await run(mac.root, name, addresses);
    expect(result.code).toBe(64);
    expect(result.stderr).toBe(
      `--server-name needs a lower-case host name and canonical addresses: ${name} ${addresses}\n`,
    );
    expect(hosts()).toBe(readFileSync(`${__dirname}/../fixtures/fake-mac/etc-hosts`, "utf8"));
  });

  it("refuses an address the rules do not pass as a VPN server's", async () => {
    mac = createFakeMac();
    const result = await run(mac.root, "vpn.example.com", "198.51.100.7,203.0.113.66");
    expect(result).toEqual({
      code: 64,
      stderr:
        "--server-name: 203.0.113.66 (for vpn.example.com) is not one of the VPN server addresses (--server-address)\n",
    });
    expect(hosts()).toBe(readFileSync(`${__dirname}/../fixtures/fake-mac/etc-hosts`, "utf8"));
    expect(mac.pfctlCalls()).toEqual([]);
  });
});
