/**
 * The fake Mac's pflog side: `ifconfig pflogN create|destroy` (macOS creates no pflog interface by itself:
 * real "pflog0: No such device exists" fixture) and `tcpdump -i pflogN ... -w FILE`, which writes a pcap
 * header of link type 117 (DLT_PFLOG) and then captures until it is killed, as tcpdump does. Tests append the
 * packets pf would log (test/pflog/capture-writer.ts).
 */
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { familyOf, sameAddress } from "../../../src/address/ip";
import { parseIfconfig } from "../../../src/network/ifconfig";
import { ANCHOR_NAME } from "../../../src/privileged/paths";
import { evaluatePacket } from "../../../src/verify/evaluate";
import { parsePfRules } from "../../../src/verify/parse-rules";
import { type PfState, evaluationOrder } from "../pf-model";
import { type MachineState, fakePaths, readJson, writeJson } from "../machine";
import { pflogCapture } from "../../pflog/capture-writer";
import type { ProgramIo } from "./pfctl";

const PFLOG = /^pflog\d{1,2}$/;

const machineOf = (root: string) => readJson<MachineState>(fakePaths(root).machine);

/** The pflog interfaces created since boot. */
export function pflogInterfaces(root: string): string[] {
  return machineOf(root).pflogInterfaces ?? [];
}

/** `ifconfig pflogN [create|destroy]`; null when the arguments are not about a pflog interface. */
export function runPflogIfconfig(root: string, args: string[], io: ProgramIo): number | null {
  if (args.length < 1 || args.length > 2 || !PFLOG.test(args[0])) return null;
  const [name, verb] = args;
  const machine = machineOf(root);
  const present = machine.pflogInterfaces ?? [];
  if (verb === undefined) {
    if (!present.includes(name)) {
      io.stderr.push(`ifconfig: interface ${name} does not exist`); // modelled: ifconfig.c's message
      return 1;
    }
    io.stdout.push(`${name}: flags=0<> mtu 33200`); // modelled on ifconfig's listing of a clone
    return 0;
  }
  if (verb === "create") {
    if (present.includes(name)) {
      io.stderr.push("ifconfig: SIOCIFCREATE2: File exists");
      return 1;
    }
    writeJson(fakePaths(root).machine, { ...machine, pflogInterfaces: [...present, name] });
    return 0;
  }
  if (verb === "destroy") {
    if (!present.includes(name)) {
      io.stderr.push("ifconfig: SIOCIFDESTROY: Invalid argument");
      return 1;
    }
    writeJson(fakePaths(root).machine, { ...machine, pflogInterfaces: present.filter((n) => n !== name) });
    return 0;
  }
  return null;
}

/**
 * `tcpdump -i IF [-n] [-U] [-C MB] [-W COUNT] -w FILE`: with -W, the files are FILE0, FILE1, ... (as many
 * digits as COUNT - 1 has). Returns "capturing" once the first file is written (it then waits until killed,
 * as a sleep that is never due), or an exit status.
 */
export function runTcpdump(root: string, args: string[], io: ProgramIo): number | "capturing" {
  const value = (flag: string) => {
    const at = args.indexOf(flag);
    return at === -1 ? null : (args[at + 1] ?? null);
  };
  const iface = value("-i");
  const file = value("-w");
  if (iface === null || file === null) {
    io.stderr.push("tcpdump: the fake tcpdump captures with -i IF -w FILE only");
    return 1;
  }
  if (!pflogInterfaces(root).includes(iface)) {
    io.stderr.push(`tcpdump: ${iface}: No such device exists`); // real: pflog0 fixture
    io.stderr.push("(BIOCSETIF failed: Device not configured)");
    return 1;
  }
  if (machineOf(root).diskFull) {
    io.stderr.push(`tcpdump: ${file}: No space left on device`); // modelled: pcap_dump_open's error, as tcpdump prints it
    return 1;
  }
  const count = value("-W");
  const name = count === null ? file : `${file}${"0".repeat(String(Number(count) - 1).length)}`;
  writeJson(fakePaths(root).machine, { ...machineOf(root), captureFile: name });
  // The root script names files inside the tree already ($SYSROOT/Library/...). Root's umask (077) is tcpdump's.
  // A capture of no packet yet: the pcap global header of link type 117, as tcpdump writes it first.
  writeFileSync(name, pflogCapture([]), { mode: 0o600 });
  return "capturing";
}

/** `stat -f %Su /dev/console`: the console's owner (modelled: a user once logged in, root at the login window). */
export function runConsoleStat(root: string, args: string[], io: ProgramIo): number {
  if (args.join(" ") !== "-f %Su /dev/console") {
    io.stderr.push(`stat: the fake stat answers -f %Su /dev/console only, not ${args.join(" ")}`);
    return 1;
  }
  io.stdout.push(machineOf(root).consoleUser ?? "alice");
  return 0;
}

/**
 * `nc [-u] -z ... -b IF [-s ADDRESS] -p PORT HOST PORT`, the live leak test's probe: pf's verdict on its first
 * packet, from the fake pf's state through the verifier's evaluator (our anchor when pf runs it first; pf
 * passes what no rule blocks). It leaves from ADDRESS, which must be one of IF's (else the bind fails), or
 * from IF's first address of the family. A blocked packet is logged to the capture that runs, as pf and
 * tcpdump would, and its send fails with EHOSTUNREACH (xnu's pf_inet_hook and pf_inet6_hook answer a packet
 * pf drops so): TCP's connect says "No route to host", UDP's write fails and `nc -uz` exits 1 without a word
 * (it prints nothing without -v). A TCP probe pf lets out connects, or times out on a network that drops it
 * (MachineState networkDropsTcp); a UDP one it lets out exits 0.
 */
export function runNc(root: string, args: string[], io: ProgramIo, pid: number): number {
  const udp = args.includes("-u");
  const value = (flag: string) => {
    const at = args.indexOf(flag);
    return at === -1 ? null : (args[at + 1] ?? null);
  };
  const iface = value("-b");
  const sourcePort = Number(value("-p"));
  const [host, portText] = args.slice(-2);
  const port = Number(portText);
  if (!iface || !Number.isInteger(sourcePort) || !Number.isInteger(port)) {
    io.stderr.push("usage: nc [-u] -z [-w timeout] [-G conntimeout] -b boundif -p source_port host port");
    return 1;
  }
  const family = familyOf(host) === "inet6" ? "inet6" : "inet";
  const outputs = readJson<Record<string, { stdout: string }>>(fakePaths(root).outputs);
  const link = parseIfconfig(outputs["ifconfig -a"]?.stdout ?? "").find((entry) => entry.name === iface);
  const own = (family === "inet" ? link?.ipv4 : link?.ipv6)?.map((entry) => entry.address) ?? [];
  const asked = value("-s");
  const source =
    asked === null
      ? own.find((address) => family === "inet" || !/^fe[89ab]/i.test(address))
      : own.find((address) => sameAddress(address, asked));
  if (!source) {
    io.stderr.push("nc: bind failed: Can't assign requested address"); // modelled on OpenBSD nc's err(1, "bind failed")
    return 1;
  }
  const pf = readJson<PfState>(fakePaths(root).pf);
  const ours = pf.anchors[ANCHOR_NAME]?.filter ?? [];
  const packet = {
    direction: "out" as const,
    interface: iface,
    family,
    protocol: udp ? "udp" : "tcp",
    source,
    destination: host,
    sourcePort,
    destinationPort: port,
  } as const;
  const ruleset = parsePfRules(`${ours.join("\n")}\n`);
  const verdict = pf.enabled && evaluationOrder(pf)[0] === ANCHOR_NAME ? evaluatePacket(ruleset, packet) : null;
  const blocked = verdict?.action === "block";
  if (blocked)
    logToCapture(root, {
      rule: verdict.rule ? ruleset.rules.indexOf(verdict.rule) : 0,
      pid,
      iface,
      family,
      udp,
      source,
      host,
      sourcePort,
      port,
    });
  if (udp) return blocked ? 1 : 0;
  if (blocked) {
    io.stderr.push(`nc: connectx to ${host} port ${port} (tcp) failed: No route to host`); // modelled on macOS nc's wording
    return 1;
  }
  if (machineOf(root).networkDropsTcp) {
    io.stderr.push(`nc: connectx to ${host} port ${port} (tcp) failed: Operation timed out`);
    return 1;
  }
  io.stdout.push(`Connection to ${host} port ${port} [tcp/*] succeeded!`);
  return 0;
}

function logToCapture(
  root: string,
  p: {
    rule: number;
    pid: number;
    iface: string;
    family: "inet" | "inet6";
    udp: boolean;
    source: string;
    host: string;
    sourcePort: number;
    port: number;
  },
): void {
  const machine = machineOf(root);
  if (!machine.captureFile || !existsSync(machine.captureFile)) return;
  appendFileSync(
    machine.captureFile,
    pflogCapture([
      {
        time: machine.now,
        action: 1,
        ifname: p.iface,
        // xnu writes the anchor's last path component, cut to 15 characters and a NUL.
        ruleset: "000.vpnkillswitch".slice(0, 15),
        rule: p.rule,
        pid: p.pid,
        dir: 2,
        family: p.family,
        protocol: p.udp ? "udp" : "tcp",
        source: p.source,
        destination: p.host,
        sourcePort: p.sourcePort,
        destinationPort: p.port,
      },
    ]).subarray(24),
  );
}
