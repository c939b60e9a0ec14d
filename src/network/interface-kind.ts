/**
 * What a macOS interface is, judged by its name: the BSD driver prefix is the only stable signal that
 * `ifconfig -a` gives without root (the `type:` line appears only with `ifconfig -v`).
 */
export type InterfaceKind = "loopback" | "physical" | "tunnel" | "peer-to-peer" | "other";

/**
 * Interfaces that reach a network directly:
 * - `en`: Ethernet, Wi-Fi, USB/Thunderbolt adapters, iPhone USB;
 * - `bridge`: Thunderbolt Bridge and Internet Sharing / virtual machine bridges (bridge100+);
 * - `ap`: the Wi-Fi access-point side used by Instant Hotspot;
 * - `vmnet`: VMware's host-only and NAT networks, real local links with their own subnet.
 * Left out on purpose: `anpi` (Apple Silicon's internal links to the USB-C/Thunderbolt controllers, which never
 * carry an address), `p2p` (Wi-Fi Direct plumbing), `gif`/`stf` (unused 6in4/6to4 pseudo-devices) and the
 * `XHC`/`VHC` USB-controller entries. Counting an interface as non-physical only ever blocks more.
 */
const PHYSICAL = /^(en|bridge|ap|vmnet)\d+$/;
const TUNNEL = /^(utun|tun|tap|ipsec|ppp)\d+$/;
/** AirDrop/Continuity links: link-local only, no route to the Internet. */
const PEER_TO_PEER = /^(awdl|llw)\d+$/;
const LOOPBACK = /^lo\d+$/;

export function interfaceKind(name: string): InterfaceKind {
  if (LOOPBACK.test(name)) return "loopback";
  if (PHYSICAL.test(name)) return "physical";
  if (TUNNEL.test(name)) return "tunnel";
  if (PEER_TO_PEER.test(name)) return "peer-to-peer";
  return "other";
}

export const isPhysicalInterfaceName = (name: string): boolean => interfaceKind(name) === "physical";
export const isTunnelInterfaceName = (name: string): boolean => interfaceKind(name) === "tunnel";

/** A BSD interface name (`en0`, `utun12`, `bridge100`): safe as a command argument and as part of a file name. */
export function isInterfaceName(text: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9]{0,14}$/.test(text) && /\d$/.test(text);
}
