import { describe, expect, it } from "vitest";
import { parseNetstatSockets } from "../../src/network/netstat-sockets";
import { readMacosFixture } from "./fixtures";

const netstat = (name: string) => readMacosFixture("netstat", name);

describe("parseNetstatSockets", () => {
  it("reads macOS 26's netstat -anv, whose process column holds spaces", () => {
    const sockets = parseNetstatSockets(netstat("macos-26-tahoe-netstat-anv-process-pid-column.txt"));
    expect(sockets).toEqual([
      {
        protocol: "tcp",
        localAddress: "127.0.0.1",
        localPort: 49515,
        remoteAddress: "127.0.0.1",
        remotePort: 49472,
        state: "ESTABLISHED",
      },
      {
        protocol: "tcp",
        localAddress: "127.0.0.1",
        localPort: 49510,
        remoteAddress: "127.0.0.1",
        remotePort: 49513,
        state: "ESTABLISHED",
      },
    ]);
  });

  it("reads Mojave's -v -n -p tcp and Sequoia's wide columns alike", () => {
    const mojave = parseNetstatSockets(netstat("macos-10.14-mojave-netstat-v-n-p-tcp-pid-epid-PARTIAL.txt"));
    expect(mojave[0]).toEqual({
      protocol: "tcp",
      localAddress: "192.168.1.191",
      localPort: 52044,
      remoteAddress: "31.13.66.35",
      remotePort: 443,
      state: "ESTABLISHED",
    });
    expect(mojave.map((s) => s.state)).toContain("CLOSE_WAIT");
    const sequoia = parseNetstatSockets(netstat("macos-15.1-netstat-natvln-wide-rxbytes-pid-PARTIAL.txt"));
    expect(sequoia[0]).toMatchObject({ remoteAddress: "34.117.41.85", remotePort: 443, state: "ESTABLISHED" });
    // The excerpt's last row is cut mid-line: it still reads as far as the addresses go.
    expect(sequoia).toHaveLength(5);
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
      },
      { protocol: "udp", localAddress: null, localPort: 51820, remoteAddress: null, remotePort: null, state: null },
      {
        protocol: "tcp",
        localAddress: "2001:db8:1::23",
        localPort: 50443,
        remoteAddress: "2001:db8::9",
        remotePort: 443,
        state: "SYN_SENT",
      },
    ]);
  });
});
