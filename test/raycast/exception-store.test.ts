import { beforeEach, describe, expect, it } from "vitest";
import {
  EXCEPTIONS_STORAGE_KEY,
  loadExceptions,
  parseStoredExceptions,
  readCachedExceptions,
  removeException,
  removeRejectedExceptions,
  saveException,
  setExceptionEnabled,
} from "../../src/raycast/stores/exception-store";
import { LocalStorage, resetRaycast } from "../mocks/raycast-api";

const PRINTER = {
  id: "printer",
  address: "192.168.1.20",
  protocol: "tcp",
  port: "631",
  scope: "all",
  label: "Printer",
};
const stored = async () => JSON.parse((await LocalStorage.getItem<string>(EXCEPTIONS_STORAGE_KEY)) ?? "null");

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

describe("exception storage", () => {
  it("adds, replaces, toggles and removes by id in LocalStorage", async () => {
    await saveException({ ...PRINTER, protocol: "tcp", enabled: true });
    await saveException({
      id: "nas",
      address: "nas.example.com",
      protocol: "any",
      scope: "all",
      label: "",
      enabled: true,
    });
    await saveException({ ...PRINTER, protocol: "tcp", port: "631,9100", enabled: true });
    expect((await stored()).map((e: { id: string; port?: string }) => [e.id, e.port])).toEqual([
      ["printer", "631,9100"],
      ["nas", undefined],
    ]);

    await setExceptionEnabled("nas", false);
    expect((await loadExceptions()).exceptions.find((e) => e.id === "nas")?.enabled).toBe(false);

    await removeException("printer");
    expect((await stored()).map((e: { id: string }) => e.id)).toEqual(["nas"]);
  });

  it("writes rejected entries back untouched until the user deletes them", async () => {
    const bad = { address: "not an address!" };
    await LocalStorage.setItem(EXCEPTIONS_STORAGE_KEY, JSON.stringify([PRINTER, bad]));

    await setExceptionEnabled("printer", false);
    expect(await stored()).toEqual([{ ...PRINTER, enabled: false }, bad]);

    await removeRejectedExceptions();
    expect(await stored()).toEqual([{ ...PRINTER, enabled: false }]);
  });

  it("mirrors the list in the synchronous cache for the menu bar", async () => {
    expect(readCachedExceptions().exceptions).toEqual([]);
    await saveException({ ...PRINTER, protocol: "tcp", enabled: true });
    expect(readCachedExceptions().exceptions.map((e) => e.id)).toEqual(["printer"]);
  });
});
