/**
 * Blocked traffic as Alfred items: each flow as Blocked Traffic lists it; ↵ (or ⌘↵) starts an exception for it,
 * its one address, protocol and port, as Allow as Exception does; ⌥↵ copies it. No name is looked up: a reverse
 * DNS query outside the tunnel would itself leak.
 */
import { PHASE_WORDS } from "../cli/log-command";
import { type Flow, farSide } from "../pflog/flows";
import { ACTION_TITLES, asksMore } from "../words/actions";
import { type AlfredItem, copyModifier, nothingTo } from "./items";

/** The narrowest exception that lets it through, as words after `add`; null for what came in. */
export function exceptionWordsFor(flow: Flow): string | null {
  if (flow.direction === "in" || flow.remote === null) return null;
  const protocol = flow.protocol === "tcp" || flow.protocol === "udp" ? flow.protocol : "any";
  return [flow.remote, protocol, ...(flow.port === null ? [] : [String(flow.port)])].join(" ");
}

/** The process as recorded, else what is known of it. */
const processTitle = (flow: Flow) => flow.process ?? (flow.pid === null ? "Unknown process" : `pid ${flow.pid}`);

/** One line for the clipboard, as Blocked Traffic's Copy Flow gives it. */
function flowLine(flow: Flow): string {
  return `${flow.direction ?? ""} ${flow.interface} ${flow.protocol} ${farSide(flow)} ${flow.executable ?? ""} pid ${flow.pid ?? "?"} ×${flow.count} ${flow.firstSeen}–${flow.lastSeen}`;
}

export function flowItem(flow: Flow, index: number): AlfredItem {
  const words = exceptionWordsFor(flow);
  const when = flow.phase ? PHASE_WORDS[flow.phase] : null;
  const allow = asksMore(ACTION_TITLES.allowAsException);
  return {
    uid: `flow-${index}`,
    title: processTitle(flow),
    subtitle: [
      `${flow.direction ?? "in/out"} ${farSide(flow)} (${flow.protocol}) on ${flow.interface}`,
      `${flow.count}×, last ${flow.lastSeen}`,
      when,
      words ? `↵ ${allow}` : null,
    ]
      .filter(Boolean)
      .join(" · "),
    valid: false,
    ...(words ? { autocomplete: `add ${words}` } : {}),
    mods: {
      cmd: words
        ? { valid: true, arg: `add ${words}`, subtitle: `${allow} ${words}` }
        : nothingTo("What came in: nothing to allow"),
      alt: copyModifier(flowLine(flow), ACTION_TITLES.copyFlow),
    },
    text: { copy: flowLine(flow), largetype: flowLine(flow) },
  };
}
