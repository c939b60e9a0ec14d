import type { ReactTestRenderer } from "react-test-renderer";
import { act } from "react-test-renderer";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ExceptionForm } from "../../src/raycast/views/exception-form";
import { EXCEPTION_FIELD_TITLES } from "../../src/words/fields";
import { runKillswitch } from "../cli/cli-harness";
import type { StoredException } from "../../src/raycast/stores/exception-store";
import { summarizeNetwork } from "../../src/raycast/reading/network-reading";
import { LaunchType, raycast, resetRaycast } from "../mocks/raycast-api";
import { storeExceptions, storedExceptions } from "./user-settings";
import { HOME_ID, VPN_UP, lifecycle, networkReader, resetSpies, statusFor } from "./helpers";
import { all, click, item, one, render, settle } from "./render";

vi.mock("../../src/lifecycle", async (original) => (await import("./helpers")).withLifecycleSpies(await original()));
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("./helpers")).withNetworkSpy(await original()),
);

const HOME = summarizeNetwork(VPN_UP);
const lookup = vi.fn(async (host: string): Promise<string[]> => {
  if (host === "printer.example.com") return ["192.168.1.20"];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
});

beforeEach(() => {
  resetRaycast();
  resetSpies();
  lookup.mockClear();
});

const field = (renderer: ReactTestRenderer, id: string) => {
  const found = renderer.root.findAll((node) => node.props.id === id && String(node.type).startsWith("Form."));
  if (found.length !== 1) throw new Error(`expected one field ${id}, found ${found.length}`);
  return found[0];
};

async function type(renderer: ReactTestRenderer, id: string, value: string): Promise<void> {
  await act(async () => field(renderer, id).props.onChange(value));
}

async function leave(renderer: ReactTestRenderer, id: string): Promise<void> {
  await act(async () => field(renderer, id).props.onBlur({ target: { value: field(renderer, id).props.value } }));
}

/** Presses the submit action with the values the fields hold, as Raycast does. */
async function submit(renderer: ReactTestRenderer): Promise<void> {
  const values = Object.fromEntries(
    renderer.root
      .findAll((node) => typeof node.type === "string" && node.type.startsWith("Form.") && node.props.id !== undefined)
      .map((node) => [node.props.id, node.props.value]),
  );
  await act(async () => {
    await one(renderer, "Action.SubmitForm").props.onSubmit(values);
  });
  await settle();
}

const stored = async () => storedExceptions();
const errors = (renderer: ReactTestRenderer) =>
  Object.fromEntries(
    renderer.root
      .findAll((node) => typeof node.type === "string" && node.props.error !== undefined)
      .map((node) => [node.props.id, node.props.error]),
  );

describe("Add Exception form", () => {
  it("is prefilled with the current network: identity, gateway and subnet", async () => {
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);

    expect(item(renderer, "Form.Description", "Network").props.text).toBe(
      "Example Home · gateway 192.168.1.1 · 192.168.1.0/24",
    );
    expect(field(renderer, "scope").props.value).toBe(HOME_ID);
    expect(all(renderer, "Form.Dropdown.Item").filter((n) => n.props.value === HOME_ID)[0].props.title).toBe(
      "This Network (Example Home)",
    );
    expect(field(renderer, "address").props.placeholder).toContain("192.168.1.0/24");
    expect(field(renderer, "protocol").props.value).toBe("any");
    expect(field(renderer, "expiry").props.value).toBe("never");

    await click(item(renderer, "Action", "Use Whole Subnet 192.168.1.0/24"));
    expect(field(renderer, "address").props.value).toBe("192.168.1.0/24");
    await click(item(renderer, "Action", "Use Gateway 192.168.1.1"));
    expect(field(renderer, "address").props.value).toBe("192.168.1.1");
  });

  it("titles each field by its one name, the one the CLI's options use too", async () => {
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    for (const [id, title] of Object.entries(EXCEPTION_FIELD_TITLES))
      expect(field(renderer, id).props.title).toBe(title);
    const usage = (await runKillswitch(["exceptions", "--help"])).stdout;
    expect(usage).toContain(EXCEPTION_FIELD_TITLES.address.toUpperCase());
    expect(usage).toContain(`--port ${EXCEPTION_FIELD_TITLES.port.toUpperCase()}`);
    for (const option of ["protocol", "scope", "label", "expires"]) expect(usage).toContain(`--${option}`);
    expect(EXCEPTION_FIELD_TITLES.scope.toLowerCase()).toBe("scope");
    expect(EXCEPTION_FIELD_TITLES.expiry.toLowerCase()).toBe("expires");
  });

  it("reads the network itself when opened as a command", async () => {
    const renderer = await render(<ExceptionForm resolveHost={lookup} />);
    expect(networkReader.readNetworkState).toHaveBeenCalled();
    expect(field(renderer, "scope").props.value).toBe(HOME_ID);
    expect(one(renderer, "Form").props.isLoading).toBe(false);
  });

  it("offers only All Networks when the network is unknown", async () => {
    const renderer = await render(<ExceptionForm network={null} resolveHost={lookup} />);
    expect(field(renderer, "scope").props.value).toBe("all");
    expect(
      all(renderer, "Form.Dropdown.Item").filter((n) => n.props.value === "all" || n.props.value === HOME_ID),
    ).toHaveLength(1);
  });

  it("warns, and starts on All Networks, when the router's MAC is unknown", async () => {
    const unknownMac = "gw=192.168.1.1,mac=unknown,net=192.168.1.0/24";
    const network = { ...HOME!, id: unknownMac, gatewayMac: null };
    const renderer = await render(<ExceptionForm network={network} resolveHost={lookup} />);
    expect(field(renderer, "scope").props.value).toBe("all");
    expect(all(renderer, "Form.Dropdown.Item").find((n) => n.props.value === unknownMac)?.props.title).toBe(
      "This Network (Example Home, router MAC unknown)",
    );
    expect(item(renderer, "Form.Description", "Warning").props.text).toContain("router's MAC address is unknown");
    // With the MAC known there is nothing to warn about.
    const known = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    expect(all(known, "Form.Description").map((n) => n.props.title)).not.toContain("Warning");
  });

  it("records the link's security with an exception for this network, and refuses a public address there", async () => {
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    await type(renderer, "address", "93.184.216.34");
    await submit(renderer);
    expect(errors(renderer).address).toContain('"93.184.216.34" is a public address');
    expect(await stored()).toEqual([]);
    await type(renderer, "address", "192.168.1.20");
    await submit(renderer);
    expect(await stored()).toMatchObject([{ address: "192.168.1.20", scope: HOME_ID, scopeSecurity: "WPA2_PSK" }]);
  });

  it.each([
    ["address", "", "Enter an IP address, a CIDR network (192.168.1.0/24) or a host name"],
    ["address", "printer!!", '"printer!!" is not an IPv4/IPv6 address, CIDR network or host name'],
    ["address", "192.168.1.0/33", '"192.168.1.0/33" is not an IPv4/IPv6 address, CIDR network or host name'],
    ["port", "70000", '"70000" is not a port (1-65535), a list (80,443) or a range (8000-8080)'],
    ["port", "90-80", '"90-80" is not a port (1-65535), a list (80,443) or a range (8000-8080)'],
    ["label", "x".repeat(61), "Keep the label under 60 characters"],
  ])("shows the reason next to %s when it is left with %j", async (id, value, message) => {
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    await type(renderer, id, value);
    await leave(renderer, id);
    expect(errors(renderer)).toEqual({ [id]: message });

    await type(renderer, id, "");
    expect(errors(renderer)[id]).toBeUndefined();
  });

  it.each([
    ["protocol", "icmp", '"icmp" is not one of: tcp, udp, any'],
    ["scope", "", "Choose this network or all networks"],
    ["expiry", "forever", '"forever" is not one of: never, 1h (in 1 hour), 1d (in 1 day)'],
  ])("refuses to save with a bad %s (%j) and says why", async (id, value, message) => {
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    await type(renderer, "address", "192.168.1.20");
    await type(renderer, id, value);
    await submit(renderer);
    expect(errors(renderer)[id]).toContain(message);
    expect(await stored()).toEqual([]);
  });

  it("looks a host name up on save and names it when it does not resolve", async () => {
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    await type(renderer, "address", "nas.invalid");
    await submit(renderer);

    expect(lookup).toHaveBeenCalledWith("nas.invalid");
    expect(errors(renderer)).toEqual({ address: '"nas.invalid" could not be resolved (ENOTFOUND)' });
    expect(await stored()).toEqual([]);
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
  });

  it("saves for the next Enable when the kill switch is off", async () => {
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    await type(renderer, "address", "printer.example.com");
    await type(renderer, "protocol", "tcp");
    await type(renderer, "port", "631");
    await type(renderer, "label", "Printer");
    await type(renderer, "expiry", "1h");
    const before = Date.now();
    await submit(renderer);

    const [saved] = await stored();
    expect(saved).toMatchObject({
      address: "printer.example.com",
      protocol: "tcp",
      port: "631",
      scope: HOME_ID,
      label: "Printer",
      enabled: true,
    });
    expect(Date.parse(String(saved.expiresAt)) - before).toBeGreaterThanOrEqual(3_600_000 - 1000);
    expect(Date.parse(String(saved.expiresAt)) - before).toBeLessThanOrEqual(3_600_000 + 1000);
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(raycast.toasts).toEqual([
      { style: "SUCCESS", title: "Exception Added", message: "The kill switch is off: it applies at the next Enable." },
    ]);
    expect(raycast.navigation).toEqual(["popToRoot"]);
  });

  it("refuses a network that opens the Internet on the field, and asks before a wide one", async () => {
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    await type(renderer, "address", "192.168.1.20/0");
    await leave(renderer, "address");
    expect(errors(renderer).address).toContain("the whole IPv4 Internet");
    await submit(renderer);
    expect(await stored()).toEqual([]);

    await type(renderer, "address", "10.1.0.0/16");
    raycast.alertAnswer = false;
    await submit(renderer);
    expect(raycast.alerts.at(-1)).toMatchObject({
      title: "Open 65,536 Addresses Outside the VPN?",
      message: expect.stringContaining("10.1.0.0/16 is wider than a home or office subnet"),
    });
    expect(await stored()).toEqual([]);

    raycast.alertAnswer = true;
    await submit(renderer);
    expect(await stored()).toMatchObject([{ address: "10.1.0.0/16", wide: true }]);
  });

  it("refuses one that would take the exceptions together past the cap, with the settings' message", async () => {
    const saved = { id: "cdn", address: "45.0.0.0/8", wide: true, protocol: "any", scope: "all", label: "" };
    storeExceptions([{ ...saved, enabled: true }]);
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    await type(renderer, "address", "46.0.0.0/8");
    // A public address passes only for all networks.
    await type(renderer, "scope", "all");
    raycast.alertAnswer = true;
    await submit(renderer);
    expect(errors(renderer).address).toBe(
      '"46.0.0.0/8" would make the exceptions open 33,554,432 public IPv4 addresses; together they may open at most 16,777,216 (a /8)',
    );
    expect(raycast.alerts).toEqual([]);
    expect(await stored()).toHaveLength(1);
  });

  it("has Enable apply it at once (one prompt there) when the kill switch is on", async () => {
    lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("protected"));
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    await type(renderer, "address", "192.168.1.0/24");
    await type(renderer, "scope", "all");
    await submit(renderer);

    expect(await stored()).toMatchObject([{ address: "192.168.1.0/24", scope: "all", protocol: "any" }]);
    expect(raycast.launches).toEqual([
      {
        name: "enable-kill-switch",
        type: LaunchType.UserInitiated,
        context: { reason: "apply", change: "Exception Added" },
      },
    ]);
    expect(lifecycle.applyKillSwitch).not.toHaveBeenCalled();
    expect(raycast.toasts).toEqual([
      {
        style: "SUCCESS",
        title: "Exception Added",
        message: "Reloading the kill switch rules: confirm the prompt to apply it now.",
      },
    ]);
    expect(raycast.navigation).toEqual(["popToRoot"]);
  });

  it("keeps the exception and shows the reason when Enable cannot be started", async () => {
    lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor("blocking"));
    raycast.launchError = new Error("Command is disabled");
    const renderer = await render(<ExceptionForm network={HOME} resolveHost={lookup} />);
    await type(renderer, "address", "192.168.1.20");
    await submit(renderer);

    expect(await stored()).toHaveLength(1);
    expect(raycast.failureToasts).toHaveLength(1);
    expect(raycast.toasts).toEqual([
      { style: "FAILURE", title: "Exception Added, Not Applied", message: "Command is disabled" },
    ]);
  });

  it("edits an exception in place, keeping its id and expiry", async () => {
    const existing: StoredException = {
      id: "printer",
      address: "192.168.1.20",
      protocol: "tcp",
      port: "631",
      scope: HOME_ID,
      label: "Printer",
      expiresAt: new Date(Date.now() + 40 * 60_000).toISOString(),
      enabled: true,
    };
    storeExceptions([existing]);
    const onSaved = vi.fn();
    const renderer = await render(
      <ExceptionForm exception={existing} network={HOME} onSaved={onSaved} resolveHost={lookup} />,
    );

    expect(field(renderer, "address").props.value).toBe("192.168.1.20");
    expect(field(renderer, "expiry").props.value).toBe("keep");
    expect(item(renderer, "Form.Dropdown.Item", "Keep (expires in 40 min)")).toBeTruthy();
    await type(renderer, "port", "631, 9100");
    await submit(renderer);

    // Saved before link security was recorded: edited on its network, it records the link's now.
    expect(await stored()).toEqual([{ ...existing, port: "631,9100", scopeSecurity: "WPA2_PSK" }]);
    expect(onSaved).toHaveBeenCalledTimes(1);
    expect(raycast.navigation).toEqual(["pop"]);
    expect(raycast.toasts[0].title).toBe("Exception Updated");
  });
});

describe("ExceptionForm prefilled (Blocked Traffic's Allow as Exception…)", () => {
  it("starts a new exception from the address, protocol and port given, unlabelled, for this network", async () => {
    const renderer = await render(
      <ExceptionForm network={HOME} prefill={{ address: "93.184.216.34", protocol: "tcp", port: "443" }} />,
    );
    expect(field(renderer, "address").props.value).toBe("93.184.216.34");
    expect(field(renderer, "protocol").props.value).toBe("tcp");
    expect(field(renderer, "port").props.value).toBe("443");
    expect(field(renderer, "label").props.value).toBe("");
    expect(field(renderer, "scope").props.value).toBe(HOME?.id);
  });
});
