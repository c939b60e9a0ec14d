/**
 * The Script Filter: the words after `ks` in, Alfred's items out. Everything it shows is read without a password;
 * every change goes through an item's arg to the Run Script (run-action.ts).
 */
import { parseServerAnswer } from "../policy/policy";
import { describeNetworkId } from "../raycast/models/exception-text";
import { ACTION_TITLES } from "../words/actions";
import { UNINSTALL_WARNING } from "../words/messages";
import { actionItem, homeItems } from "./home-items";
import { addExceptionItems, editExceptionItems, exceptionItem } from "./exception-items";
import { flowItem } from "./flow-items";
import { type AlfredItem, type AlfredOutput, problemItem } from "./items";
import { matchesFilter, parseQuery } from "./query";
import type { AlfredReading } from "./reading";

/** How often Alfred reads again while a change is in flight (seconds). */
export const RERUN_SECONDS = 1;

/** The most flows `ks blocked` lists. */
const MOST_FLOWS = 50;

function blockedView(reading: AlfredReading): AlfredItem[] {
  const title = ACTION_TITLES.blockedTraffic;
  if (!reading.flows.ok) return [problemItem(title, reading.flows.problem)];
  if (reading.flows.value === null) {
    return [problemItem(title, "No record: it is kept while the kill switch is on with the Blocked Traffic Log on")];
  }
  const clear = actionItem(
    "clear-log",
    ACTION_TITLES.clearLog,
    "Everything recorded so far is removed; recording goes on · one administrator prompt",
    { action: "clear-log" },
  );
  if (reading.flows.value.length === 0)
    return [problemItem(title, "Nothing has tried to get out outside the VPN"), clear];
  return [...reading.flows.value.slice(0, MOST_FLOWS).map(flowItem), clear];
}

/** Every exception, all networks first, then this network, then the others, as Manage Exceptions groups them. */
function exceptionsView(reading: AlfredReading): AlfredItem[] {
  if (!reading.exceptions.ok) return [problemItem(ACTION_TITLES.manageExceptions, reading.exceptions.problem)];
  const network = reading.kill.ok ? reading.kill.value.network : null;
  const here = network?.identity?.id ?? null;
  const rank = (scope: string) => (scope === "all" ? 0 : scope === here ? 1 : 2);
  const where = (scope: string) =>
    scope === "all" ? "All Networks" : scope === here ? "This Network" : describeNetworkId(scope);
  const list = [...reading.exceptions.value].sort((a, b) => rank(a.scope) - rank(b.scope));
  if (list.length === 0) {
    return [
      problemItem(
        ACTION_TITLES.manageExceptions,
        "No exceptions: everything outside the VPN is blocked while the kill switch is on. Type add to add one",
      ),
    ];
  }
  return list.map((e) => exceptionItem(e, network, reading.now, where(e.scope)));
}

/** `answer ADDRESS udp|tcp PORT`, `answer ADDRESS ikev2` or `answer ADDRESS none`: Set VPN Server Protocol. */
function answerView(words: readonly string[]): AlfredItem[] {
  const [address = "", protocol = "", port = ""] = words;
  const host = address.includes(":") ? `[${address}]` : address;
  const text = protocol === "ikev2" || protocol === "none" ? `${address}/${protocol}` : `${host}:${port}/${protocol}`;
  const answer = parseServerAnswer(text);
  const title = ACTION_TITLES.setServerProtocol;
  if (!answer) {
    return [
      problemItem(
        title,
        `${JSON.stringify(words.join(" "))} is not ADDRESS udp PORT, ADDRESS tcp PORT, ADDRESS ikev2 or ADDRESS none`,
      ),
    ];
  }
  return [
    actionItem(
      "answer",
      title,
      protocol === "none"
        ? `${address} is not my VPN server: keep it blocked, then ${ACTION_TITLES.enable}`
        : `${text}, then ${ACTION_TITLES.enable} · one administrator prompt`,
      { action: "enable", serverTransports: [text] },
    ),
  ];
}

function itemsFor(query: string, reading: AlfredReading): AlfredItem[] {
  const parsed = parseQuery(query);
  const context = {
    list: reading.exceptions.ok ? reading.exceptions.value : [],
    network: reading.kill.ok ? reading.kill.value.network : null,
    now: reading.now,
  };
  const filtered = (items: AlfredItem[], filter: readonly string[]) => {
    const kept = items.filter((item) => matchesFilter(`${item.title} ${item.subtitle ?? ""}`, filter));
    return kept.length > 0
      ? kept
      : [problemItem(`Nothing matches “${filter.join(" ")}”`, "Clear the words to see every item")];
  };
  switch (parsed.view) {
    case "home":
      return filtered(homeItems(reading), parsed.filter);
    case "blocked":
      return filtered(blockedView(reading), parsed.filter);
    case "exceptions":
      return filtered(exceptionsView(reading), parsed.filter);
    case "uninstall":
      return [
        actionItem(
          "uninstall",
          ACTION_TITLES.uninstall,
          `${UNINSTALL_WARNING} ↵ uninstalls it · one administrator prompt`,
          { action: "uninstall" },
        ),
      ];
    case "add":
      return reading.exceptions.ok
        ? addExceptionItems(parsed.words, context)
        : [problemItem(ACTION_TITLES.addException, reading.exceptions.problem)];
    case "edit":
      return reading.exceptions.ok
        ? editExceptionItems(parsed.ref, parsed.words, context)
        : [problemItem(ACTION_TITLES.editException, reading.exceptions.problem)];
    case "answer":
      return answerView(parsed.words);
  }
}

/** The Script Filter's answer for `query`; while a change is in flight it says so first and asks to be run again. */
export function scriptFilter(query: string, reading: AlfredReading): AlfredOutput {
  const items = itemsFor(query, reading);
  if (!reading.inFlight) return { skipknowledge: true, items };
  const inFlight: AlfredItem = {
    uid: "in-flight",
    title: reading.inFlight.title,
    subtitle: reading.inFlight.subtitle,
    valid: false,
  };
  return { skipknowledge: true, rerun: RERUN_SECONDS, items: [inFlight, ...items] };
}
