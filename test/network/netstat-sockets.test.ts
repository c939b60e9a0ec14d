import { describe, expect, it } from "vitest";
import { parseNetstatSockets } from "../../src/network/netstat-sockets";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import { readMacosFixture } from "./fixtures";

const netstat = (name: string) => readMacosFixture("netstat", name);

describe("parseNetstatSockets", () => {
  it("reads macOS 26's netstat -anv and its process:pid column, whose name holds spaces", () => {
    const sockets = parseNetstatSockets(netstat("macos-26-tahoe-netstat-anv-process-pid-column.txt"));
    expect(sockets).toEqual([
      {
        protocol: "tcp",
        localAddress: "127.0.0.1",
        localPort: 49515,
        remoteAddress: "127.0.0.1",
        remotePort: 49472,
        state: "ESTABLISHED",
        owner: { pid: 22712, name: "Autodesk Fusion" },
      },
      {
        protocol: "tcp",
        localAddress: "127.0.0.1",
        localPort: 49510,
        remoteAddress: "127.0.0.1",
        remotePort: 49513,
        state: "ESTABLISHED",
        owner: { pid: 22712, name: "Autodesk Fusion" },
      },
    ]);
  });

  it("reads Mojave's pid column (no name: ps names it), and Sequoia's wide columns without a header", () => {
    const mojave = parseNetstatSockets(netstat("macos-10.14-mojave-netstat-v-n-p-tcp-pid-epid-PARTIAL.txt"));
    expect(mojave[0]).toEqual({
      protocol: "tcp",
      localAddress: "192.168.1.191",
      localPort: 52044,
      remoteAddress: "31.13.66.35",
      remotePort: 443,
      state: "ESTABLISHED",
      owner: { pid: 9811, name: null },
    });
    expect(mojave.map((s) => s.state)).toContain("CLOSE_WAIT");
    // CLOSE_WAIT rows carry a Recv-Q; the owner is still the pid column.
    expect(mojave.slice(0, 7).every((s) => s.owner?.pid === 9811)).toBe(true);
    // The excerpt's last row is cut before its pid: no owner rather than a guess.
    expect(mojave[7].owner).toBeNull();
    const sequoia = parseNetstatSockets(netstat("macos-15.1-netstat-natvln-wide-rxbytes-pid-PARTIAL.txt"));
    expect(sequoia[0]).toMatchObject({ remoteAddress: "34.117.41.85", remotePort: 443, state: "ESTABLISHED" });
    // The excerpt's last row is cut mid-line: it still reads as far as the addresses go.
    expect(sequoia).toHaveLength(5);
    // grep dropped the header, so nothing says which column is the pid: unknown, never guessed.
    expect(sequoia.map((s) => s.owner)).toEqual([null, null, null, null, null]);
  });

  it("names the owners of the sample's sockets, UDP rows (no state) included", () => {
    const owners = parseNetstatSockets(SAMPLE_SNAPSHOT.netstatSockets ?? "").map((s) => [s.remoteAddress, s.owner]);
    expect(owners).toEqual([
      ["93.184.216.34", { pid: 812, name: "Safari" }],
      ["127.0.0.1", { pid: 540, name: "openvpn-helper" }],
      ["198.51.100.7", { pid: 611, name: "openvpn" }],
    ]);
  });

  it("reads IPv6 and unconnected UDP rows, and skips everything that is not a socket row", () => {
    const text = [
      "Active Internet connections (including servers)",
      "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)",
      "udp4       0      0  192.168.1.23.50001     198.51.100.7.1194",
      "udp4       0      0  *.51820                *.*",
      "tcp6       0      0  2001:db8:1::23.50443   2001:db8::9.443        SYN_SENT",
      "Active LOCAL (UNIX) domain sockets",
    ].join("\n");
    expect(parseNetstatSockets(text)).toEqual([
      {
        protocol: "udp",
        localAddress: "192.168.1.23",
        localPort: 50001,
        remoteAddress: "198.51.100.7",
        remotePort: 1194,
        state: null,
        owner: null,
      },
      {
        protocol: "udp",
        localAddress: null,
        localPort: 51820,
        remoteAddress: null,
        remotePort: null,
        state: null,
        owner: null,
      },
      {
        protocol: "tcp",
        localAddress: "2001:db8:1::23",
        localPort: 50443,
        remoteAddress: "2001:db8::9",
        remotePort: 443,
        state: "SYN_SENT",
        owner: null,
      },
    ]);
  });
});
