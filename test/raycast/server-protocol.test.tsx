import { act } from "react-test-renderer";
import type { ReactTestRenderer } from "react-test-renderer";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ServerTransportError } from "../../src/lifecycle";
import enableCommand from "../../src/enable-kill-switch";
import { ServerProtocolForm, answerFor } from "../../src/raycast/views/server-protocol-form";
import { LaunchType, raycast, resetRaycast } from "../mocks/raycast-api";
import { VPN_DOWN, VPN_UP, changeFor, launchProps, lifecycle, networkReader, resetSpies } from "./helpers";
import { all, one, render, settle } from "./render";

vi.mock("../../src/lifecycle", async (original) => (await import("./helpers")).withLifecycleSpies(await original()));
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("./helpers")).withNetworkSpy(await original()),
);

beforeEach(() => {
  resetRaycast();
  resetSpies();
});

const field = (renderer: ReactTestRenderer, id: string) => {
  const found = renderer.root.findAll((node) => node.props.id === id && String(node.type).startsWith("Form."));
  if (found.length !== 1) throw new Error(`expected one field ${id}, found ${found.length}`);
  return found[0];
};
const change = (renderer: ReactTestRenderer, id: string, value: string) =>
  act(async () => field(renderer, id).props.onChange(value));
async function submit(renderer: ReactTestRenderer) {
  await act(async () => {
    await one(renderer, "Action.SubmitForm").props.onSubmit({});
  });
  await settle();
}

describe("Enable asks how the VPN reaches a server nothing on the Mac describes", () => {
  it("opens Set VPN Server Protocol with the servers to ask about and what was seen, and says nothing else", async () => {
    const seen = "93.184.216.34 (named by a host route; 93.184.216.34:443/tcp, used by Safari (pid 812))";
    lifecycle.enableKillSwitch.mockRejectedValue(
      new ServerTransportError([{ address: "93.184.216.34", seen }], "asked"),
    );
    await enableCommand(launchProps());
    expect(raycast.launches).toEqual([
      {
        name: "set-vpn-server-protocol",
        type: LaunchType.UserInitiated,
        context: { servers: ["93.184.216.34"], seen: { "93.184.216.34": seen } },
      },
    ]);
    expect(raycast.toasts).toEqual([]);
  });

  it("runs Enable with the answers it was launched with", async () => {
    lifecycle.enableKillSwitch.mockImplementation(async (request) =>
      changeFor("enable", request.settings, request.network, "protected"),
    );
    await enableCommand(
      launchProps({ reason: "enable", serverTransports: ["198.51.100.7:1194/udp", "203.0.113.4/ikev2"] }),
    );
    expect(lifecycle.enableKillSwitch.mock.calls[0][0].serverTransports).toEqual([
      { address: "198.51.100.7", protocol: "udp", port: 1194 },
      { address: "203.0.113.4", protocol: "ikev2" },
    ]);
    expect(lifecycle.enableKillSwitch.mock.calls[0][0].declinedServers).toEqual([]);
  });

  it("refuses a launch with an answer it cannot read, naming it", async () => {
    await enableCommand(launchProps({ reason: "enable", serverTransports: ["198.51.100.7"] }));
    expect(lifecycle.enableKillSwitch).not.toHaveBeenCalled();
    expect(raycast.toasts[0]).toMatchObject({
      message: 'Launch context: serverTransports.0: "198.51.100.7" is not IP:port/proto, IP:port, IP/ikev2 or IP/none',
    });
  });
});

describe("Set VPN Server Protocol", () => {
  it("shows what was seen, asks for the port unless IKEv2 or not a server, checks it, and hands the answers to Enable", async () => {
    const seen = "93.184.216.34 (named by a host route; 93.184.216.34:443/tcp, used by Safari (pid 812))";
    const renderer = await render(
      <ServerProtocolForm
        launchContext={{ servers: ["198.51.100.7", "2001:db8::7", "93.184.216.34"], seen: { "93.184.216.34": seen } }}
      />,
    );
    const texts = all(renderer, "Form.Description").map((node) => node.props.text);
    expect(texts).toContain("198.51.100.7 (found on this Mac)");
    expect(texts).toContain(seen);
    await change(renderer, "protocol-93.184.216.34", "none");
    expect(renderer.root.findAll((node) => node.props.id === "port-93.184.216.34")).toEqual([]);
    await submit(renderer);
    expect(field(renderer, "port-198.51.100.7").props.error).toBe("Required: the port the VPN connects to");
    expect(raycast.launches).toEqual([]);
    await change(renderer, "port-198.51.100.7", "70000");
    await submit(renderer);
    expect(field(renderer, "port-198.51.100.7").props.error).toBe('"70000" is not a port (1-65535)');
    await change(renderer, "port-198.51.100.7", "1194");
    await change(renderer, "protocol-2001:db8::7", "ikev2");
    expect(renderer.root.findAll((node) => node.props.id === "port-2001:db8::7")).toEqual([]);
    await submit(renderer);
    expect(raycast.launches).toEqual([
      {
        name: "enable-kill-switch",
        type: LaunchType.UserInitiated,
        context: {
          reason: "enable",
          serverTransports: ["198.51.100.7:1194/udp", "2001:db8::7/ikev2", "93.184.216.34/none"],
        },
      },
    ]);
  });

  it("opened by itself, asks about the servers found on this Mac", async () => {
    const renderer = await render(<ServerProtocolForm />);
    expect(all(renderer, "Form.Description").map((node) => node.props.text)).toContain(
      `${VPN_UP.endpoints[0]} (found on this Mac)`,
    );
  });

  it("with nothing to ask, says so and offers Open Preferences rather than a dead end", async () => {
    networkReader.readNetworkState.mockResolvedValue(VPN_DOWN);
    const renderer = await render(<ServerProtocolForm />);
    await settle();
    expect(all(renderer, "Form.Description").map((node) => node.props.text)).toEqual([
      "Nothing to ask: no VPN server is found on this Mac. Connect the VPN and enable the kill switch (its server is then found), or name the server under VPN Servers in Preferences.",
    ]);
    const open = all(renderer, "Action").find((node) => node.props.title === "Open Preferences");
    expect(open).toBeDefined();
    await act(async () => open?.props.onAction());
    expect(raycast.openedPreferences).toBe(1);
  });

  it("refuses what was seen of an address it is not asked about, or more than one line", async () => {
    const stray = await render(
      <ServerProtocolForm launchContext={{ servers: ["198.51.100.7"], seen: { "203.0.113.9": "x" } }} />,
    );
    expect(one(stray, "Form.Description").props.text).toBe(
      'Launch context: seen: "203.0.113.9" is not one of the servers',
    );
    const twoLines = await render(
      <ServerProtocolForm launchContext={{ servers: ["198.51.100.7"], seen: { "198.51.100.7": "a\nb" } }} />,
    );
    expect(one(twoLines, "Form.Description").props.text).toBe(
      "Launch context: seen.198.51.100.7: expected one line of at most 500 characters",
    );
  });

  it("says what is wrong with a launch context it cannot read", async () => {
    const renderer = await render(<ServerProtocolForm launchContext={{ servers: ["vpn.example.com"] }} />);
    expect(one(renderer, "Form.Description").props.text).toBe(
      'Launch context: servers.0: "vpn.example.com" is not an IP address',
    );
    expect(all(renderer, "Action.SubmitForm")).toEqual([]);
  });

  it("writes answers as Enable reads them", () => {
    expect(answerFor("2001:db8::7", "tcp", " 443 ")).toEqual({ answer: "[2001:db8::7]:443/tcp" });
    expect(answerFor("198.51.100.7", "udp", "0")).toEqual({ error: '"0" is not a port (1-65535)' });
    expect(answerFor("198.51.100.7", "udp", "1e3")).toEqual({ error: '"1e3" is not a port (1-65535)' });
    expect(answerFor("2001:db8::7", "none", "")).toEqual({ answer: "[2001:db8::7]/none" });
  });
});
