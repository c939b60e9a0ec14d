/**
 * Bridges and what pf does not see of them. pf filters packets that reach this Mac's own addresses (a bridge's
 * too), but a bridge hands frames from one member to another without pf (xnu `if_bridge.c` filters members only
 * with IFBF_FILT_MEMBER; `ifconfig` prints `ipfilter disabled`). A virtual machine bridged to Wi-Fi (UTM,
 * Parallels, VMware, Virtualization.framework: `bridge100` with `en0` and `vmenet0`) sends its traffic that way.
 */
import type { IfconfigInterface } from "./ifconfig";
import { isPhysicalInterfaceName } from "./interface-kind";

export interface Bridge {
  name: string;
  /** The interfaces it forwards frames between (`member:` lines), in ifconfig's order. */
  members: string[];
  /**
   * The Thunderbolt Bridge: macOS joins the built-in Thunderbolt ports (en1..enN) into `bridge0`; those ports never
   * carry an address of their own (the bridge does), so every member is an `en` interface without one.
   */
  thunderbolt: boolean;
}

const hasAddress = (entry: IfconfigInterface | undefined) => !!entry && entry.ipv4.length + entry.ipv6.length > 0;

/** The bridges `ifconfig -a` lists with at least one member; the root script's `unfiltered_bridges` reads the same. */
export function findBridges(interfaces: readonly IfconfigInterface[]): Bridge[] {
  const byName = new Map<string, IfconfigInterface>();
  for (const entry of interfaces) if (!byName.has(entry.name)) byName.set(entry.name, entry);
  return [...byName.values()]
    .filter((entry) => /^bridge\d+$/.test(entry.name) && entry.members.length > 0)
    .map((entry) => ({
      name: entry.name,
      members: entry.members,
      thunderbolt: entry.members.every((member) => /^en\d+$/.test(member) && !hasAddress(byName.get(member))),
    }));
}

/**
 * The bridges that carry a virtual machine past pf: one joining a physical interface to a member that is not one
 * (a VM's `vmenet`, a `feth`). A bridge of virtual machines alone (a shared, NAT network) reaches a link only through
 * this Mac's own addresses, where pf filters it; one of physical interfaces alone is the Thunderbolt Bridge or
 * Internet Sharing's, which forward other devices' traffic, not this Mac's.
 */
export function unfilteredBridges(bridges: readonly Bridge[]): Bridge[] {
  return bridges.filter(
    (bridge) =>
      bridge.members.some(isPhysicalInterfaceName) &&
      !bridge.members.every((member) => isPhysicalInterfaceName(member)),
  );
}

/** "a virtual machine bridged to en0 is not filtered by pf (bridge100: en0, vmenet0)", as the watchdog says it. */
export function describeUnfilteredBridge(bridge: Bridge): string {
  const links = bridge.members.filter(isPhysicalInterfaceName);
  return `a virtual machine bridged to ${links.join(", ")} is not filtered by pf (${bridge.name}: ${bridge.members.join(", ")})`;
}
