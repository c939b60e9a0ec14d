/**
 * The Script Filter's items from a reading, without a Mac: the views it offers besides the first list, the answers
 * it offers for what stopped the last Enable, and a change in flight.
 */
import { describe, expect, it } from "vitest";
import { actionArg, parseAction } from "../../src/alfred/actions";
import type { AlfredReading } from "../../src/alfred/reading";
import { RERUN_SECONDS, scriptFilter } from "../../src/alfred/script-filter";
import type { StoredException } from "../../src/exceptions/stored-exceptions";
import type { KillSwitchStatus } from "../../src/lifecycle";
import { ACTION_TITLES } from "../../src/words/actions";
import { UNINSTALL_WARNING, nameConfirmationQuestion } from "../../src/words/messages";
import { deriveNetworkState } from "../../src/network/derive";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import { scriptFilterSchema } from "./script-filter-schema";

/** Home Wi-Fi with the VPN up on utun4. */
const VPN_UP = deriveNetworkState(SAMPLE_SNAPSHOT);
const HERE = VPN_UP.identity?.id ?? "";

const exception = (fields: Partial<StoredException>): StoredException => ({
  id: "x",
  address: "192.168.1.20",
  protocol: "any",
  scope: "all",
  label: "",
  enabled: true,
  expiresAt: null,
  ...fields,
});

const OFF: KillSwitchStatus = {
  state: "off",
  headline: "Off: traffic flows normally.",
  notes: [],
  recorded: null,
  watchdog: null,
  activeTunnel: null,
};

function reading(fields: Partial<AlfredReading> = {}): AlfredReading {
  return {
    now: new Date("2026-11-22T12:00:00Z"),
    kill: { ok: true, value: { status: OFF, network: VPN_UP, lines: [OFF.headline] } },
    exceptions: {
      ok: true,
      value: [
        exception({
          id: "office",
          address: "10.1.2.3",
          scope: "gw=10.1.0.1,mac=unknown,net=10.1.0.0/16",
          label: "Office",
        }),
        exception({ id: "printer", scope: HERE, label: "Printer", protocol: "tcp", port: "631" }),
        exception({ id: "nas", address: "nas.example.com", label: "NAS", enabled: false }),
      ],
    },
    flows: { ok: true, value: null },
    inFlight: null,
    questions: { servers: [], names: [] },
    ...fields,
  };
}

const list = (query: string, from = reading()) => scriptFilterSchema.parse(scriptFilter(query, from));

describe("the Script Filter's views", () => {
  it("lists the exceptions of this network in the first list, and every network's under ks exceptions", () => {
    expect(
      list("")
        .items.filter((item) => item.uid?.startsWith("exception-"))
        .map((item) => item.title),
    ).toEqual(["Printer", "NAS"]);
    expect(list("exceptions").items.map((item) => [item.title, item.subtitle?.split(" · ").slice(-2, -1)[0]])).toEqual([
      ["NAS", "All Networks"],
      ["Printer", "This Network"],
      ["Office", "10.1.0.0/16 via 10.1.0.1"],
    ]);
  });

  it("filters by the words typed, and says when nothing matches", () => {
    // Off, there are no rules to verify.
    expect(list("verify").items.map((item) => item.title)).toEqual(["Nothing matches “verify”"]);
    expect(list("test kill").items.map((item) => item.title)).toEqual([ACTION_TITLES.test]);
    expect(list("zebra").items).toMatchObject([{ title: "Nothing matches “zebra”", valid: false }]);
  });

  it("asks before uninstalling, with the warning every front-end gives", () => {
    const [item] = list("uninstall").items;
    expect(item).toMatchObject({
      title: ACTION_TITLES.uninstall,
      valid: true,
      arg: actionArg({ action: "uninstall" }),
    });
    expect(item.subtitle?.startsWith(UNINSTALL_WARNING)).toBe(true);
  });

  it("offers to allow the names the last Enable stopped on, at the addresses it found, with Raycast's question", () => {
    const names = [{ field: "vpnServers", host: "vpn.example.com", addresses: ["203.0.113.9"] }];
    const items = list("", reading({ questions: { servers: [], names } })).items;
    const confirm = items.find((item) => item.title === nameConfirmationQuestion(names).title);
    expect(confirm?.subtitle).toBe(`vpn.example.com → 203.0.113.9 · ↵ ${ACTION_TITLES.allowOutsideVpn}`);
    expect(parseAction(String(confirm?.arg))).toEqual({
      ok: true,
      action: { action: "enable", confirmAddresses: { "vpn.example.com": ["203.0.113.9"] } },
    });
  });

  it("answers a server's protocol as Set VPN Server Protocol does, and refuses what is not one", () => {
    const [udp] = list("answer 198.51.100.7 udp 1194").items;
    expect(parseAction(String(udp.arg))).toEqual({
      ok: true,
      action: { action: "enable", serverTransports: ["198.51.100.7:1194/udp"] },
    });
    const [ipv6] = list("answer 2001:db8::7 ikev2").items;
    expect(parseAction(String(ipv6.arg))).toMatchObject({ action: { serverTransports: ["2001:db8::7/ikev2"] } });
    expect(list("answer 198.51.100.7 udp").items[0]).toMatchObject({
      title: ACTION_TITLES.setServerProtocol,
      valid: false,
    });
  });

  it("shows a change in flight first, and has Alfred run it again", () => {
    const output = list(
      "",
      reading({ inFlight: { pid: 1, title: ACTION_TITLES.disable, subtitle: "In progress", startedAt: "" } }),
    );
    expect(output.rerun).toBe(RERUN_SECONDS);
    expect(output.items.slice(0, 2).map((item) => item.uid)).toEqual(["in-flight", "state"]);
    expect(list("").rerun).toBeUndefined();
  });

  it("says what stopped a reading, the rest of the list as it is", () => {
    const items = list("", reading({ kill: { ok: false, problem: "the network could not be read" } })).items;
    expect(items[0]).toMatchObject({
      uid: "state",
      title: "Unknown",
      valid: false,
      icon: { path: "icons/state-unknown.png" },
    });
    expect(items[0].subtitle).toContain("the network could not be read");
    expect(items.map((item) => item.title)).toContain(ACTION_TITLES.enable);
    expect(items.map((item) => item.title)).toContain(ACTION_TITLES.disable);
  });
});
