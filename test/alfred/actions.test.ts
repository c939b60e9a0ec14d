/**
 * What ↵ hands the Run Script: only actions of the workflow's closed set, each run as the `killswitch` command that
 * does the same; and how the words after `ks` are read.
 */
import { describe, expect, it } from "vitest";
import { type AlfredAction, actionArg, commandLineOf, parseAction } from "../../src/alfred/actions";
import { parseExceptionWords, parseQuery } from "../../src/alfred/query";

describe("the actions an item's arg holds", () => {
  const cases: [AlfredAction, string[]][] = [
    [{ action: "enable" }, ["enable", "--json"]],
    [
      {
        action: "enable",
        serverTransports: ["198.51.100.7:1194/udp"],
        confirmAddresses: { "vpn.example.com": ["203.0.113.9"] },
      },
      [
        "enable",
        "--server-transport",
        "198.51.100.7:1194/udp",
        "--confirm-addresses",
        "vpn.example.com=203.0.113.9",
        "--json",
      ],
    ],
    [{ action: "disable" }, ["disable", "--json"]],
    [{ action: "test" }, ["test", "--json"]],
    [{ action: "verify" }, ["verify", "--in-force", "--json"]],
    [{ action: "clear-log" }, ["log", "--clear", "--json"]],
    [{ action: "uninstall" }, ["uninstall", "--json"]],
    [{ action: "portal", minutes: 5 }, ["portal", "5m", "--json"]],
    [{ action: "exception-disable", id: "3f2a9c1e" }, ["exceptions", "disable", "3f2a9c1e", "--json"]],
    [
      {
        action: "exception-add",
        target: "192.168.1.20",
        protocol: "tcp",
        port: "631",
        scope: "here",
        label: "Office Printer",
        expires: "never",
        wide: false,
      },
      [
        "exceptions",
        "add",
        "192.168.1.20",
        "--protocol",
        "tcp",
        "--port",
        "631",
        "--label=Office Printer",
        "--here",
        "--expires",
        "never",
        "--json",
      ],
    ],
    [
      {
        action: "exception-edit",
        id: "nas",
        target: "10.0.0.0/16",
        protocol: "any",
        port: "",
        scope: "keep",
        label: "",
        expires: "keep",
        wide: true,
      },
      [
        "exceptions",
        "edit",
        "nas",
        "--target",
        "10.0.0.0/16",
        "--protocol",
        "any",
        "--port",
        "all",
        "--label=",
        "--wide",
        "--json",
      ],
    ],
  ];

  it.each(cases)("runs %j as killswitch %j", (action, argv) => {
    expect(parseAction(actionArg(action))).toEqual({ ok: true, action });
    expect(commandLineOf(action)).toEqual(argv);
  });

  it("refuses anything else: no option smuggled in as an id, a target or an answer", () => {
    for (const text of [
      "enable",
      '{"action":"rm"}',
      '{"action":"exception-remove","id":"--config"}',
      '{"action":"exception-enable","id":"a b"}',
      '{"action":"portal","minutes":60}',
      '{"action":"enable","serverTransports":["198.51.100.7:1194/udp --config x"]}',
      '{"action":"exception-add","target":"-x","protocol":"any","port":"","scope":"all","label":"","expires":"never","wide":false}',
    ]) {
      expect(parseAction(text).ok, text).toBe(false);
    }
  });
});

describe("the words after ks", () => {
  it("names a view, or filters the first list", () => {
    expect(parseQuery("")).toEqual({ view: "home", filter: [] });
    expect(parseQuery("  ver  rules ")).toEqual({ view: "home", filter: ["ver", "rules"] });
    expect(parseQuery("add 192.168.1.20 tcp")).toEqual({ view: "add", words: ["192.168.1.20", "tcp"] });
    expect(parseQuery("edit 3f2a 10.0.0.1")).toEqual({ view: "edit", ref: "3f2a", words: ["10.0.0.1"] });
    expect(parseQuery("blocked safari")).toEqual({ view: "blocked", filter: ["safari"] });
  });

  it("reads an exception as a target, then a protocol, ports, here or all and an expiry in any order, then its label", () => {
    expect(parseExceptionWords(["192.168.1.20", "tcp", "631", "printer"])).toEqual({
      target: "192.168.1.20",
      protocol: "tcp",
      port: "631",
      label: "printer",
    });
    expect(parseExceptionWords(["nas.local", "all", "1h", "80,443", "UDP", "My", "NAS"])).toEqual({
      target: "nas.local",
      scope: "all",
      expires: "1h",
      port: "80,443",
      protocol: "udp",
      label: "My NAS",
    });
    expect(parseExceptionWords(["10.0.0.1", "Office", "tcp"])).toEqual({ target: "10.0.0.1", label: "Office tcp" });
  });
});
