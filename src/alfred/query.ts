/**
 * What the words typed after `ks` ask for: the home list (filtered by the words), a view (blocked, exceptions,
 * uninstall), or an exception to add or edit, typed as `add 192.168.1.20 tcp 631 printer`.
 */
export type AlfredQuery =
  | { view: "home" | "blocked" | "exceptions"; filter: string[] }
  | { view: "uninstall" }
  | { view: "add"; words: string[] }
  | { view: "edit"; ref: string; words: string[] }
  | { view: "answer"; words: string[] };

/** The words an exception is typed with; each field but the target may be left out. */
export interface ExceptionWords {
  target: string;
  protocol?: string;
  port?: string;
  /** `here`: this network only; `all`: every network. */
  scope?: "here" | "all";
  expires?: string;
  label: string;
}

const PROTOCOLS = ["any", "tcp", "udp"];
const EXPIRIES = ["never", "1h", "1d"];
const SCOPES = ["here", "all"];
/** 631, 80,443, 8000-8080: what a port field looks like, judged by the form's own check afterwards. */
const PORT_WORD = /^\d[\d,-]*$/;

export function parseQuery(query: string): AlfredQuery {
  const words = query.trim().split(/\s+/).filter(Boolean);
  const [first = "", ...rest] = words;
  switch (first.toLowerCase()) {
    case "add":
      return { view: "add", words: rest };
    case "edit":
      return { view: "edit", ref: rest[0] ?? "", words: rest.slice(1) };
    case "answer":
      return { view: "answer", words: rest };
    case "blocked":
      return { view: "blocked", filter: rest };
    case "exceptions":
      return { view: "exceptions", filter: rest };
    case "uninstall":
      return { view: "uninstall" };
    default:
      return { view: "home", filter: words };
  }
}

/**
 * TARGET, then in any order a protocol, ports, here or all, an expiry; the first other word starts the label,
 * which runs to the end: `192.168.1.20 tcp 631 Office Printer`.
 */
export function parseExceptionWords(words: readonly string[]): ExceptionWords {
  const [target = "", ...rest] = words;
  const parsed: ExceptionWords = { target, label: "" };
  let index = 0;
  for (; index < rest.length; index++) {
    const word = rest[index];
    const lower = word.toLowerCase();
    if (parsed.protocol === undefined && PROTOCOLS.includes(lower)) parsed.protocol = lower;
    else if (parsed.port === undefined && PORT_WORD.test(word)) parsed.port = word;
    else if (parsed.scope === undefined && SCOPES.includes(lower)) parsed.scope = lower as "here" | "all";
    else if (parsed.expires === undefined && EXPIRIES.includes(lower)) parsed.expires = lower;
    else break;
  }
  parsed.label = rest.slice(index).join(" ");
  return parsed;
}

/** True when every filter word is in the text (case aside). */
export function matchesFilter(text: string, filter: readonly string[]): boolean {
  const haystack = text.toLowerCase();
  return filter.every((word) => haystack.includes(word.toLowerCase()));
}
