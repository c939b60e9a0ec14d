import { type AddressFamily, familyOf } from "../address/ip";
import type { NetworkState } from "../network/state";
import { type Packet, createEvaluator, decidingLine, describePacket, protocolNumber } from "../verify/evaluate";
import { type TranslationRule, parsePfRules, parseTcpFlags, translatedSourcePorts } from "../verify/parse-rules";
import { describeExpectation, intendedVerdictFor } from "../verify/verify-policy";
import { parseCommandArgs } from "./args";
import { anchorInputOf, loadCliContext } from "./context";
import { type CliCommand, optionError } from "./io";
import { loadRulesText, rejectUnreadableRules } from "./verify-command";

const USAGE = `Usage: killswitch explain --out|--in --if IF --proto P (--to ADDR | --from ADDR) [options]

Says what the kill switch does with one packet and which rule decides it ("why is my printer blocked?").
  --out | --in       the packet's direction, seen from this Mac
  --if IF            interface it crosses (en0, utun4, awdl0, ...)
  --proto P          tcp, udp, icmp, icmp6, esp, ... or a protocol number
  --to ADDR          destination (required with --out; default with --in: this Mac's address on IF)
  --from ADDR        source (required with --in; default with --out: this Mac's address on IF)
  --port N           destination port (tcp/udp)
  --sport N          source port (tcp/udp; default 49152)
  --inet6            IPv6 (also implied by IPv6 addresses)
  --icmp-type N      ICMP/ICMPv6 type (icmp/icmp6)
  --tcp-flags F      TCP flags (tcp; default S, a new connection; e.g. A for one older than the rules)
  --rules FILE|-     rules to use (an anchor file, or \`pfctl -sr\`/\`-s nat\`/\`-s all\` output; nat, rdr and binat
                     rules are applied first, and one with pass skips the filter rules; default: what preview builds)
  --snapshot DIR     read command outputs saved by \`killswitch snapshot DIR\`
  --config FILE      settings JSON; default: the user's settings file (killswitch help)
  --json             print one JSON object instead of text`;

const quote = (value: string) => JSON.stringify(value);

function parsePortOption(option: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) < min || Number(value) > 65535) {
    throw optionError(`--${option}`, value, `--${option} ${quote(value)} is not a port (${min}-65535)`);
  }
  return Number(value);
}

function parseAddressOption(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (familyOf(value) === null)
    throw optionError(`--${option}`, value, `--${option} ${quote(value)} is not an IP address`);
  return value;
}

/** This Mac's address on an interface, for the side of the packet the user did not give. */
function localAddress(
  network: NetworkState,
  iface: string,
  family: AddressFamily,
  remote: string,
  option: string,
): string {
  if (iface === "lo0") return family === "inet" ? "127.0.0.1" : "::1";
  const known = [...network.physical, ...network.tunnels].find((i) => i.name === iface);
  // Another interface's address would explain a packet that interface never sends.
  if (!known) {
    const names = [...network.physical, ...network.tunnels].map((i) => i.name).join(", ") || "none";
    throw optionError(
      "--if",
      iface,
      `--if ${quote(iface)}: the network read has no such interface (it has ${names}); give the Mac's address on it with ${option}`,
    );
  }
  if (family === "inet") return known.ipv4[0] ?? "192.168.1.23";
  const linkScope = /^(fe[89ab]|ff02)/i.test(remote);
  const linkLocal = known?.ipv6.find((a) => /^fe[89ab]/i.test(a));
  const global = known?.ipv6.find((a) => !/^fe[89ab]/i.test(a));
  return (linkScope ? linkLocal : global) ?? (linkScope ? "fe80::1c2b:3ff:fe4d:5e6f" : "2001:db8:5::23");
}

/** A nat picks the source port from a range; any of them gets the same verdict (the rule reader sees to it). */
function pickedPortNote(rule: TranslationRule, packet: Packet): string {
  const picked = translatedSourcePorts(rule);
  if (!picked || picked.low === picked.high || packet.sourcePort === undefined) return "";
  return ` (source port: the one pf picks from ${picked.low}-${picked.high})`;
}

export const explainCommand: CliCommand = {
  name: "explain",
  summary: "show whether one packet passes or is blocked, and the rule (with its line) that decides",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      out: { type: "boolean" },
      in: { type: "boolean" },
      if: { type: "string" },
      proto: { type: "string" },
      to: { type: "string" },
      from: { type: "string" },
      port: { type: "string" },
      sport: { type: "string" },
      inet6: { type: "boolean" },
      "icmp-type": { type: "string" },
      "tcp-flags": { type: "string" },
      rules: { type: "string" },
      snapshot: { type: "string" },
      config: { type: "string" },
      json: { type: "boolean" },
    });

    if (values.out === values.in)
      throw optionError(values.out ? "--out" : "--in", null, "give exactly one of --out or --in");
    const direction = values.out ? "out" : "in";
    const iface = values.if;
    if (iface === undefined) throw optionError("--if", null, "--if is required (the interface, e.g. en0 or utun4)");
    if (!/^[a-z][a-z0-9]{0,14}$/i.test(iface))
      throw optionError("--if", iface, `--if ${quote(iface)} is not an interface name such as en0 or utun4`);
    const proto = values.proto?.toLowerCase();
    if (proto === undefined)
      throw optionError("--proto", null, "--proto is required (tcp, udp, icmp, icmp6, esp, ...)");
    if (protocolNumber(proto) === null) {
      throw optionError(
        "--proto",
        values.proto ?? null,
        `--proto ${quote(values.proto ?? "")} is not a protocol (tcp, udp, icmp, icmp6, esp, ah, gre or a number 0-255)`,
      );
    }
    const to = parseAddressOption("to", values.to);
    const from = parseAddressOption("from", values.from);
    if (direction === "out" && to === undefined)
      throw optionError("--to", null, "--to is required with --out (the address the packet goes to)");
    if (direction === "in" && from === undefined)
      throw optionError("--from", null, "--from is required with --in (the address the packet comes from)");
    const given = [to, from].filter((a): a is string => a !== undefined);
    const families = new Set(given.map((a) => familyOf(a)));
    if (families.size > 1)
      throw optionError(
        "--from",
        from ?? null,
        `--from ${quote(from ?? "")} and --to ${quote(to ?? "")} are not the same address family`,
      );
    const family: AddressFamily = families.has("inet6") ? "inet6" : "inet";
    if (values.inet6 && family !== "inet6")
      throw optionError("--inet6", given[0], `--inet6 was given but ${quote(given[0])} is an IPv4 address`);
    const port = parsePortOption("port", values.port);
    const sport = parsePortOption("sport", values.sport);
    const transport = proto === "tcp" || proto === "udp";
    if ((port !== undefined || sport !== undefined) && !transport)
      throw optionError(
        port !== undefined ? "--port" : "--sport",
        String(port ?? sport),
        `--port and --sport apply to tcp and udp only, not ${quote(proto)}`,
      );
    if (transport && port === undefined) throw optionError("--port", null, `--port is required with --proto ${proto}`);
    const icmpTypeText = values["icmp-type"];
    const isIcmp = proto === "icmp" || proto === "icmp6" || proto === "ipv6-icmp";
    if (icmpTypeText !== undefined && !isIcmp)
      throw optionError("--icmp-type", icmpTypeText, `--icmp-type applies to icmp and icmp6 only, not ${quote(proto)}`);
    if (icmpTypeText !== undefined && (!/^\d{1,3}$/.test(icmpTypeText) || Number(icmpTypeText) > 255)) {
      throw optionError("--icmp-type", icmpTypeText, `--icmp-type ${quote(icmpTypeText)} is not an ICMP type (0-255)`);
    }
    const tcpFlags = values["tcp-flags"];
    if (tcpFlags !== undefined && proto !== "tcp")
      throw optionError("--tcp-flags", tcpFlags, `--tcp-flags applies to tcp only, not ${quote(proto)}`);
    if (tcpFlags !== undefined && parseTcpFlags(tcpFlags) === null) {
      throw optionError(
        "--tcp-flags",
        tcpFlags,
        `--tcp-flags ${quote(tcpFlags)} is not a set of TCP flag letters (F S R P A U E W)`,
      );
    }
    if (proto === "icmp" && family === "inet6")
      throw optionError("--proto", proto, "--proto icmp is IPv4; use --proto icmp6 with IPv6 addresses");
    if (isIcmp && proto !== "icmp" && family === "inet")
      throw optionError("--proto", proto, `--proto ${proto} is IPv6; use --proto icmp with IPv4 addresses`);

    const context = await loadCliContext({ config: values.config, snapshot: values.snapshot }, io);
    const rules = await loadRulesText(values.rules, context, io);
    const parsed = parsePfRules(rules.text);
    rejectUnreadableRules(parsed.errors, rules.origin);

    const remote = (direction === "out" ? to : from) as string;
    const mine = direction === "out" ? from : to;
    const local = mine ?? localAddress(context.network, iface, family, remote, direction === "out" ? "--from" : "--to");
    const packet: Packet = {
      direction,
      interface: iface,
      family,
      protocol: proto,
      source: from ?? local,
      destination: to ?? local,
      ...(transport ? { sourcePort: sport ?? 49152, destinationPort: port } : {}),
      ...(tcpFlags !== undefined ? { tcpFlags } : {}),
      ...(icmpTypeText !== undefined
        ? { icmpType: Number(icmpTypeText) }
        : isIcmp
          ? { icmpType: family === "inet6" ? 128 : 8 }
          : {}),
    };
    const evaluation = createEvaluator(parsed)(packet);
    const intended = intendedVerdictFor(packet, anchorInputOf(context, io.now()));
    const rule = decidingLine(evaluation);
    const translation = evaluation.translation
      ? { line: evaluation.translation.line, text: evaluation.translation.text, pass: evaluation.translation.pass }
      : null;
    const total = parsed.rules.length + parsed.translations.length;

    if (values.json) {
      const { action, quick, returns, walked } = evaluation;
      io.stdout(
        `${JSON.stringify(
          {
            rules: rules.origin,
            packet,
            verdict: action,
            returns,
            quick,
            rule,
            translation,
            translated: evaluation.translated,
            walked,
            total,
            intended,
          },
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    const verdict =
      evaluation.action === "pass"
        ? "PASS"
        : evaluation.returns
          ? "BLOCK (refused with an answer)"
          : "BLOCK (dropped silently)";
    const decidedBy = evaluation.translation?.pass
      ? `line ${evaluation.translation.line}: ${evaluation.translation.text}  (a translation rule with pass: its packets skip the filter rules)`
      : rule
        ? `line ${rule.line}: ${rule.text}${evaluation.quick ? "" : "  (not quick: a later rule in the main ruleset could still change this)"}`
        : "no rule matched (pf passes what no rule decides)";
    const translated =
      evaluation.translated && evaluation.translation
        ? [
            `Rewrite:  line ${evaluation.translation.line}: ${evaluation.translation.text}; the filter rules see ${describePacket(evaluation.translated)}${pickedPortNote(evaluation.translation, packet)}`,
          ]
        : [];
    io.stdout(
      [
        `Packet:   ${describePacket(packet)}`,
        ...translated,
        `Verdict:  ${verdict}`,
        `Rule:     ${decidedBy}`,
        `Walked:   ${evaluation.walked} of ${total} rules`,
        `Policy:   ${describeExpectation(intended.expected)}: ${intended.because}`,
        `Rules:    ${rules.origin}`,
        "",
      ].join("\n"),
    );
    return 0;
  },
};
