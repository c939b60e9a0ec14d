export interface DnsResolver {
  /** The `#N` of `resolver #N`; #1 of the main section is the default resolver. */
  number: number;
  /** Set for supplemental resolvers (`domain : local`). */
  domain: string | null;
  searchDomains: string[];
  /** As printed, including any `%scope`; user-elided values such as `<dns1>` are kept verbatim. */
  nameservers: string[];
  interfaceIndex: number | null;
  /** From `if_index : 13 (utun0)`. */
  interfaceName: string | null;
  /** `Supplemental`, `Request A records`, `Scoped`, ... */
  flags: string[];
  options: string | null;
  order: number | null;
}

export interface ScutilDns {
  /** "DNS configuration": what ordinary lookups use. */
  resolvers: DnsResolver[];
  /** "DNS configuration (for scoped queries)": per-interface resolvers for apps bound to an interface. */
  scopedResolvers: DnsResolver[];
}

/** Parses `scutil --dns`. Unknown keys and lines such as `[...]` are ignored. */
export function parseScutilDns(text: string): ScutilDns {
  const result: ScutilDns = { resolvers: [], scopedResolvers: [] };
  let section = result.resolvers;
  let current: DnsResolver | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^DNS configuration/.test(line)) {
      section = /scoped queries/.test(line) ? result.scopedResolvers : result.resolvers;
      current = null;
      continue;
    }
    const start = line.match(/^resolver #(\d+)/);
    if (start) {
      current = {
        number: Number(start[1]),
        domain: null,
        searchDomains: [],
        nameservers: [],
        interfaceIndex: null,
        interfaceName: null,
        flags: [],
        options: null,
        order: null,
      };
      section.push(current);
      continue;
    }
    // Fields are indented: any other line (a header it cannot read) ends the resolver before it.
    if (/^\S/.test(line)) {
      current = null;
      continue;
    }
    const field = current && line.match(/^\s+([a-z_ ]+?)(?:\[\d+\])?\s*:\s*(.*?)\s*$/);
    if (!current || !field) continue;
    const [, key, value] = field;
    switch (key) {
      case "nameserver":
        if (value) current.nameservers.push(value);
        break;
      case "search domain":
        if (value) current.searchDomains.push(value);
        break;
      case "domain":
        current.domain = value || null;
        break;
      case "if_index": {
        const index = value.match(/^(\d+)(?:\s+\(([^)]+)\))?/);
        if (index) {
          current.interfaceIndex = Number(index[1]);
          current.interfaceName = index[2] ?? null;
        }
        break;
      }
      case "flags":
        current.flags = value
          .split(",")
          .map((flag) => flag.trim())
          .filter(Boolean);
        break;
      case "options":
        current.options = value || null;
        break;
      case "order":
        current.order = /^\d+$/.test(value) ? Number(value) : null;
        break;
    }
  }
  return result;
}
