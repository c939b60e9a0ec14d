/**
 * Set VPN Server Protocol: how the VPN reaches a server found in the routes when nothing on the Mac says it
 * (no open connection to read, no IPsec tunnel). Enable opens it with the servers it has to ask about; the
 * answers go back to Enable, which runs the one privileged action and keeps them for the next time.
 */
import { Action, ActionPanel, Form, popToRoot } from "@raycast/api";
import { useEffect, useState } from "react";
import { isIpAddress } from "../../address/ip";
import { formatEndpoint } from "../../policy/policy";
import { readNetworkOrNull } from "../reading/kill-switch-reading";
import { launchEnableCommand } from "../actions/launch-context";

type Protocol = "udp" | "tcp" | "ikev2";
const PROTOCOLS: { value: Protocol; title: string }[] = [
  { value: "udp", title: "UDP (OpenVPN, WireGuard, most VPNs)" },
  { value: "tcp", title: "TCP" },
  { value: "ikev2", title: "IKEv2 / IPsec (UDP 500 and 4500, ESP)" },
];

/** The launch context's servers, or the message naming what is wrong with them. */
export function parseServerProtocolContext(value: unknown): { servers: string[] | null; error: string | null } {
  if (value === undefined || value === null) return { servers: null, error: null };
  const servers = (value as { servers?: unknown }).servers;
  if (!Array.isArray(servers)) return { servers: null, error: "Launch context: servers: expected a list of addresses" };
  const bad = servers.findIndex((server) => typeof server !== "string" || !isIpAddress(server));
  if (bad !== -1) {
    return {
      servers: null,
      error: `Launch context: servers.${bad}: ${JSON.stringify(servers[bad])} is not an IP address`,
    };
  }
  return { servers: [...new Set(servers as string[])], error: null };
}

/** One answer as Enable takes it (`IP:port/proto`, `IP/ikev2`), or the message for the port field. */
export function answerFor(address: string, protocol: Protocol, port: string): { answer: string } | { error: string } {
  if (protocol === "ikev2") return { answer: formatEndpoint({ address, protocol }) };
  const text = port.trim();
  const number = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(number >= 1 && number <= 65535)) {
    return { error: text === "" ? "Required: the port the VPN connects to" : `"${text}" is not a port (1-65535)` };
  }
  return { answer: formatEndpoint({ address, protocol, port: number }) };
}

export function ServerProtocolForm(props: { launchContext?: unknown }) {
  const parsed = parseServerProtocolContext(props.launchContext);
  const [servers, setServers] = useState<string[] | null>(parsed.servers);
  const [protocols, setProtocols] = useState<Record<string, Protocol>>({});
  const [ports, setPorts] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});

  useEffect(() => {
    // Opened by itself: the servers the routes show now.
    if (servers !== null || parsed.error) return;
    void readNetworkOrNull().then((network) => setServers(network?.endpoints ?? []));
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
            <Action.SubmitForm title="Enable Kill Switch" onSubmit={submit} />
          </ActionPanel>
        ) : undefined
      }
    >
      <Form.Description
        text={
          servers !== null && list.length === 0
            ? "No VPN server is found in the routes. Connect the VPN first, or set VPN Servers in the preferences."
            : "The kill switch passes a VPN server on its own protocol and port only. Nothing on this Mac says which " +
              "ones the VPN uses here: your VPN app's settings or its server list do. The answer is kept for the next Enable."
        }
      />
      {list.flatMap((address) => [
        <Form.Separator key={`separator-${address}`} />,
        <Form.Description key={`server-${address}`} title="VPN Server" text={`${address} (found in the routes)`} />,
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
        ...((protocols[address] ?? "udp") === "ikev2"
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
