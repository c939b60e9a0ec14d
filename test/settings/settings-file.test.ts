import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../src/policy/settings";
import {
  SettingsFileError,
  readSettingsFile,
  updateSettingsFile,
  userSettingsPath,
} from "../../src/settings/settings-file";
import { temporaryDirectory } from "../temporary-directory";

function settingsPath(): string {
  return userSettingsPath(temporaryDirectory("settings-home-"));
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

describe("the user's settings file", () => {
  it("lives in the user's Library, in the product's folder", () => {
    expect(userSettingsPath("/Users/ana")).toBe(
      "/Users/ana/Library/Application Support/com.vpnkillswitch.raycast/settings.json",
    );
  });

  it("gives the defaults when there is none, and is created (folder and all) by the first change", async () => {
    const path = settingsPath();
    expect(await readSettingsFile(path)).toEqual({ path, exists: false, raw: {}, settings: DEFAULT_SETTINGS });
    const written = await updateSettingsFile(path, (current) => ({ ...current.raw, allowLan: true }));
    expect(written.settings.allowLan).toBe(true);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ allowLan: true });
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // Only the file: no draft or lock left beside it.
    expect(readdirSync(dirname(path))).toEqual(["settings.json"]);
  });

  it("keeps what the file says as it says it: only the fields it sets", async () => {
    const path = settingsPath();
    write(path, '\uFEFF{ "vpnServers": ["198.51.100.7:1194/udp"] }');
    const file = await readSettingsFile(path);
    expect(file.raw).toEqual({ vpnServers: ["198.51.100.7:1194/udp"] });
    expect(file.settings.protectFromStartup).toBe(true);
  });

  it.each([
    ["not JSON", "{ nope", /^settings file .+ is not valid JSON: /],
    ["not an object", "[1, 2]", /^settings file .+ does not hold a JSON object of settings$/],
    [
      "invalid settings",
      '{ "allowLan": "yes", "exceptions": [{ "address": "10.0.0.1", "port": 99999 }] }',
      /^settings file .+ holds invalid settings:\n {2}allowLan: expected boolean, got "yes"\n {2}exceptions\[0\]\.port: 99999 is not a port/,
    ],
    ["not text", "\u0000\u0001", /^settings file .+ is not a text file \(it holds NUL bytes\)$/],
  ])("names the file when it is %s, and a change leaves it as it was", async (_kind, text, message) => {
    const path = settingsPath();
    write(path, text);
    await expect(readSettingsFile(path)).rejects.toThrow(message);
    const change = updateSettingsFile(path, (current) => ({ ...current.raw, allowLan: true }));
    await expect(change).rejects.toBeInstanceOf(SettingsFileError);
    await expect(change).rejects.toThrow(/\(nothing was changed\)$/);
    expect(readFileSync(path, "utf8")).toBe(text);
    expect(readdirSync(dirname(path))).toEqual(["settings.json"]);
  });

  it("names a file it cannot read", async () => {
    const path = settingsPath();
    mkdirSync(path, { recursive: true });
    await expect(readSettingsFile(path)).rejects.toThrow(`settings file ${path} is a folder, not a file`);
  });

  it("refuses a change that would make the settings invalid, naming the field and value, and writes nothing", async () => {
    const path = settingsPath();
    write(path, '{ "allowLan": true }');
    const change = updateSettingsFile(path, (current) => ({ ...current.raw, vpnServers: ["vpn example"] }));
    await expect(change).rejects.toMatchObject({
      message: `vpnServers[0]: "vpn example" is not an IP address, IP:port/proto, IP/ikev2, or host name\n(nothing was changed in settings file ${path})`,
      field: "vpnServers[0]",
      value: '"vpn example"',
    });
    expect(readFileSync(path, "utf8")).toBe('{ "allowLan": true }');
  });

  it("changes the file as it is when the change is written, not as it was read before", async () => {
    const path = settingsPath();
    write(path, '{ "allowLan": true }');
    const before = await readSettingsFile(path);
    // Another front-end writes meanwhile.
    await updateSettingsFile(path, (current) => ({ ...current.raw, allowAirDrop: false }));
    await updateSettingsFile(path, (current) => ({ ...current.raw, allowDiscovery: false }));
    expect(before.raw).toEqual({ allowLan: true });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      allowLan: true,
      allowAirDrop: false,
      allowDiscovery: false,
    });
  });

  it("says who holds the lock when another command keeps it, and changes nothing", async () => {
    const path = settingsPath();
    write(path, '{ "allowLan": true }');
    // This process stands in for the other command: alive, with a lock of its own.
    writeFileSync(`${path}.lock`, `${process.pid} 0f3c2a1e-6b7d-4e8f-9a0b-1c2d3e4f5a6b\n`);
    const change = updateSettingsFile(path, () => ({ allowLan: false }), { patience: 2, wait: async () => undefined });
    await expect(change).rejects.toThrow(
      `settings file ${path} is being changed by another command (its lock ${path}.lock is held by process ${process.pid}), so nothing was changed. Try again; if no kill switch command is running, delete ${path}.lock.`,
    );
    expect(readFileSync(path, "utf8")).toBe('{ "allowLan": true }');
  });

  it("lets go of its lock when the change fails", async () => {
    const path = settingsPath();
    const failing = updateSettingsFile(path, () => {
      throw new Error("the change itself failed");
    });
    await expect(failing).rejects.toThrow("the change itself failed");
    await updateSettingsFile(path, () => ({ allowLan: true }), { patience: 0 });
    expect(readdirSync(join(path, ".."))).toEqual(["settings.json"]);
  });
});
