/**
 * Set VPN Server Protocol: whether an address is the VPN's server, and how the VPN reaches it. Enable opens it
 * with what it cannot pass on its own (a route names the address but no VPN program's connection proves it, or
 * nothing on the Mac says the protocol and port) and what it saw of each; the answers go back to Enable, which
 * runs the one privileged action and keeps them for the next time.
 */
import { Action, ActionPanel, Form, Icon, openExtensionPreferences, popToRoot } from "@raycast/api";
import { SETTING_TITLES } from "../../words/settings";
import { useEffect, useState } from "react";
import { ACTION_TITLES } from "../../words/actions";
import { isIpAddress } from "../../address/ip";
import { formatEndpoint } from "../../policy/policy";
import { readNetworkOrNull } from "../reading/kill-switch-reading";
import { launchEnableCommand } from "../actions/launch-context";

type Protocol = "udp" | "tcp" | "ikev2" | "none";
const PROTOCOLS: { value: Protocol; title: string }[] = [
  { value: "udp", title: "UDP (OpenVPN, WireGuard, most VPNs)" },
  { value: "tcp", title: "TCP" },
  { value: "ikev2", title: "IKEv2 / IPsec (UDP 500 and 4500, ESP)" },
  { value: "none", title: "Not My VPN Server (keep it blocked)" },
];

/** What the Mac saw of a server, as Enable describes it: one line, kept short. */
const MAX_SEEN_LENGTH = 500;

type ParsedContext = { servers: string[] | null; seen: Record<string, string>; error: string | null };

/** The launch context's servers and what was seen of them, or the message naming what is wrong. */
export function parseServerProtocolContext(value: unknown): ParsedContext {
  if (value === undefined || value === null) return { servers: null, seen: {}, error: null };
  const failed = (error: string): ParsedContext => ({ servers: null, seen: {}, error });
  const servers = (value as { servers?: unknown }).servers;
  if (!Array.isArray(servers)) return failed("Launch context: servers: expected a list of addresses");
  const bad = servers.findIndex((server) => typeof server !== "string" || !isIpAddress(server));
  if (bad !== -1) return failed(`Launch context: servers.${bad}: ${JSON.stringify(servers[bad])} is not an IP address`);
  const seenValue = (value as { seen?: unknown }).seen ?? {};
  if (typeof seenValue !== "object" || seenValue === null || Array.isArray(seenValue)) {
    return failed("Launch context: seen: expected what was seen of each server, by address");
  }
  const seen: Record<string, string> = {};
  for (const [address, text] of Object.entries(seenValue)) {
    if (!servers.includes(address))
      return failed(`Launch context: seen: ${JSON.stringify(address)} is not one of the servers`);
    // eslint-disable-next-line no-control-regex -- the point: one line, no control character
    if (typeof text !== "string" || text.length > MAX_SEEN_LENGTH || /[\u0000-\u001f\u007f]/.test(text)) {
      return failed(`Launch context: seen.${address}: expected one line of at most ${MAX_SEEN_LENGTH} characters`);
    }
    seen[address] = text;
  }
  return { servers: [...new Set(servers as string[])], seen, error: null };
}

/** One answer as Enable takes it (`IP:port/proto`, `IP/ikev2`, `IP/none`), or the message for the port field. */
export function answerFor(address: string, protocol: Protocol, port: string): { answer: string } | { error: string } {
  if (protocol === "none") return { answer: `${address.includes(":") ? `[${address}]` : address}/none` };
  if (protocol === "ikev2") return { answer: formatEndpoint({ address, protocol }) };
  const text = port.trim();
  const number = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(number >= 1 && number <= 65535)) {
    return { error: text === "" ? "Required: the port the VPN connects to" : `"${text}" is not a port (1-65535)` };
  }
  return { answer: formatEndpoint({ address, protocol, port: number }) };
}

/** Said when there is no server to ask about: what to do instead, with Open Preferences as the action. */
export const NOTHING_TO_ASK =
  "Nothing to ask: no VPN server is found on this Mac. Connect the VPN and enable the kill switch (its server is " +
  `then found), or name the server under ${SETTING_TITLES.vpnServers} in Preferences.`;

export function ServerProtocolForm(props: { launchContext?: unknown }) {
  const parsed = parseServerProtocolContext(props.launchContext);
  const [servers, setServers] = useState<string[] | null>(parsed.servers);
  const [protocols, setProtocols] = useState<Record<string, Protocol>>({});
  const [ports, setPorts] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});

  useEffect(() => {
    // Opened by itself: the servers the routes show now.
    if (servers !== null || parsed.error) return;
    void readNetworkOrNull().then((network) =>
      setServers([...(network?.endpoints ?? []), ...(network?.serverCandidates ?? []).map((c) => c.address)]),
    );
  }, []);

  if (parsed.error) return <Form>{<Form.Description title="Cannot Ask" text={parsed.error} />}</Form>;
  const list = servers ?? [];

  async function submit() {
    const answers: string[] = [];
    const found: Record<string, string> = {};
    for (const address of list) {
      const result = answerFor(address, protocols[address] ?? "udp", ports[address] ?? "");
      if ("error" in result) found[address] = result.error;
      else answers.push(result.answer);
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    await launchEnableCommand({ reason: "enable", serverTransports: answers });
    await popToRoot();
  }

  return (
    <Form
      isLoading={servers === null}
      actions={
        list.length > 0 ? (
          <ActionPanel>
            <Action.SubmitForm title={ACTION_TITLES.enable} onSubmit={submit} />
          </ActionPanel>
        ) : servers !== null ? (
          <ActionPanel>
            <Action title={ACTION_TITLES.openPreferences} icon={Icon.Gear} onAction={openExtensionPreferences} />
          </ActionPanel>
        ) : undefined
      }
    >
      <Form.Description
        text={
          servers !== null && list.length === 0
            ? NOTHING_TO_ASK
            : "The kill switch passes a VPN server only when the VPN program's own connection proves it, on its own " +
              "protocol and port. A route names any address the network likes, so for these your word is needed: " +
              "your VPN app's settings or its server list say which server and port it uses. The answer is kept " +
              "for the next Enable."
        }
      />
      {list.flatMap((address) => [
        <Form.Separator key={`separator-${address}`} />,
        <Form.Description
          key={`server-${address}`}
          title="VPN Server?"
          text={parsed.seen[address] ?? `${address} (found on this Mac)`}
        />,
        <Form.Dropdown
          key={`protocol-${address}`}
          id={`protocol-${address}`}
          title="Protocol"
          value={protocols[address] ?? "udp"}
          onChange={(value) => setProtocols({ ...protocols, [address]: value as Protocol })}
        >
          {PROTOCOLS.map((p) => (
            <Form.Dropdown.Item key={p.value} value={p.value} title={p.title} />
          ))}
        </Form.Dropdown>,
        ...(["ikev2", "none"].includes(protocols[address] ?? "udp")
          ? []
          : [
              <Form.TextField
                key={`port-${address}`}
                id={`port-${address}`}
                title="Port"
                placeholder="1194 (OpenVPN), 51820 (WireGuard), 443"
                value={ports[address] ?? ""}
                error={errors[address]}
                onChange={(value) => {
                  setPorts({ ...ports, [address]: value });
                  if (errors[address]) setErrors({ ...errors, [address]: "" });
                }}
              />,
            ]),
      ])}
    </Form>
  );
}
