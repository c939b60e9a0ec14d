import { formatCidr } from "../../address/ip";
import type { KillSwitchStatus } from "../../lifecycle";
import type { AnchorSummary } from "../../pf/anchor";
import { addressCount } from "../../policy/exception-width";

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** "Kill Switch On · utun4 · 1 VPN server allowed": what is in force, short enough for a HUD. */
export function describeEnabled(summary: AnchorSummary): string {
  const parts = ["Kill Switch On"];
  parts.push(summary.blockingMode ? "Blocking until the VPN connects" : summary.tunnels.join(", "));
  if (summary.endpoints.length > 0) {
    const servers = new Set(summary.endpoints.map((endpoint) => endpoint.address)).size;
    parts.push(`${plural(servers, "VPN server", "VPN servers")} allowed`);
  }
  if (summary.allowLan) parts.push("local network allowed");
  if (summary.exceptions.length > 0) {
    // The widest network an exception opens is what to notice: a whole subnet outside the VPN.
    const widest = summary.exceptions
      .flatMap((exception) => exception.addresses)
      .filter((cidr) => addressCount(cidr) > 1n)
      .sort((a, b) => Number(addressCount(b) - addressCount(a)))[0];
    const count = plural(summary.exceptions.length, "exception", "exceptions");
    parts.push(widest ? `${count} (widest ${formatCidr(widest)})` : count);
  }
  if (summary.captivePortal) parts.push("captive portal open");
  return parts.join(" · ");
}

/** The HUD after an action: a Degraded outcome first, with its reason, then what was done. */
export function outcomeHud(status: KillSwitchStatus, done: string): string {
  return status.state === "degraded" ? `${status.headline.replace(/\.$/, "")} · ${done}` : done;
}
