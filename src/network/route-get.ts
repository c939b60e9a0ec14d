export interface RouteGetResult {
  /** The address asked about (`default`, `1.1.1.1`). */
  routeTo: string | null;
  /** The matching route's destination; `default` also stands for 0.0.0.0 with a shorter mask (a `0/1` route). */
  destination: string | null;
  mask: string | null;
  /** Absent for routes without a next hop, e.g. IKEv2 on `ipsec0`. */
  gateway: string | null;
  interface: string | null;
  /** `<UP,GATEWAY,DONE,STATIC,PRCLONING>` as a list. */
  flags: string[];
  mtu: number | null;
}

const LABELS: Record<string, keyof Pick<RouteGetResult, "routeTo" | "destination" | "mask" | "gateway" | "interface">> =
  {
    "route to": "routeTo",
    destination: "destination",
    mask: "mask",
    gateway: "gateway",
    interface: "interface",
  };

/**
 * Parses `route -n get <target>` (route.tproj `print_getmsg`). The metrics table is read by its header so a
 * truncated row just leaves `mtu` null.
 */
export function parseRouteGet(text: string): RouteGetResult {
  const result: RouteGetResult = {
    routeTo: null,
    destination: null,
    mask: null,
    gateway: null,
    interface: null,
    flags: [],
    mtu: null,
  };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const labelled = line.match(/^\s*([a-z][a-z ]*?):\s*(.*?)\s*$/);
    if (labelled) {
      const [, label, value] = labelled;
      if (label === "flags") {
        const inner = value.match(/^<([^>]*)>/);
        result.flags = inner && inner[1] ? inner[1].split(",") : [];
      } else if (LABELS[label] && value) {
        result[LABELS[label]] = value;
      }
      continue;
    }
    const columns = line.trim().split(/\s+/);
    const mtuAt = columns.indexOf("mtu");
    if (columns[0] === "recvpipe" && mtuAt !== -1) {
      const value = (lines[i + 1] ?? "").trim().split(/\s+/)[mtuAt];
      // Each metric may carry an `L` (locked) suffix.
      if (value && /^\d+L?$/.test(value)) result.mtu = parseInt(value, 10);
    }
  }
  return result;
}
