import { describe, expect, it } from "vitest";
import { parseIpconfigSummary } from "../../src/network/ipconfig-summary";
import { readMacosFixture } from "./fixtures";

const fixture = (name: string) => parseIpconfigSummary(readMacosFixture("ipconfig", name));

describe("parseIpconfigSummary", () => {
  it("reads the SSID past nested dictionaries and wrapped lines", () => {
    expect(fixture("macos-13or14_mullvad_ipconfig-getsummary-en0_wifi_ssid-visible.txt")).toEqual({
      interfaceType: "WiFi",
      linkActive: true,
      ssid: "app-team-lab",
      ssidRedacted: false,
      security: "WPA2_PSK",
    });
  });

  it("treats `<redacted>` as unknown, also in output whose head is missing; macOS 15.6 still prints the security mode", () => {
    expect(fixture("getsummary-en0_macos-15.6_SSID-redacted_dracula-tmux358_TAIL-ONLY.txt")).toEqual({
      interfaceType: "WiFi",
      linkActive: true,
      ssid: null,
      ssidRedacted: true,
      security: "WPA2_PSK",
    });
  });

  it("gives nothing for empty output", () => {
    expect(parseIpconfigSummary("")).toEqual({
      interfaceType: null,
      linkActive: null,
      ssid: null,
      ssidRedacted: false,
      security: null,
    });
  });
});
