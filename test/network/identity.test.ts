import { describe, expect, it } from "vitest";
import {
  ANY_PROTECTED_LINK,
  computeNetworkIdentity,
  formatNetworkIdentityId,
  gatewaySubnet,
  linkSecurity,
  securityMeets,
} from "../../src/network/identity";
import { parseIpconfigSummary } from "../../src/network/ipconfig-summary";

describe("formatNetworkIdentityId", () => {
  it("prints gateway, normalised MAC and subnet in a fixed order", () => {
    expect(formatNetworkIdentityId("192.168.1.1", "7C:10:C9:0:0:90", "192.168.1.0/24")).toBe(
      "gw=192.168.1.1,mac=7c:10:c9:00:00:90,net=192.168.1.0/24",
    );
  });

  it("writes `unknown` for a missing MAC or subnet", () => {
    expect(formatNetworkIdentityId("10.0.0.1", null, null)).toBe("gw=10.0.0.1,mac=unknown,net=unknown");
    expect(formatNetworkIdentityId("10.0.0.1", "88:1f:a1:xx:xx:xx", "10.0.0.0/8")).toBe(
      "gw=10.0.0.1,mac=unknown,net=10.0.0.0/8",
    );
  });
});

describe("gatewaySubnet", () => {
  it("takes the first address whose subnet holds the gateway", () => {
    const addresses = [
      { address: "169.254.10.20", prefix: 16 },
      { address: "192.168.1.23", prefix: 24 },
      { address: "192.168.1.200", prefix: 25 },
    ];
    expect(gatewaySubnet("192.168.1.1", addresses)).toBe("192.168.1.0/24");
    expect(gatewaySubnet("172.21.22.1", [{ address: "172.21.22.110", prefix: 23 }])).toBe("172.21.22.0/23");
  });

  it("is null when no address holds the gateway or the netmask is unknown", () => {
    expect(gatewaySubnet("10.0.0.1", [{ address: "192.168.1.23", prefix: 24 }])).toBeNull();
    expect(gatewaySubnet("192.168.1.1", [{ address: "192.168.1.23", prefix: null }])).toBeNull();
  });
});

describe("computeNetworkIdentity", () => {
  it("identifies the network by gateway, MAC and subnet, keeping the Wi-Fi name as a label only", () => {
    const identity = computeNetworkIdentity({
      gateway: { ipv4: "192.168.1.1", mac: "7c:10:c9:0:0:90", interface: "en0" },
      interfaceAddresses: [{ address: "192.168.1.12", prefix: 24 }],
      label: "Home",
    });
    expect(identity).toEqual({
      id: "gw=192.168.1.1,mac=7c:10:c9:00:00:90,net=192.168.1.0/24",
      gatewayIpv4: "192.168.1.1",
      gatewayMac: "7c:10:c9:00:00:90",
      subnet: "192.168.1.0/24",
      label: "Home",
      security: null,
    });
  });

  it("is null without a gateway IPv4 address", () => {
    expect(computeNetworkIdentity({ gateway: null, interfaceAddresses: [], label: null })).toBeNull();
    const noAddress = { ipv4: null, mac: null, interface: "en0" };
    expect(computeNetworkIdentity({ gateway: noAddress, interfaceAddresses: [], label: "Home" })).toBeNull();
  });
});

describe("link security", () => {
  const summary = (text: string) => parseIpconfigSummary(text);

  it("is the Wi-Fi mode, wired for another link, unknown without a summary or a mode", () => {
    expect(linkSecurity(summary("  InterfaceType : WiFi\n  Security : WPA2_PSK\n"))).toBe("WPA2_PSK");
    expect(linkSecurity(summary("  InterfaceType : WiFi\n  Security : wpa3_sae\n"))).toBe("WPA3_SAE");
    expect(linkSecurity(summary("  InterfaceType : Ethernet\n"))).toBe("wired");
    expect(linkSecurity(summary("  InterfaceType : WiFi\n  Security : <redacted>\n"))).toBeNull();
    expect(linkSecurity(summary("  InterfaceType : WiFi\n"))).toBeNull();
    expect(linkSecurity(summary(""))).toBeNull();
    expect(linkSecurity(undefined)).toBeNull();
  });

  it("meets a recorded mode only when it is the same, and `protected` only with a key or a wire", () => {
    expect(securityMeets("WPA2_PSK", "WPA2_PSK")).toBe(true);
    expect(securityMeets("WPA2_PSK", "NONE")).toBe(false);
    expect(securityMeets("WPA2_PSK", "WPA3_SAE")).toBe(false);
    expect(securityMeets("WPA2_PSK", null)).toBe(false);
    for (const mode of ["WPA2_PSK", "WPA3_SAE", "WPA2_ENTERPRISE", "WEP", "wired"])
      expect(securityMeets(ANY_PROTECTED_LINK, mode), mode).toBe(true);
    for (const mode of ["NONE", "OPEN", "OWE", "OWE_TRANSITION", "UNKNOWN"])
      expect(securityMeets(ANY_PROTECTED_LINK, mode), mode).toBe(false);
    expect(securityMeets(ANY_PROTECTED_LINK, null)).toBe(false);
  });
});
