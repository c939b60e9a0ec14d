import {
  type AnchorSummary,
  type LocalNetworkOfLink,
  buildKillSwitchAnchor,
  endpointsByOrigin,
  summarizeAnchor,
} from "../pf/anchor";
import { describeUnfilteredBridge, unfilteredBridges } from "../network/bridges";
import type { NetworkState, ServerCandidate } from "../network/state";
import { describeCandidate } from "../network/vpn-servers";
import { formatCidr } from "../address/ip";
import type { Endpoint } from "../policy/policy";
import { trustWarnings } from "../policy/warnings";
import { describeNameToConfirm } from "../policy/name-trust";
import { verificationSummary, verifyRuleset } from "../verify/verify-policy";
import { parseCommandArgs } from "./args";
import { printable } from "./printable";
import { anchorInputOf, loadCliContext } from "./context";
import { type CliCommand, CliError } from "./io";

const USAGE = `Usage: killswitch preview [--snapshot DIR] [--config FILE] [--json | --rules-only]

Shows what was detected, what the kill switch would allow and block, and the pf anchor it would load.
Reads this Mac's network on macOS; elsewhere, or with --snapshot, a snapshot directory (default: an embedded sample).
  --snapshot DIR  read command outputs saved by \`killswitch snapshot DIR\`
  --config FILE   settings JSON (vpnServers, allowLan, exceptions, ...; see README); default: the user's
                  settings file (killswitch help)
  --json          print one JSON object instead of text
  --rules-only    print the anchor's rules alone, as \`killswitch verify --rules -\` reads them
Exit status: 0, 1 when the rules built fail verification (not with --rules-only), 2 bad input.`;

const formatEndpoint = (e: Endpoint) =>
  `${e.address}${e.port !== undefined ? ` port ${e.port}` : ""}${e.protocol ? `/${e.protocol}` : ""}${e.host ? ` (${e.host})` : ""}`;

function describeDetected(network: NetworkState, unconfirmed: readonly ServerCandidate[]): string[] {
  const row = (label: string, value: string) => `  ${label.padEnd(16)}${value}`;
  const tunnels = network.tunnels.map(
    (t) =>
      `${t.name} (${[...t.ipv4, ...t.ipv6].join(", ") || "no address"})${t.name === network.vpnInterface ? ", carries the default route" : t.name === network.defaultInterface ? ", carries the default route but is not taken for the VPN" : ""}`,
  );
  const gateway = network.gateway;
  return [
    "Detected",
    row("VPN tunnel", tunnels.join("; ") || "none"),
    row("Default route", network.defaultInterface ?? "unknown"),
    row(
      "Gateway",
      gateway?.ipv4 ? `${gateway.ipv4} (${gateway.mac ?? "MAC unknown"}) on ${gateway.interface ?? "?"}` : "unknown",
    ),
    row(
      "Network",
      network.identity
        ? printable(`${network.identity.id}${network.identity.label ? ` (${network.identity.label})` : ""}`)
        : "unknown",
    ),
    row("Link security", network.identity ? (network.identity.security ?? "unknown") : "unknown"),
    row("VPN servers", network.endpoints.join(", ") || "none proved (no VPN program's connection to one)"),
    // What a route or nwi names without proof: said, never passed, until the user confirms it at Enable.
    ...unconfirmed.map((candidate, i) =>
      row(
        i === 0 ? "Not confirmed" : "",
        printable(`${describeCandidate(candidate)}: not a proved VPN server, not passed until confirmed at Enable`),
      ),
    ),
    row("DNS", network.dns.join(", ") || "unknown"),
    ...network.undetermined.map((note, i) => row(i === 0 ? "Not determined" : "", note)),
  ];
}

/** "Printer: 192.168.1.20 tcp port 631"; a host name with what it resolved to, "nas.local (192.168.1.60)". */
function describeException(e: AnchorSummary["exceptions"][number]): string {
  const addresses = e.addresses.map(formatCidr);
  const target =
    addresses.length === 1 && addresses[0] === e.target ? e.target : `${e.target} (${addresses.join(", ")})`;
  const ports = e.ports.map((p) => (p.from === p.to ? p.from : `${p.from}-${p.to}`)).join(",");
  return printable(
    `${e.label ? `${e.label}: ` : ""}${target}${e.protocol !== "any" ? ` ${e.protocol}` : ""}${ports ? ` port ${ports}` : ""}`,
  );
}

/** What Allow Local Network passes here, and each attached network it leaves out with the reason. */
function describeLocalNetwork(lan: LocalNetworkOfLink): string[] {
  const passed = lan.passed.map((part) => part.network);
  const carvedOut = [...new Set(lan.passed.flatMap((part) => part.carvedOut))];
  return [
    `  - Local network: ${passed.length > 0 ? `${passed.join(", ")}, and link-local` : "link-local only"}`,
    ...(carvedOut.length > 0 ? [`    but not what the VPN routes into the tunnel: ${carvedOut.join(", ")}`] : []),
    ...lan.routedIntoTunnel.map(
      ({ network, route }) => `    not ${network}: the VPN routes ${route} into the tunnel, so it is not the LAN`,
    ),
    ...(lan.notLocal.length > 0
      ? [`    this network calls public addresses local; not passed: ${lan.notLocal.join(", ")}`]
      : []),
  ];
}

/** What pf cannot see: frames a bridge passes between its members; a bridge to a link outside the kill switch is a warning. */
function describeBridges(network: NetworkState): string[] {
  const forwarding = (network.bridges ?? []).filter((bridge) => bridge.members.length > 1);
  if (forwarding.length === 0) return [];
  const past = unfilteredBridges(forwarding);
  return [
    "Not seen by pf: frames a bridge passes between its members:",
    ...forwarding.map(
      (bridge) =>
        `  - ${bridge.name} (${bridge.members.join(", ")})${bridge.thunderbolt ? ": the Thunderbolt Bridge's built-in ports" : ""}`,
    ),
    ...past.map((bridge) => `Warning: ${describeUnfilteredBridge(bridge)}.`),
  ];
}

function describeAllowed(summary: AnchorSummary, network: NetworkState): string[] {
  const exceptions = summary.exceptions.map(describeException);
  return [
    summary.blockingMode
      ? "Blocking mode: no VPN tunnel is up, so nothing but the items below leaves this Mac."
      : `Allowed: everything inside ${summary.tunnels.join(", ")}; outside the tunnel only:`,
    ...(summary.untrustedTunnels.length > 0
      ? [`Not trusted (blocked like Wi-Fi): ${summary.untrustedTunnels.join(", ")}`]
      : []),
    `  - VPN servers: ${summary.endpoints.map(formatEndpoint).join(", ") || "none (configure vpnServers so the VPN can connect)"}`,
    `  - DHCP and IPv6 neighbour discovery (to rejoin Wi-Fi) on ${summary.links.join(", ") || "no physical interface"}, loopback`,
    `  - Bonjour (mDNS): ${summary.allowDiscovery ? "yes" : "no"}`,
    `  - AirDrop/Continuity: ${summary.peerToPeer.join(", ") || "no"}`,
    ...(summary.allowLan ? describeLocalNetwork(summary.localNetwork) : ["  - Local network: no"]),
    `  - DNS resolvers: ${summary.dnsResolvers.join(", ") || "none (DNS only through the tunnel)"}`,
    `  - Exceptions active here: ${exceptions.join("; ") || "none"}`,
    ...summary.expiredExceptions.map(
      (e) => `  - Expired, no longer passed: ${describeException(e)} (ended ${e.expiresAt ?? "?"})`,
    ),
    ...(summary.captivePortal ? ["  - Captive portal window: DNS and web ports, for a few minutes"] : []),
    "Blocked: everything else this Mac sends or receives, on every interface (including ones that appear later).",
    ...describeBridges(network),
    ...trustWarnings(summary).map((warning) => `Warning: ${warning}`),
  ];
}

export const previewCommand: CliCommand = {
  name: "preview",
  summary: "show the detected network and the pf anchor the kill switch would load",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      snapshot: { type: "string" },
      config: { type: "string" },
      json: { type: "boolean" },
      "rules-only": { type: "boolean" },
    });
    if (values.json && values["rules-only"]) throw new CliError("--json and --rules-only cannot be used together");
    const context = await loadCliContext({ config: values.config, snapshot: values.snapshot }, io);
    for (const warning of context.warnings) io.stderr(`killswitch preview: warning: ${printable(warning)}\n`);
    for (const name of context.unconfirmedNames) {
      io.stderr(`killswitch preview: note: ${printable(describeNameToConfirm(name))}\n`);
    }
    const input = anchorInputOf(context, io.now());
    const ruleset = buildKillSwitchAnchor(input);
    if (values["rules-only"]) {
      io.stdout(ruleset);
      return 0;
    }
    const summary = summarizeAnchor(input);
    const verification = verificationSummary(verifyRuleset(ruleset, input));

    if (values.json) {
      io.stdout(
        `${JSON.stringify({ source: context.source, network: context.network, allowed: summary, ruleset, verification }, null, 2)}\n`,
      );
      return 0;
    }
    io.stdout(
      [
        `VPN Kill Switch preview (network read from: ${context.source})`,
        "",
        ...describeDetected(
          context.network,
          endpointsByOrigin(input.policy, input.network, input.rememberedServers).unconfirmed,
        ),
        "",
        ...describeAllowed(summary, context.network),
        "",
        "pf anchor",
        ruleset,
        verification.passed
          ? "Verification: passed (every packet class of the policy was checked against these rules)."
          : `Verification: FAILED\n${verification.failures.map((f) => `  - ${f}`).join("\n")}`,
        "",
      ].join("\n"),
    );
    return verification.passed ? 0 : 1;
  },
};
