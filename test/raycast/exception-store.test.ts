import { chmodSync, writeFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { parseStoredExceptions } from "../../src/exceptions/stored-exceptions";
import { loadConfirmedAddresses, saveConfirmedAddresses } from "../../src/raycast/stores/confirmed-addresses";
import {
  loadExceptions,
  readCachedExceptions,
  removeException,
  removeRejectedExceptions,
  saveException,
  setExceptionEnabled,
} from "../../src/raycast/stores/exception-store";
import {
  LEGACY_CONFIRMED_ADDRESSES_KEY,
  LEGACY_EXCEPTIONS_KEY,
  UNREADABLE_EXCEPTIONS_KEY,
} from "../../src/raycast/stores/user-settings";
import { LocalStorage, resetRaycast } from "../mocks/raycast-api";
import {
  readUserSettings,
  storeExceptions,
  storedExceptions,
  userSettingsFilePath,
  writeUserSettings,
} from "./user-settings";

const PRINTER = {
  id: "printer",
  address: "192.168.1.20",
  protocol: "tcp",
  port: "631",
  scope: "all",
  label: "Printer",
};
const NAS = { id: "nas", address: "nas.example.com", protocol: "any", scope: "all", label: "" } as const;

beforeEach(() => resetRaycast());

describe("parseStoredExceptions", () => {
  it("reads nothing as an empty list", () => {
    expect(parseStoredExceptions(undefined)).toEqual({ exceptions: [], rejected: [] });
    expect(parseStoredExceptions("")).toEqual({ exceptions: [], rejected: [] });
  });

  it("validates each entry with the settings schema and fills defaults", () => {
    const list = parseStoredExceptions(JSON.stringify([{ address: "10.0.0.0/24" }, PRINTER]));
    expect(list.rejected).toEqual([]);
    expect(list.exceptions).toEqual([
      { id: "10.0.0.0/24|any||all", address: "10.0.0.0/24", protocol: "any", scope: "all", label: "", enabled: true },
      { ...PRINTER, enabled: true },
    ]);
  });

  it("reports a corrupt entry with its position and reason, and keeps the others", () => {
    const list = parseStoredExceptions(JSON.stringify([PRINTER, { address: "10.0.0.1", port: "99999" }, 42]));
    expect(list.exceptions.map((e) => e.id)).toEqual(["printer"]);
    expect(list.rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, 'exception 2 ("10.0.0.1"): port: "99999" is not a port (1-65535), a list (80,443) or a range (8000-8080)'],
      [2, "exception 3 (42): expected object, got 42"],
    ]);
  });

  it("reports a value that is not JSON, or not a list, without crashing", () => {
    expect(parseStoredExceptions("{oops").rejected[0].reason).toMatch(/^stored exceptions are not valid JSON/);
    expect(parseStoredExceptions('{"address":"10.0.0.1"}').rejected).toEqual([
      { raw: { address: "10.0.0.1" }, reason: "stored exceptions are not a list", index: null },
    ]);
  });
});

describe("exception storage in the user's settings file", () => {
  it("adds, replaces, toggles and removes by id, keeping the file's other settings", async () => {
    writeUserSettings({ allowLan: true, vpnServers: ["198.51.100.7:1194/udp"] });
    await saveException({ ...PRINTER, protocol: "tcp", enabled: true });
    await saveException({ ...NAS, enabled: true });
    await saveException({ ...PRINTER, protocol: "tcp", port: "631,9100", enabled: true });
    expect(storedExceptions().map((e) => [e.id, e.port])).toEqual([
      ["printer", "631,9100"],
      ["nas", undefined],
    ]);

    await setExceptionEnabled("nas", false);
    expect((await loadExceptions()).exceptions.find((e) => e.id === "nas")?.enabled).toBe(false);

    await removeException("printer");
    expect(storedExceptions().map((e) => e.id)).toEqual(["nas"]);
    expect(readUserSettings()).toMatchObject({ allowLan: true, vpnServers: ["198.51.100.7:1194/udp"] });
  });

  it("reads what another front-end wrote to the file", async () => {
    storeExceptions([PRINTER]);
    expect((await loadExceptions()).exceptions.map((e) => e.id)).toEqual(["printer"]);
  });

  it("says which file cannot be read, shows none of it and writes nothing to it", async () => {
    writeUserSettings({ exceptions: [PRINTER] });
    writeFileSync(userSettingsFilePath(), "{ not json");
    const list = await loadExceptions();
    expect(list.exceptions).toEqual([]);
    expect(list.fileError).toMatch(
      new RegExp(`^settings file ${userSettingsFilePath().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not valid JSON`),
    );
    await expect(saveException({ ...NAS, enabled: true })).rejects.toThrow(/is not valid JSON/);
    chmodSync(userSettingsFilePath(), 0o000);
    const unreadable = await loadExceptions();
    // Root reads anything: the permission check means something only for a user.
    if (process.getuid?.() !== 0) expect(unreadable.fileError).toContain("cannot be read (permission denied)");
    chmodSync(userSettingsFilePath(), 0o600);
    expect(await loadExceptions()).toMatchObject({ fileError: expect.stringContaining("is not valid JSON") });
    expect(readCachedExceptions().exceptions).toEqual([]);
  });

  it("mirrors the list in the synchronous cache for the menu bar", async () => {
    expect(readCachedExceptions().exceptions).toEqual([]);
    await saveException({ ...PRINTER, protocol: "tcp", enabled: true });
    expect(readCachedExceptions().exceptions.map((e) => e.id)).toEqual(["printer"]);
  });

  it("keeps confirmed addresses in the file, a name's new answer replacing its old one", async () => {
    await saveConfirmedAddresses({ "nas.example.com": ["93.184.216.34"] });
    await saveConfirmedAddresses({ "vpn.example.com": ["203.0.113.9"] });
    await saveConfirmedAddresses({ "nas.example.com": ["93.184.216.35"] });
    expect(readUserSettings().confirmedAddresses).toEqual({
      "nas.example.com": ["93.184.216.35"],
      "vpn.example.com": ["203.0.113.9"],
    });
    expect(await loadConfirmedAddresses()).toEqual(readUserSettings().confirmedAddresses);
  });
});

describe("moving an older version's LocalStorage into the settings file", () => {
  it("moves every exception and confirmation once, beside the file's own, and loses nothing", async () => {
    // The CLI already wrote one to the file; the older version kept three in Raycast, one of them the same.
    writeUserSettings({ allowLan: true, exceptions: [{ ...NAS, enabled: true }] });
    const bad = { address: "not an address!" };
    await LocalStorage.setItem(LEGACY_EXCEPTIONS_KEY, JSON.stringify([PRINTER, NAS, { address: "10.0.0.0/24" }, bad]));
    await LocalStorage.setItem(
      LEGACY_CONFIRMED_ADDRESSES_KEY,
      JSON.stringify({ "nas.example.com": ["93.184.216.34"] }),
    );

    const list = await loadExceptions();
    expect(list.exceptions.map((e) => e.id)).toEqual(["nas", "printer", "10.0.0.0/24|any||all"]);
    expect(storedExceptions().map((e) => e.id)).toEqual(["nas", "printer", "10.0.0.0/24|any||all"]);
    expect(readUserSettings()).toMatchObject({
      allowLan: true,
      confirmedAddresses: { "nas.example.com": ["93.184.216.34"] },
    });
    // The entry nothing can read stays in Raycast, shown with its reason, until the user deletes it.
    expect(list.rejected.map((r) => r.raw)).toEqual([bad]);
    expect(JSON.parse((await LocalStorage.getItem<string>(UNREADABLE_EXCEPTIONS_KEY)) ?? "null")).toEqual([bad]);
    expect(await LocalStorage.getItem(LEGACY_EXCEPTIONS_KEY)).toBeUndefined();
    expect(await LocalStorage.getItem(LEGACY_CONFIRMED_ADDRESSES_KEY)).toBeUndefined();

    // Once: a removed exception does not come back from Raycast at the next reading.
    await removeException("printer");
    expect((await loadExceptions()).exceptions.map((e) => e.id)).toEqual(["nas", "10.0.0.0/24|any||all"]);
    await removeRejectedExceptions();
    expect((await loadExceptions()).rejected).toEqual([]);
  });

  it("adds nothing twice when a move was cut short after writing the file", async () => {
    await LocalStorage.setItem(LEGACY_EXCEPTIONS_KEY, JSON.stringify([PRINTER]));
    await loadExceptions();
    // As if Raycast had stopped before clearing its LocalStorage.
    await LocalStorage.setItem(LEGACY_EXCEPTIONS_KEY, JSON.stringify([PRINTER]));
    expect((await loadExceptions()).exceptions.map((e) => e.id)).toEqual(["printer"]);
  });

  it("leaves LocalStorage as it is when the file cannot take them, and says why", async () => {
    writeUserSettings({});
    writeFileSync(userSettingsFilePath(), "[]");
    await LocalStorage.setItem(LEGACY_EXCEPTIONS_KEY, JSON.stringify([PRINTER]));
    const list = await loadExceptions();
    expect(list.fileError).toMatch(/^The exceptions an earlier version kept in Raycast could not move/);
    expect(list.fileError).toContain("does not hold a JSON object of settings");
    expect(await LocalStorage.getItem(LEGACY_EXCEPTIONS_KEY)).toBe(JSON.stringify([PRINTER]));
  });
});
