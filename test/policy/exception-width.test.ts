import { describe, expect, it } from "vitest";
import { parseCidr } from "../../src/address/ip";
import { describeAddressCount, exceptionWidth, indexCompletingDefaultRoute } from "../../src/policy/exception-width";
import { parseSettings } from "../../src/policy/settings";

const cidr = (text: string) =>
  parseCidr(text) ??
  (() => {
    throw new Error(text);
  })();
const errorsOf = (input: unknown) => {
  const result = parseSettings(input);
  return result.ok ? [] : result.errors;
};

describe("how wide an exception may be", () => {
  it.each([
    ["192.168.1.20", "narrow"],
    ["192.168.1.0/24", "narrow"],
    ["10.1.0.0/16", "wide"],
    ["10.0.0.0/8", "wide"],
    ["10.0.0.0/7", "too-wide"],
    ["0.0.0.0/0", "too-wide"],
    ["2001:db8::/64", "narrow"],
    ["2001:db8::/48", "wide"],
    ["2001:db8::/32", "wide"],
    ["2001::/31", "too-wide"],
    ["::/0", "too-wide"],
  ])("%s is %s", (text, width) => {
    expect(exceptionWidth(cidr(text))).toBe(width);
  });

  it("counts addresses in words people read", () => {
    expect(describeAddressCount(cidr("10.1.0.0/16"))).toBe("65,536 addresses");
    expect(describeAddressCount(cidr("192.168.1.20"))).toBe("1 address");
    expect(describeAddressCount(cidr("2001:db8::/32"))).toBe("2^96 addresses");
  });

  it.each([
    ["192.168.1.20/0", "the whole IPv4 Internet: a default route"],
    ["0.0.0.0/0", "the whole IPv4 Internet"],
    ["::/0", "the whole IPv6 Internet"],
    ["0.0.0.0/1", "opens 2,147,483,648 addresses"],
    ["10.0.0.0/7", "at most a /8 (IPv4) or a /32 (IPv6)"],
  ])("refuses %s outright, even when marked wide, naming the field and value", (address, why) => {
    const errors = errorsOf({ exceptions: [{ address, label: "Printer", wide: true }] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`exceptions[0].address: ${JSON.stringify(address)} `);
    expect(errors[0]).toContain(why);
  });

  it("needs wide: true for more than a /24 or a /64, and then accepts it", () => {
    const errors = errorsOf({ exceptions: [{ address: "10.1.0.0/16" }, { address: "2001:db8::/48" }] });
    expect(errors).toEqual([
      'exceptions[0].address: "10.1.0.0/16" opens 65,536 addresses; an exception wider than a /24 (IPv4) needs "wide": true',
      'exceptions[1].address: "2001:db8::/48" opens 2^80 addresses; an exception wider than a /64 (IPv6) needs "wide": true',
    ]);
    expect(errorsOf({ exceptions: [{ address: "10.1.0.0/16", wide: true }] })).toEqual([]);
    expect(errorsOf({ exceptions: [{ address: "192.168.1.0/24" }, { address: "printer.local" }] })).toEqual([]);
  });

  it("refuses exceptions that together make a default route, disabled ones too, naming the one that completes it", () => {
    const all = Array.from({ length: 256 }, (_, i) => ({ address: `${i}.0.0.0/8`, wide: true, enabled: false }));
    const errors = errorsOf({ exceptions: all });
    expect(errors).toEqual([
      'exceptions[255].address: "255.0.0.0/8" completes a default route: together with the exceptions before it, it covers every address, so nothing would stay inside the VPN',
    ]);
    // One short of the whole space is one toggle from a default route, but not one: the cap stops the toggle.
    expect(errorsOf({ exceptions: all.slice(1) })).toEqual([]);
  });

  it("finds where networks in any order first add up to everything", () => {
    expect(indexCompletingDefaultRoute([cidr("128.0.0.0/1"), null, cidr("10.0.0.0/8"), cidr("0.0.0.0/1")])).toBe(3);
    expect(indexCompletingDefaultRoute([cidr("::/1"), cidr("0.0.0.0/1"), cidr("8000::/1")])).toBe(2);
    expect(indexCompletingDefaultRoute([cidr("0.0.0.0/1"), cidr("128.0.0.0/2"), cidr("224.0.0.0/3")])).toBeNull();
    expect(indexCompletingDefaultRoute([cidr("0.0.0.0/1"), cidr("128.0.0.0/2"), cidr("192.0.0.0/2")])).toBe(2);
  });
});
