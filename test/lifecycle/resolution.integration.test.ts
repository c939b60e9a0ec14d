import { readFileSync, statSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { KillSwitchError, applyKillSwitch, disableKillSwitch, enableKillSwitch } from "../../src/lifecycle";
import { resolveWithRecord } from "../../src/lifecycle/resolution";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { NOW, WIFI_WITHOUT_VPN, settingsFrom } from "./scenario";

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

const request = (lookup: (host: string) => Promise<string[]>) => ({
  system: mac.system,
  settings: SETTINGS,
  network: WIFI_WITHOUT_VPN,
  now: NOW,
  lookup,
});

describe("host names while DNS is blocked", () => {
  it("records what each host name resolved to, readable without root", async () => {
    mac = createFakeMac();
    await enableKillSwitch(request(dnsWorks));
    const file = `${mac.stateDirectory}/resolved.json`;
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ version: 1, hosts: ADDRESSES });
    expect((statSync(file).mode & 0o777).toString(8)).toBe("644");
  });

  it("falls back to the recorded addresses, and says so, when the kill switch blocks DNS", async () => {
    mac = createFakeMac();
    const on = await enableKillSwitch(request(dnsWorks));
    const applied = await applyKillSwitch(request(dnsBlocked));
    expect(applied.rules).toBe(on.rules);
    expect(applied.rules).toContain("to 203.0.113.9 port 51820");
    expect(applied.rules).toContain("to 198.51.100.40 flags any keep state");
    expect(applied.notes[0]).toBe(
      "vpn.example.com, nas.example.net could not be resolved now (DNS outside the VPN is blocked while the kill switch is on), so the addresses recorded when they last resolved were used.",
    );
    // Enable (again) works the same way, and the record is kept for the next time.
    const again = await enableKillSwitch(request(dnsBlocked));
    expect(again.rules).toContain("to 2001:db8::9 port 51820");
    expect(JSON.parse(readFileSync(`${mac.stateDirectory}/resolved.json`, "utf8")).hosts).toEqual(ADDRESSES);
  });

  it("still fails, before any prompt, for a name that was never resolved", async () => {
    mac = createFakeMac();
    await enableKillSwitch(request(dnsWorks));
    await disableKillSwitch({ system: mac.system });
    const error = await enableKillSwitch(request(dnsBlocked)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KillSwitchError);
    expect(error).toMatchObject({ kind: "resolve", nothingChanged: true });
    expect(mac.prompts()).toHaveLength(2);
  });
});

describe("resolveWithRecord", () => {
  it("prefers a fresh answer and uses the record only for names that fail", async () => {
    const outcome = await resolveWithRecord(
      SETTINGS,
      async (host) => (host === "vpn.example.com" ? ["203.0.113.10"] : dnsBlocked(host)),
      { "vpn.example.com": ["203.0.113.9"], "nas.example.net": ["198.51.100.40"] },
    );
    expect(outcome.result.ok).toBe(true);
    expect(outcome.resolved).toEqual({ "vpn.example.com": ["203.0.113.10"], "nas.example.net": ["198.51.100.40"] });
    expect(outcome.fromRecord).toEqual(["nas.example.net"]);
  });
});
