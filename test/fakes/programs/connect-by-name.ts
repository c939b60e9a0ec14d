/**
 * `connect-by-name [-u] -b IF NAME PORT`: a VPN app (Tunnelblick's `remote vpn.example.com 1194`, WireGuard's
 * `Endpoint = name:51820`) looking its server up and connecting, on the fake Mac. It resolves as getaddrinfo does
 * through mDNSResponder: an address given as such is taken as it is; else the tree's /etc/hosts answers first; else a
 * DNS query goes to resolver #1 of `scutil --dns` on its interface, through the fake pf, and only when pf passes it
 * does the network answer, with what the test made its DNS say (MachineState.dnsAnswers: a hostile one forges).
 * Then it sends to each address in turn from IF (UDP with -u) until pf passes one.
 *
 * Prints what it did, a line a step. Exit status: 0 connected, 1 every address blocked, 2 the name not resolved.
 */
import { readFileSync } from "node:fs";
import { familyOf, isIpAddress } from "../../../src/address/ip";
import { parseIfconfig } from "../../../src/network/ifconfig";
import { parseScutilDns } from "../../../src/network/scutil-dns";
import { ANCHOR_NAME } from "../../../src/privileged/paths";
import { type Packet, evaluatePacket } from "../../../src/verify/evaluate";
import { parsePfRules } from "../../../src/verify/parse-rules";
import { type MachineState, fakePaths, readJson } from "../machine";
import { type PfState, evaluationOrder } from "../pf-model";
import type { ProgramIo } from "./pfctl";
import type { RecordedOutput } from "./recorded-output";

/** The source port of the app's socket (OpenVPN's in the sample Mac) and of its resolver's query. */
const APP_PORT = 50001;
const QUERY_PORT = 53124;

/** The addresses /etc/hosts gives NAME, as mDNSResponder reads it: `ADDRESS NAME...` lines, `#` to the end a comment. */
export function hostsAnswer(text: string, name: string): string[] {
  const addresses: string[] = [];
  for (const raw of text.split("\n")) {
    const [address, ...names] = raw.replace(/#.*/, "").trim().split(/\s+/);
    if (isIpAddress(address) && names.some((n) => n.toLowerCase() === name.toLowerCase())) addresses.push(address);
  }
  return addresses;
}

/** pf's word on a packet leaving the Mac: our anchor's when pf runs it first, else it passes (nothing else blocks). */
function passes(root: string, packet: Omit<Packet, "direction" | "family">): boolean {
  const pf = readJson<PfState>(fakePaths(root).pf);
  if (!pf.enabled || evaluationOrder(pf)[0] !== ANCHOR_NAME) return true;
  const family = familyOf(packet.destination) ?? "inet";
  const ruleset = parsePfRules(`${(pf.anchors[ANCHOR_NAME]?.filter ?? []).join("\n")}\n`);
  return evaluatePacket(ruleset, { ...packet, direction: "out", family }).action !== "block";
}

/** IF's first address of the family of DESTINATION (a global one for IPv6), or null when it has none. */
function sourceOn(outputs: Record<string, RecordedOutput>, iface: string, destination: string): string | null {
  const link = parseIfconfig(outputs["ifconfig -a"]?.stdout ?? "").find((entry) => entry.name === iface);
  if (familyOf(destination) === "inet6") {
    return link?.ipv6.map((entry) => entry.address).find((address) => !/^fe[89ab]/i.test(address)) ?? null;
  }
  return link?.ipv4[0]?.address ?? null;
}

export function runConnectByName(root: string, args: string[], io: ProgramIo): number {
  const udp = args.includes("-u");
  const at = args.indexOf("-b");
  const iface = at === -1 ? null : args[at + 1];
  const [name, portText] = args.slice(-2);
  const port = Number(portText);
  if (!iface || !name || !Number.isInteger(port)) {
    io.stderr.push("usage: connect-by-name [-u] -b IF NAME PORT");
    return 64;
  }
  const outputs = readJson<Record<string, RecordedOutput>>(fakePaths(root).outputs);
  let addresses: string[];
  if (isIpAddress(name)) {
    addresses = [name];
  } else {
    addresses = hostsAnswer(readFileSync(`${root}/etc/hosts`, "utf8"), name);
    if (addresses.length > 0) {
      io.stdout.push(`${name}: /etc/hosts answered ${addresses.join(", ")}`);
    } else {
      const resolver = parseScutilDns(outputs["scutil --dns"]?.stdout ?? "").resolvers.find((r) => r.domain === null);
      const server = resolver?.nameservers[0];
      const via = resolver?.interfaceName ?? iface;
      const source = server ? sourceOn(outputs, via, server) : null;
      if (!server || !source) {
        io.stdout.push(`${name}: no DNS server to ask`);
        return 2;
      }
      const query = { interface: via, protocol: "udp", source, destination: server, sourcePort: QUERY_PORT };
      if (!passes(root, { ...query, destinationPort: 53 })) {
        io.stdout.push(`${name}: the query to ${server} port 53 on ${via} was blocked by pf`);
        return 2;
      }
      addresses = readJson<MachineState>(fakePaths(root).machine).dnsAnswers?.[name.toLowerCase()] ?? [];
      io.stdout.push(`${name}: ${server} answered ${addresses.join(", ") || "no address"}`);
      if (addresses.length === 0) return 2;
    }
  }
  for (const address of addresses) {
    const source = sourceOn(outputs, iface, address);
    const packet = { interface: iface, protocol: udp ? "udp" : "tcp", destination: address, destinationPort: port };
    if (source && passes(root, { ...packet, source, sourcePort: APP_PORT })) {
      io.stdout.push(`connected to ${address} port ${port}${udp ? " (udp)" : ""} from ${iface}`);
      return 0;
    }
    io.stdout.push(`${address} port ${port}: blocked by pf`);
  }
  return 1;
}
