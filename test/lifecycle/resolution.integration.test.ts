import { readFileSync, statSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  KillSwitchError,
  NameConfirmationError,
  applyKillSwitch,
  disableKillSwitch,
  enableKillSwitch,
} from "../../src/lifecycle";
import { resolveWithRecord } from "../../src/lifecycle/resolution";
import type { NetworkState } from "../../src/network/state";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { preparedFakeMac } from "../fakes/prepared-mac";
import { NOW, WIFI_WITHOUT_VPN, WIFI_WITH_VPN, settingsFrom } from "./scenario";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

const SETTINGS = settingsFrom({
  vpnServers: ["vpn.example.com:51820/udp"],
  exceptions: [{ address: "nas.example.net", label: "NAS" }],
});

const ADDRESSES: Record<string, string[]> = {
  "vpn.example.com": ["203.0.113.9", "2001:db8::9"],
  "nas.example.net": ["198.51.100.40"],
};
const dnsWorks = async (host: string) => ADDRESSES[host] ?? [];
/** What a lookup does while the kill switch refuses DNS outside the tunnel. */
const dnsBlocked = async (host: string): Promise<string[]> => {
  throw new Error(`getaddrinfo ECONNREFUSED ${host}`);
};

const request = (
  lookup: (host: string) => Promise<string[]>,
  confirmedAddresses: Record<string, string[]> = ADDRESSES,
  settings = SETTINGS,
  network: NetworkState = WIFI_WITHOUT_VPN,
) => ({ system: mac.system, settings, network, now: NOW, lookup, confirmedAddresses });

/** On after an Enable that resolved every name: enabled for real once per test process, a copy after. */
async function enabledWithDnsWorking() {
  const input = { settings: SETTINGS, network: WIFI_WITHOUT_VPN, now: NOW, confirmedAddresses: ADDRESSES };
  const prepared = await preparedFakeMac(["resolution: enable, DNS working", input], {}, (fresh) =>
    enableKillSwitch({ ...input, system: fresh.system, lookup: dnsWorks }),
  );
  mac = prepared.mac;
  return prepared.value;
}

describe("host names while DNS is blocked", () => {
  it("records what each host name resolved to, readable without root", async () => {
    await enabledWithDnsWorking();
    const file = `${mac.stateDirectory}/resolved.json`;
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ version: 2, hosts: ADDRESSES });
    expect((statSync(file).mode & 0o777).toString(8)).toBe("644");
  });

  it("falls back to the recorded addresses, and says so, when the kill switch blocks DNS", async () => {
    const on = await enabledWithDnsWorking();
    const applied = await applyKillSwitch(request(dnsBlocked, {}));
    expect(applied.rules).toBe(on.rules);
    expect(applied.rules).toContain("to 203.0.113.9 port 51820");
    expect(applied.rules).toContain("to 198.51.100.40 flags any keep state");
    expect(applied.notes[0]).toBe(
      "vpn.example.com, nas.example.net could not be resolved now (DNS outside the VPN is blocked while the kill switch is on), so the addresses recorded when they last resolved were used.",
    );
    // Enable (again) works the same way, and the record is kept for the next time.
    const again = await enableKillSwitch(request(dnsBlocked, {}));
    expect(again.rules).toContain("to 2001:db8::9 port 51820");
    expect(JSON.parse(readFileSync(`${mac.stateDirectory}/resolved.json`, "utf8")).hosts).toEqual(ADDRESSES);
  });

  it("still fails, before any prompt, for a name that was never resolved", async () => {
    await enabledWithDnsWorking();
    await disableKillSwitch({ system: mac.system });
    const error = await enableKillSwitch(request(dnsBlocked)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KillSwitchError);
    expect(error).toMatchObject({ kind: "resolve", nothingChanged: true });
    expect(mac.prompts()).toHaveLength(2);
  });
});

const NAS = settingsFrom({ vpnServers: ["198.51.100.7:1194/udp"], exceptions: [{ address: "nas.example.net" }] });

describe("names the network resolves are confirmed", () => {
  it("does not pass a name the network's DNS points at a public address until the user confirms it", async () => {
    mac = createFakeMac();
    const error = await enableKillSwitch(request(dnsWorks, {}, NAS)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NameConfirmationError);
    expect(error).toMatchObject({
      kind: "confirm-addresses",
      nothingChanged: true,
      names: [{ field: "exceptions[0].address", host: "nas.example.net", addresses: ["198.51.100.40"] }],
    });
    expect((error as Error).message).toContain(
      'exceptions[0].address: "nas.example.net" resolved outside the VPN to 198.51.100.40',
    );
    expect((error as Error).message).toContain("--confirm-addresses nas.example.net=198.51.100.40");
    expect(mac.prompts()).toHaveLength(0);
    expect(JSON.stringify(mac.readPf())).not.toContain("198.51.100.40");
  });

  it("passes a confirmed answer, keeps it, and asks again when the name resolves elsewhere", async () => {
    mac = createFakeMac();
    const on = await enableKillSwitch(request(dnsWorks, { "nas.example.net": ["198.51.100.40"] }, NAS));
    expect(on.rules).toContain("to 198.51.100.40 flags any keep state");
    // Kept: the same answer needs no confirmation at the next Enable or Apply.
    expect((await applyKillSwitch(request(dnsWorks, {}, NAS))).rules).toBe(on.rules);
    const moved = async (host: string) => (host === "nas.example.net" ? ["203.0.113.66", "192.168.1.60"] : []);
    const error = await enableKillSwitch(request(moved, {}, NAS)).catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: "confirm-addresses",
      names: [{ field: "exceptions[0].address", host: "nas.example.net", addresses: ["203.0.113.66"] }],
    });
    expect(mac.prompts()).toHaveLength(2);
    const confirmed = await enableKillSwitch(request(moved, { "nas.example.net": ["203.0.113.66"] }, NAS));
    expect(confirmed.rules).toContain("to 203.0.113.66 flags any keep state");
  });

  it("asks about a VPN server's name too, and takes confirmations kept in the settings", async () => {
    mac = createFakeMac();
    const settings = settingsFrom({ vpnServers: ["vpn.example.com:51820/udp"] });
    const error = await enableKillSwitch(request(dnsWorks, {}, settings)).catch((e: unknown) => e);
    expect(error).toMatchObject({
      names: [{ field: "vpnServers[0]", host: "vpn.example.com", addresses: ["203.0.113.9", "2001:db8::9"] }],
    });
    const kept = settingsFrom({
      vpnServers: ["vpn.example.com:51820/udp"],
      confirmedAddresses: { "vpn.example.com": ["203.0.113.9", "2001:db8::9"] },
    });
    expect((await enableKillSwitch(request(dnsWorks, {}, kept))).rules).toContain("to 2001:db8::9 port 51820");
  });

  it("believes the VPN's resolver, and not the network's while the VPN is up", async () => {
    mac = createFakeMac();
    const throughVpn = { ...WIFI_WITH_VPN, resolverInterfaces: [{ domain: null, interface: "utun4" }] };
    expect((await enableKillSwitch(request(dnsWorks, {}, NAS, throughVpn))).rules).toContain("to 198.51.100.40");
    await disableKillSwitch({ system: mac.system });
    const throughWifi = { ...WIFI_WITH_VPN, resolverInterfaces: [{ domain: null, interface: "en0" }] };
    const error = await enableKillSwitch(request(dnsWorks, {}, NAS, throughWifi)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NameConfirmationError);
    // A supplemental resolver on the Wi-Fi for the name's domain answers it, whatever resolver #1 is.
    const split = {
      ...throughVpn,
      resolverInterfaces: [...throughVpn.resolverInterfaces, { domain: "example.net", interface: "en0" }],
    };
    expect(await enableKillSwitch(request(dnsWorks, {}, NAS, split)).catch((e: unknown) => e)).toBeInstanceOf(
      NameConfirmationError,
    );
  });

  it("needs no confirmation for a private answer, and refuses one for a name the settings do not use", async () => {
    mac = createFakeMac();
    const home = async () => ["192.168.1.60", "fd00::60"];
    expect((await enableKillSwitch(request(home, {}, NAS))).rules).toContain("to 192.168.1.60");
    const stray = await enableKillSwitch(request(home, { "other.example.net": ["203.0.113.1"] }, NAS)).catch(
      (e: unknown) => e,
    );
    expect(stray).toMatchObject({ kind: "confirm-addresses", message: expect.stringContaining('"other.example.net"') });
  });

  it("does not take an earlier version's record, written on the network's word, as a confirmation", async () => {
    mac = createFakeMac();
    await enableKillSwitch(request(async () => ["192.168.1.60"], {}, NAS));
    const file = `${mac.stateDirectory}/resolved.json`;
    writeFileSync(file, JSON.stringify({ version: 1, hosts: { "nas.example.net": ["198.51.100.40"] } }));
    const error = await applyKillSwitch(request(dnsBlocked, {}, NAS)).catch((e: unknown) => e);
    expect(error).toMatchObject({ names: [{ host: "nas.example.net", addresses: ["198.51.100.40"] }] });
  });
});

describe("resolveWithRecord", () => {
  it("prefers a fresh answer and uses the record only for names that fail", async () => {
    const outcome = await resolveWithRecord(
      SETTINGS,
      async (host) => (host === "vpn.example.com" ? ["203.0.113.10"] : dnsBlocked(host)),
      { hosts: { "vpn.example.com": ["203.0.113.9"], "nas.example.net": ["198.51.100.40"] }, confirmed: true },
    );
    expect(outcome.result.ok).toBe(true);
    expect(outcome.resolved).toEqual({ "vpn.example.com": ["203.0.113.10"], "nas.example.net": ["198.51.100.40"] });
    expect(outcome.fromRecord).toEqual(["nas.example.net"]);
    expect(outcome.toConfirm).toEqual([]);
  });
});
