/**
 * The live leak test: a handful of probes sent outside the tunnel on purpose, bound to the physical interface
 * (`nc -b`, so macOS's scoped routing sends them there), and one through the tunnel. pf's own word decides:
 * a probe counts as blocked only when the kill switch's record of blocked traffic holds its packet (every
 * block of the kill switch logs); one that got out is a leak. A socket error alone proves nothing.
 */
import { familyOf } from "../address/ip";
import type { NetworkState } from "../network/state";
import type { PflogPacket } from "../pflog/capture";
import type { BlockedTrafficRecord } from "../pflog/record";
import type { SystemCommands } from "../system/commands";

export interface Probe {
  id: string;
  /** For people: what it tries. */
  title: string;
  /** Outside the tunnel (must be blocked), or through it (must pass). */
  outside: boolean;
  interface: string;
  protocol: "tcp" | "udp";
  destination: string;
  port: number;
  /** Set with `nc -p`, so pf's log entry can be told apart from any other packet. */
  sourcePort: number;
}

export type ProbeVerdict =
  /** pf logged it as blocked. */
  | "blocked"
  /** An outside probe pf did not block: it left the Mac outside the VPN. */
  | "leak"
  /** The tunnel probe went through the tunnel. */
  | "passed"
  /** The tunnel probe was blocked by pf. */
  | "tunnel-blocked"
  /** pf's verdict cannot be read (no record), or the probe could not be sent. */
  | "unknown";

export interface ProbeResult {
  probe: Probe;
  verdict: ProbeVerdict;
  /** Why, in words: the rule that blocked it, what nc said. */
  detail: string;
}

export interface LeakTestResult {
  results: ProbeResult[];
  /** Why a probe was not planned: no tunnel, no IPv6 on the link. */
  skipped: string[];
  leaks: number;
}

const PUBLIC_V4 = "1.1.1.1";
const PUBLIC_V6 = "2606:4700:4700::1111";

/** The probes for this network; `basePort` numbers their source ports. */
export function planProbes(network: NetworkState, basePort: number): { probes: Probe[]; skipped: string[] } {
  const link = network.gateway?.interface ?? network.physical[0]?.name ?? null;
  const physical = network.physical.find((entry) => entry.name === link);
  const probes: Probe[] = [];
  const skipped: string[] = [];
  const add = (probe: Omit<Probe, "sourcePort">) => probes.push({ ...probe, sourcePort: basePort + probes.length });
  if (link) {
    add({
      id: "tcp-ipv4",
      title: `TCP to ${PUBLIC_V4}:443 on ${link}`,
      outside: true,
      interface: link,
      protocol: "tcp",
      destination: PUBLIC_V4,
      port: 443,
    });
    add({
      id: "udp-ipv4",
      title: `UDP to ${PUBLIC_V4}:443 on ${link}`,
      outside: true,
      interface: link,
      protocol: "udp",
      destination: PUBLIC_V4,
      port: 443,
    });
    const router = network.gateway?.ipv4;
    if (router) {
      add({
        id: "dns-router",
        title: `DNS to the router ${router} on ${link}`,
        outside: true,
        interface: link,
        protocol: "udp",
        destination: router,
        port: 53,
      });
    }
    if (physical?.ipv6.some((address) => familyOf(address) === "inet6" && !/^fe[89ab]/i.test(address))) {
      add({
        id: "tcp-ipv6",
        title: `TCP to ${PUBLIC_V6} port 443 on ${link}`,
        outside: true,
        interface: link,
        protocol: "tcp",
        destination: PUBLIC_V6,
        port: 443,
      });
    } else {
      skipped.push(`no IPv6 probe: ${link} has no global IPv6 address`);
    }
  } else {
    skipped.push("no probe outside the tunnel: no physical interface is connected");
  }
  if (network.vpnInterface) {
    const tunnel = network.vpnInterface;
    add({
      id: "tunnel",
      title: `TCP to ${PUBLIC_V4}:443 through the tunnel ${tunnel}`,
      outside: false,
      interface: tunnel,
      protocol: "tcp",
      destination: PUBLIC_V4,
      port: 443,
    });
  } else {
    skipped.push("no tunnel probe: no VPN tunnel is up");
  }
  return { probes, skipped };
}

/** `nc` bound to the probe's interface and source port; -z: connect (TCP) or send (UDP), nothing more. */
export function probeArguments(probe: Probe): string[] {
  return [
    ...(probe.protocol === "udp" ? ["-u"] : []),
    "-z",
    "-w",
    "2",
    "-G",
    "2",
    "-b",
    probe.interface,
    "-p",
    String(probe.sourcePort),
    probe.destination,
    String(probe.port),
  ];
}

const isProbePacket = (probe: Probe) => (packet: PflogPacket) =>
  packet.action !== "pass" &&
  packet.direction !== "in" &&
  packet.destination === probe.destination &&
  packet.destinationPort === probe.port &&
  packet.sourcePort === probe.sourcePort;

export interface LeakTestRequest {
  system: SystemCommands;
  network: NetworkState;
  /** The kill switch's record of blocked traffic (null: none is kept). */
  readRecord: () => Promise<BlockedTrafficRecord | null>;
  /** Waits between two readings of the record (tcpdump writes each packet as it comes). */
  wait: (milliseconds: number) => Promise<void>;
  basePort?: number;
}

const READINGS = 10;
const BETWEEN_READINGS_MS = 200;

/** Sends every probe, then judges each by pf's record. Never needs a password. */
export async function runLeakTest(request: LeakTestRequest): Promise<LeakTestResult> {
  const { probes, skipped } = planProbes(request.network, request.basePort ?? 49_700);
  const sent = [];
  for (const probe of probes) {
    const run = await request.system
      .run("nc", probeArguments(probe), { timeoutMs: 10_000 })
      .catch((error: unknown) => ({
        exitCode: -1,
        stdout: "",
        stderr: error instanceof Error ? error.message : String(error),
      }));
    sent.push({ probe, run });
  }
  let record = await request.readRecord();
  const found = (probe: Probe) => record?.packets.find(isProbePacket(probe)) ?? null;
  // Wait for the log of the outside probes: each must appear unless pf let it through.
  for (let reading = 1; record && reading < READINGS && probes.some((p) => p.outside && !found(p)); reading++) {
    await request.wait(BETWEEN_READINGS_MS);
    record = await request.readRecord();
  }
  const results = sent.map(({ probe, run }): ProbeResult => {
    const said = `${run.stderr}${run.stdout}`.trim();
    const connected = probe.protocol === "tcp" && run.exitCode === 0;
    if (/usage|illegal option|invalid option|Address already in use/i.test(said)) {
      return { probe, verdict: "unknown", detail: `nc could not send it: ${said}` };
    }
    const logged = found(probe);
    if (probe.outside) {
      if (connected)
        return { probe, verdict: "leak", detail: `the connection was made outside the VPN (${said || "nc exit 0"})` };
      if (logged)
        return {
          probe,
          verdict: "blocked",
          detail: `pf blocked it (rule ${logged.rule} of ${logged.ruleset || "the main ruleset"})`,
        };
      if (!record)
        return {
          probe,
          verdict: "unknown",
          detail: "no record of blocked traffic is kept, so pf's verdict cannot be read",
        };
      return { probe, verdict: "leak", detail: "pf did not block it: it left the Mac outside the VPN" };
    }
    if (logged)
      return { probe, verdict: "tunnel-blocked", detail: `pf blocked it in the tunnel (rule ${logged.rule})` };
    return connected
      ? { probe, verdict: "passed", detail: "it went through the VPN tunnel" }
      : {
          probe,
          verdict: "passed",
          detail: `pf let it into the tunnel; no answer came back (${said || `nc exit ${run.exitCode}`})`,
        };
  });
  return { results, skipped, leaks: results.filter((result) => result.verdict === "leak").length };
}
