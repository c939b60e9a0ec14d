import { mkdirSync, writeFileSync } from "node:fs";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { CAPTURE_DIRECTORY } from "../../src/privileged/paths";
import { BlockedTrafficList, exceptionFor } from "../../src/raycast/views/blocked-traffic";
import { createSystemCommands } from "../../src/system/commands";
import { act } from "react-test-renderer";
import { LaunchType, raycast, resetRaycast } from "../mocks/raycast-api";
import { MORNING, pflogCapture, sshScan } from "../pflog/capture-writer";
import { temporaryDirectory } from "../temporary-directory";
import { all, one, render, sections, settle } from "./render";

let root = "";
vi.mock("../../src/raycast/system", () => ({ systemCommands: () => createSystemCommands({ root }) }));

beforeEach(() => {
  resetRaycast();
  root = temporaryDirectory("blocked-traffic-");
});

const SAFARI = "/Applications/Safari.app/Contents/MacOS/Safari";

/** Renders the list and lets its reading of the record (real file reads, several turns) finish. */
async function rendered() {
  const renderer = await render(<BlockedTrafficList />);
  for (let turn = 0; turn < 100 && one(renderer, "List").props.isLoading; turn++) await settle();
  return renderer;
}

/** The root side's record as 65-capture.sh leaves it: the capture, the phases and the process names. */
function writeRecord() {
  const dir = `${root}${CAPTURE_DIRECTORY}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/blocked.pcap0`, pflogCapture([...MORNING, ...sshScan(200)]));
  writeFileSync(`${dir}/phases`, "1795999990 boot 1795999000\n1796000003 vpn-down 1795999000\n");
  writeFileSync(`${dir}/processes`, `1795999000\t812\t0\t${SAFARI}\n1795999000\t301\t0\t/usr/sbin/mDNSResponder\n`);
  return dir;
}

describe("Blocked Traffic", () => {
  it("lists the flows by phase, each under its app with its path, the busiest first", async () => {
    writeRecord();
    const renderer = await rendered();
    const shown = sections(renderer, "List.Section", "List.Item");
    expect(Object.keys(shown)).toEqual(["During Boot", "No VPN"]);
    expect(shown["During Boot"][0]).toBe("Safari out 93.184.216.34:443");
    expect(shown["During Boot"]).toContain("mDNSResponder out 192.168.1.1:53");
    expect(shown["No VPN"]).toContain("pid 900 out 8.8.8.8");
    const safari = all(renderer, "List.Item")[0];
    expect(safari.props.accessories).toEqual([
      { tag: SAFARI, tooltip: "The executable, as the process calls itself" },
      { text: "2×" },
    ]);
    const markdown = String(safari.props.detail.props.markdown);
    expect(markdown).toContain(
      `**2** packets to \`93.184.216.34:443\` (tcp) on \`en0\`, sent by Safari (pid 812, \`${SAFARI}\`).`,
    );
    expect(markdown).toContain("The name and path are what the process calls itself");
    expect(markdown).toMatch(/Blocked by rule \d+ of `\S+`/);
  });

  it("shows what came in as who knocked on which port of this Mac: a scan is one flow", async () => {
    writeRecord();
    const renderer = await rendered();
    const shown = sections(renderer, "List.Section", "List.Item");
    expect(shown["No VPN"][0]).toBe("Unknown process in 198.51.100.99 → port 22 on this Mac");
    const scan = all(renderer, "List.Item").find((node) => String(node.props.subtitle).includes("port 22"));
    expect(scan?.props.accessories).toEqual([{ text: "200×" }]);
    expect(String(scan?.props.detail.props.markdown)).toContain(
      "**200** packets from `198.51.100.99 → port 22 on this Mac` (tcp) on `en0`, for an unknown process.",
    );
  });

  it("opens Allow as Exception… with the address, protocol and port only, never the process's name", async () => {
    writeRecord();
    const renderer = await rendered();
    const allow = all(renderer, "Action.Push").filter((node) => node.props.title === "Allow as Exception…");
    expect(allow.length).toBeGreaterThan(0);
    for (const action of allow)
      expect(Object.keys(action.props.target.props.prefill).sort()).toEqual(["address", "port", "protocol"]);
    expect(allow[0].props.target.props.prefill).toEqual({ address: "93.184.216.34", protocol: "tcp", port: "443" });
    expect(
      exceptionFor({
        direction: "out",
        interface: "en0",
        protocol: "tcp",
        remote: "93.184.216.34",
        port: 443,
        portSide: "remote",
        process: "Safari",
        executable: SAFARI,
        pid: 812,
        count: 2,
        firstSeen: "",
        lastSeen: "",
        phase: "boot",
        rule: { ruleset: "000.vpnkillswit", number: 40 },
      }),
    ).toEqual({ address: "93.184.216.34", protocol: "tcp", port: "443" });
  });

  it("clears the log after asking, through Enable's one prompt", async () => {
    writeRecord();
    const renderer = await rendered();
    const clear = all(renderer, "Action").find((node) => node.props.title === "Clear Log…");
    raycast.alertAnswer = false;
    await act(async () => clear?.props.onAction());
    expect(raycast.launches).toEqual([]);
    raycast.alertAnswer = true;
    await act(async () => clear?.props.onAction());
    expect(raycast.alerts.at(-1)).toMatchObject({ title: "Clear the Blocked Traffic Log?" });
    expect(raycast.launches).toEqual([
      { name: "enable-kill-switch", type: LaunchType.UserInitiated, context: { reason: "clear-blocked-traffic" } },
    ]);
  });

  it("says when there is no record, and when it cannot be read", async () => {
    const none = await rendered();
    expect(one(none, "List.EmptyView").props.title).toBe("No Record");
    const dir = writeRecord();
    writeFileSync(`${dir}/blocked.pcap0`, "not a capture at all, and long enough to have a header");
    const damaged = await rendered();
    expect(one(damaged, "List.EmptyView").props).toMatchObject({ title: "Cannot Read the Record" });
  });
});
