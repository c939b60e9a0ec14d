/**
 * The link security that picks a network's template is read and judged twice: by src/network (for the rules the
 * extension builds) and by the root script (for the watchdog's choice of template). One table, both sides.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ANY_PROTECTED_LINK, linkSecurity, securityMeets } from "../../src/network/identity";
import { parseIpconfigSummary } from "../../src/network/ipconfig-summary";
import { readMacosFixture } from "../network/fixtures";
import { temporaryDirectory } from "../temporary-directory";
import { NETWORK_READING_PARTS, writeRootLibrary } from "./root-parts";

const dir = temporaryDirectory("root-link-security-");
const library = writeRootLibrary(dir, NETWORK_READING_PARTS);

/** Runs HARNESS with the root script's network part sourced and `ipconfig getsummary` printing SUMMARY. */
function root(harness: string, summary = "", ...args: string[]): string {
  writeFileSync(join(dir, "summary"), summary);
  writeFileSync(join(dir, "ipconfig"), `#!/bin/sh\n[ "$1" = getsummary ] && cat "${dir}/summary"\n`, { mode: 0o755 });
  const script = `. "$1"; IPCONFIG="$2/ipconfig"; shift 2; ${harness}`;
  const run = spawnSync("/bin/sh", ["-c", script, "harness", library, dir, ...args], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  return run.stdout.replace(/\n$/, "");
}

const SUMMARIES: Record<string, string> = {
  "macOS 13/14, the name shown": readMacosFixture(
    "ipconfig",
    "macos-13or14_mullvad_ipconfig-getsummary-en0_wifi_ssid-visible.txt",
  ),
  "macOS 15.6, the name redacted": readMacosFixture(
    "ipconfig",
    "getsummary-en0_macos-15.6_SSID-redacted_dracula-tmux358_TAIL-ONLY.txt",
  ),
  "an open Wi-Fi": "<dictionary> {\n  InterfaceType : WiFi\n  Security : NONE\n}\n",
  "lower case, CRLF": "<dictionary> {\r\n  InterfaceType : WiFi\r\n  Security : wpa3_sae\r\n}\r\n",
  "a mode that is not one word": "  InterfaceType : WiFi\n  Security : WPA2 Personal\n",
  "a nested Security key only": "  InterfaceType : WiFi\n    Security : WPA2_PSK\n",
  "redacted mode": "  InterfaceType : WiFi\n  Security : <redacted>\n",
  "the last of two lines": "  InterfaceType : WiFi\n  Security : WPA2_PSK\n  Security : NONE\n",
  "no interface type": "  Security : WPA2_PSK\n",
  Ethernet: "<dictionary> {\n  InterfaceType : Ethernet\n  LinkStatusActive : TRUE\n}\n",
  "nothing at all": "",
};

describe("link security, read by both sides", () => {
  it.each(Object.entries(SUMMARIES))("%s", (_name, text) => {
    expect(root('link_security "$1"', text, "en0")).toBe(linkSecurity(parseIpconfigSummary(text)) ?? "");
  });

  it("the table is not agreement on nothing", () => {
    const modes = Object.values(SUMMARIES).map((text) => linkSecurity(parseIpconfigSummary(text)));
    expect(modes).toEqual(expect.arrayContaining(["WPA2_PSK", "WPA3_SAE", "NONE", "wired", null]));
  });
});

describe("whether a link meets what a template needs, judged by both sides", () => {
  const required = ["WPA2_PSK", "NONE", "wired", ANY_PROTECTED_LINK];
  const current = ["WPA2_PSK", "WPA3_SAE", "WPA2_ENTERPRISE", "WEP", "NONE", "OPEN", "OWE", "wired", "UNKNOWN", ""];
  it.each(required)("needing %s", (need) => {
    const rootSays = current.map(
      (mode) => root('if security_meets "$1" "$2"; then echo yes; else echo no; fi', "", need, mode) === "yes",
    );
    expect(rootSays).toEqual(current.map((mode) => securityMeets(need, mode === "" ? null : mode)));
  });
});
