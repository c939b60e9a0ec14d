import { mkdirSync, writeFileSync } from "node:fs";
// Local times as a Mac in this zone shows them, whatever the machine running the tests.
process.env.TZ = "UTC";
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
  const renderer = await render(<BlockedTrafficList now={NOW} />);
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

/** An hour and a bit after the record's morning, on the Mac's clock. */
const NOW = new Date((1_796_000_000 + 3_900) * 1000);

/** " (ctrl+shift+x)", " (common:New)", or nothing. */
function shortcutText(shortcut: string | { modifiers: string[]; key: string } | undefined): string {
  if (!shortcut) return "";
  return typeof shortcut === "string" ? ` (${shortcut})` : ` (${[...shortcut.modifiers, shortcut.key].join("+")})`;
}

/** The list as text: each app's section, its flows with their tags, counts and times, and the actions in order. */
function asText(renderer: Awaited<ReturnType<typeof rendered>>): string {
  return all(renderer, "List.Section")
    .map((section) => {
      const rows = section
        .findAll((node) => String(node.type) === "List.Item")
        .map((row) => {
          const accessories = (row.props.accessories as { text?: string; tag?: { value: string } }[])
            .map((a) => a.tag?.value ?? a.text)
            .join(" · ");
          const actions = row
            .findAll((node) => String(node.type).startsWith("Action") && node.props.title)
            .map((node) => `${node.props.title}${shortcutText(node.props.shortcut)}`);
          return `  ${row.props.title} — ${row.props.subtitle} [${accessories}]\n    ${actions.join(" | ")}`;
        });
      return [`${section.props.title} (${section.props.subtitle})`, ...rows].join("\n");
    })
    .join("\n");
}

describe("Blocked Traffic", () => {
  it("groups the flows by app, the app with most blocked first, with when as a tag and the time as local and relative", async () => {
    writeRecord();
    const renderer = await rendered();
    expect(asText(renderer)).toMatchSnapshot();
    const shown = sections(renderer, "List.Section", "List.Item");
    expect(Object.keys(shown)).toEqual(["Unknown App", "Safari", "mDNSResponder", "Unrecorded App (pid 900)"]);
    const safari = all(renderer, "List.Item").find((node) => node.props.title === "93.184.216.34:443");
    expect(safari?.props.accessories).toEqual([
      { tag: { value: "During Boot", color: "purple" } },
      { text: "2×" },
      { text: "1 h ago", tooltip: expect.stringMatching(/2026/) },
    ]);
    const markdown = String(safari?.props.detail.props.markdown);
    expect(markdown).toContain(
      `**2** packets to \`93.184.216.34:443\` (tcp) on \`en0\`, sent by Safari (pid 812, \`${SAFARI}\`).`,
    );
    // No pf jargon in what people read: the rule is metadata, in words.
    expect(markdown).not.toMatch(/pfctl|rule \d|000\.vpnkillswit/);
    const metadata = await render(safari?.props.detail.props.metadata);
    const labels = Object.fromEntries(
      all(metadata, "List.Item.Detail.Metadata.Label").map((node) => [node.props.title, node.props.text]),
    );
    expect(labels).toMatchObject({ "Blocked By": expect.stringMatching(/^The kill switch, rule \d+$/), Packets: "2" });
    expect(labels["First Seen"]).toMatch(/\(1 h ago\)$/);
  });

  it("shows what came in as who knocked on which port of this Mac: a scan is one flow", async () => {
    writeRecord();
    const renderer = await rendered();
    const scan = all(renderer, "List.Item").find((node) => String(node.props.title).includes("port 22"));
    expect(scan?.props.title).toBe("198.51.100.99 → port 22 on this Mac");
    expect(scan?.props.subtitle).toBe("coming in");
    expect(scan?.props.accessories.map((a: { text?: string }) => a.text)).toContain("200×");
    expect(String(scan?.props.detail.props.markdown)).toContain(
      "**200** packets from `198.51.100.99 → port 22 on this Mac` (tcp) on `en0`, for an unknown process.",
    );
  });

  it("copies on ⏎, allows as an exception on ⌘N, and keeps Clear Log last, on ⌃⇧X, for every row", async () => {
    writeRecord();
    const renderer = await rendered();
    for (const row of all(renderer, "List.Item")) {
      const actions = row.findAll((node) => String(node.type).startsWith("Action") && node.props.title !== undefined);
      expect(actions[0].type).toBe("Action.CopyToClipboard");
      const last = actions.at(-1);
      expect(last?.props).toMatchObject({ title: "Clear Log…", shortcut: { modifiers: ["ctrl", "shift"], key: "x" } });
      const allow = actions.find((node) => node.props.title === "Allow as Exception…");
      // ⌘N, as Raycast's common New shortcut.
      if (allow) expect(allow.props.shortcut).toBe("common:New");
    }
  });

  it("opens Allow as Exception… with the address, protocol and port only, never the process's name", async () => {
    writeRecord();
    const renderer = await rendered();
    const allow = all(renderer, "Action.Push").filter((node) => node.props.title === "Allow as Exception…");
    expect(allow.length).toBeGreaterThan(0);
    for (const action of allow)
      expect(Object.keys(action.props.target.props.prefill).sort()).toEqual(["address", "port", "protocol"]);
    expect(allow.map((action) => action.props.target.props.prefill)).toContainEqual({
      address: "93.184.216.34",
      protocol: "tcp",
      port: "443",
    });
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
