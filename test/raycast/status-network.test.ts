import type { networkInterfaces } from "node:os";
import { describe, expect, it } from "vitest";
import { deriveNetworkState } from "../../src/network/derive";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import { parseIfconfig } from "../../src/network/ifconfig";
import { NETWORK_DETAILS_KEY, type TextStore, readStatusNetwork } from "../../src/raycast/reading/network-reading";
import { type CommandResult, MACOS_BINARIES, type SystemCommands } from "../../src/system/commands";

const FULL_READ = [
  "arp -an",
  "ifconfig -a",
  "ipconfig getsummary en0",
  "netstat -rn",
  "route -n get 1.1.1.1",
  "route -n get default",
  "scutil --dns",
  "scutil --nc list",
  "scutil --nwi",
];
const QUICK_READ = ["ifconfig -a", "netstat -rn"];

/** An in-memory Mac printing `snapshot` (changeable), counting each command line it is asked to run. */
function fakeMac(initial: NetworkSnapshot) {
  let snapshot = initial;
  let calls: string[] = [];
  const lines: Record<string, (s: NetworkSnapshot) => string | undefined> = {
    "ifconfig -a": (s) => s.ifconfig,
    "netstat -rn": (s) => s.netstatRoutes,
    "route -n get default": (s) => s.routeGetDefault,
    "route -n get 1.1.1.1": (s) => s.routeGetInternet,
    "scutil --nwi": (s) => s.scutilNwi,
    "scutil --dns": (s) => s.scutilDns,
    "scutil --nc list": (s) => s.scutilNcList,
    "arp -an": (s) => s.arp,
    "ipconfig getsummary en0": (s) => s.ipconfigSummaries?.en0,
  };
  const system: SystemCommands = {
    binaries: { ...MACOS_BINARIES },
    async run(tool, args): Promise<CommandResult> {
      const line = [tool, ...args].join(" ");
      calls.push(line);
      const stdout = lines[line]?.(snapshot);
      return stdout === undefined ? { exitCode: 1, stdout: "", stderr: "failed" } : { exitCode: 0, stdout, stderr: "" };
    },
  };
  let extraAddress: string | null = null;
  return {
    system,
    setNetwork: (next: NetworkSnapshot) => (snapshot = next),
    /** Node's interface list for this Mac: the addresses ifconfig prints (as `os.networkInterfaces()` has them). */
    interfaces: () =>
      Object.fromEntries(
        parseIfconfig(snapshot.ifconfig ?? "").map((i) => [
          i.name,
          [
            ...i.ipv4.map((a) => a.address),
            ...i.ipv6.map((a) => a.address),
            ...(extraAddress ? [extraAddress] : []),
          ].map((address) => ({
            address,
            netmask: "",
            family: address.includes(":") ? "IPv6" : "IPv4",
            mac: "",
            internal: false,
            cidr: null,
          })),
        ]),
      ) as ReturnType<typeof networkInterfaces>,
    /** An address Node lists that ifconfig's reading does not change the network for (a new temporary IPv6). */
    addNodeAddress: (address: string) => (extraAddress = address),
    /** The command lines run since the last call, sorted. */
    takeCalls: () => {
      const taken = [...calls].sort();
      calls = [];
      return taken;
    },
  };
}

function memoryStore(): TextStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return { values, get: (key) => values.get(key), set: (key, value) => void values.set(key, value) };
}

/** The same network a minute later: the router's ARP entry counts down, another LAN host dropped out. */
const A_MINUTE_LATER: NetworkSnapshot = {
  ...SAMPLE_SNAPSHOT,
  netstatRoutes: (SAMPLE_SNAPSHOT.netstatRoutes ?? "")
    .replace(/(UHLWIir\s+en0\s+)1187/, "$11127")
    .replace(/^192\.168\.1\.42 .*\n/m, ""),
};

/** The VPN went down: utun4, its split routes and the server's host route are gone. */
const VPN_DROPPED: NetworkSnapshot = {
  ...SAMPLE_SNAPSHOT,
  ifconfig: (SAMPLE_SNAPSHOT.ifconfig ?? "").replace(/^utun4:[\s\S]*$/m, ""),
  netstatRoutes: (SAMPLE_SNAPSHOT.netstatRoutes ?? "")
    .split("\n")
    .filter((line) => !line.includes("utun4") && !line.startsWith("198.51.100.7/32"))
    .join("\n"),
};

// The menu bar reads no sockets and no DHCP lease: the VPN server's connections and the lease's server are for
// the rules only.
const FULL_STATE = deriveNetworkState({ ...SAMPLE_SNAPSHOT, netstatSockets: undefined, ipconfigPackets: undefined });

describe("readStatusNetwork (the menu bar's network reading)", () => {
  /** One reading the way the menu bar makes it, on this fake Mac and its interface list. */
  const reader =
    (mac: ReturnType<typeof fakeMac>, details: TextStore) =>
    (refreshDetails = false) =>
      readStatusNetwork({ system: mac.system, details, refreshDetails, interfaces: mac.interfaces });

  it("reads everything once, then starts no process while every interface and address stays as it was", async () => {
    const mac = fakeMac(SAMPLE_SNAPSHOT);
    const read = reader(mac, memoryStore());

    const first = await read();
    expect(mac.takeCalls()).toEqual(FULL_READ);
    expect(first).toEqual({ network: FULL_STATE, detailsReadNow: true });

    // The routes tick on (netstat's Expire column, a LAN host leaving): no interface changed, nothing is run.
    mac.setNetwork(A_MINUTE_LATER);
    const again = await read();
    expect(mac.takeCalls()).toEqual([]);
    expect(again).toEqual({ network: FULL_STATE, detailsReadNow: false });
  });

  it("reads only ifconfig and netstat when Node lists another address but the network is the same", async () => {
    const mac = fakeMac(SAMPLE_SNAPSHOT);
    const read = reader(mac, memoryStore());
    await read();
    mac.takeCalls();

    mac.setNetwork(A_MINUTE_LATER);
    mac.addNodeAddress("fe80::aede:48ff:fe00:1122");
    const later = await read();
    expect(mac.takeCalls()).toEqual(QUICK_READ);
    expect(later.network.identity?.label).toBe("Example Home");
    await read();
    expect(mac.takeCalls()).toEqual([]);
  });

  it("reads everything again when the network changed, and sees the tunnel gone at once", async () => {
    const mac = fakeMac(SAMPLE_SNAPSHOT);
    const read = reader(mac, memoryStore());
    await read();
    mac.takeCalls();

    mac.setNetwork(VPN_DROPPED);
    const dropped = await read();
    expect(mac.takeCalls()).toEqual(FULL_READ);
    expect(dropped.detailsReadNow).toBe(true);
    expect(dropped.network.tunnels).toEqual([]);
    expect(dropped.network).toEqual(
      deriveNetworkState({ ...VPN_DROPPED, netstatSockets: undefined, ipconfigPackets: undefined }),
    );

    await read();
    expect(mac.takeCalls()).toEqual([]);
  });

  it("reads everything when asked to, on an unchanged network (the user opened the menu)", async () => {
    const mac = fakeMac(SAMPLE_SNAPSHOT);
    const read = reader(mac, memoryStore());
    await read();
    mac.takeCalls();

    const opened = await read(true);
    expect(mac.takeCalls()).toEqual(FULL_READ);
    expect(opened.detailsReadNow).toBe(true);
  });

  it("never stands old details in for a quick output that could not be read", async () => {
    const mac = fakeMac(SAMPLE_SNAPSHOT);
    const read = reader(mac, memoryStore());
    await read();
    mac.takeCalls();

    mac.setNetwork({ ...SAMPLE_SNAPSHOT, ifconfig: undefined });
    for (let run = 0; run < 2; run++) {
      const reading = await read();
      expect(mac.takeCalls()).toEqual(FULL_READ);
      expect(reading.network.undetermined).toContain("no interface list (ifconfig.txt missing)");
    }
  });

  it("reads everything when the stored details are unreadable, and works without a store that saves", async () => {
    const mac = fakeMac(SAMPLE_SNAPSHOT);
    const details = memoryStore();
    for (const stored of ["not json", JSON.stringify({ version: 2 }), JSON.stringify({ version: 1, network: 7 })]) {
      details.values.set(NETWORK_DETAILS_KEY, stored);
      await reader(mac, details)();
      expect(mac.takeCalls()).toEqual(FULL_READ);
    }

    const broken: TextStore = {
      get: () => undefined,
      set: () => {
        throw new Error("disk full");
      },
    };
    const reading = await reader(mac, broken)();
    expect(reading.network).toEqual(FULL_STATE);
  });
});
