/**
 * Blocked Traffic: what tried to get out outside the VPN and was blocked, from the root side's record (kept
 * from boot on), as flows in sections by phase: during boot, with the VPN down, beside the VPN. No name is
 * looked up: a reverse DNS query outside the tunnel would itself leak.
 */
import { Action, ActionPanel, Alert, Icon, List, confirmAlert, popToRoot } from "@raycast/api";
import { useEffect, useState } from "react";
import { type Flow, type FlowPhase, farSide, groupFlows } from "../../pflog/flows";
import { readBlockedTrafficRecord } from "../../pflog/record";
import { ExceptionForm, type ExceptionPrefill } from "./exception-form";
import { launchEnableCommand } from "../actions/launch-context";
import { systemCommands } from "../system";
import { ACTION_TITLES, asksMore } from "../../words/actions";

const SECTIONS: { phase: FlowPhase | null; title: string }[] = [
  { phase: "boot", title: "During Boot" },
  { phase: "vpn-down", title: "No VPN" },
  { phase: "vpn-up", title: "VPN Up (bypassing it)" },
  { phase: null, title: "When Unknown" },
];

type Reading =
  { kind: "loading" } | { kind: "none" } | { kind: "flows"; flows: Flow[] } | { kind: "error"; message: string };

/**
 * The narrowest exception that lets this flow through: its one address, protocol and port. Nothing else: the
 * process's name is what the process calls itself, no ground to pass anything.
 */
export function exceptionFor(flow: Flow): ExceptionPrefill {
  return {
    address: flow.remote ?? "",
    protocol: flow.protocol === "tcp" || flow.protocol === "udp" ? flow.protocol : "any",
    port: flow.port === null ? "" : String(flow.port),
  };
}

/** The process as recorded, its path beside its name: `Safari (pid 812, \`/Applications/…/Safari\`)`. */
function describeProcess(flow: Flow): string {
  if (flow.pid === null) return "an unknown process";
  if (flow.process === null) return `a process not recorded (pid ${flow.pid})`;
  return `${flow.process} (pid ${flow.pid}, \`${flow.executable ?? flow.process}\`)`;
}

function describe(flow: Flow): string {
  const packets = `**${flow.count}** packet${flow.count === 1 ? "" : "s"}`;
  const what =
    flow.direction === "in"
      ? `${packets} from \`${farSide(flow)}\` (${flow.protocol}) on \`${flow.interface}\`, for ${describeProcess(flow)}.`
      : `${packets} to \`${farSide(flow)}\` (${flow.protocol}) on \`${flow.interface}\`, sent by ${describeProcess(flow)}.`;
  return [
    `## ${flow.direction === "in" ? "Refused coming in" : "Refused going out"}`,
    "",
    what,
    "",
    ...(flow.process === null
      ? []
      : ["The name and path are what the process calls itself, as it was recorded running then.", ""]),
    `First seen ${flow.firstSeen}, last seen ${flow.lastSeen}.`,
    "",
    flow.rule
      ? `Blocked by rule ${flow.rule.number} of \`${flow.rule.ruleset || "the main ruleset"}\` (pf's numbering, as \`sudo pfctl -a com.apple/000.vpnkillswitch -vsr\` lists them): nothing leaves outside the VPN unless it is allowed.`
      : "Blocked by pf: nothing leaves outside the VPN unless it is allowed.",
  ].join("\n");
}

/** Asks first, then has Enable (the command that holds the privileged code) clear it with one prompt. */
async function clearLog(): Promise<void> {
  const confirmed = await confirmAlert({
    title: "Clear the Blocked Traffic Log?",
    message: "Everything recorded so far is removed; recording goes on. macOS asks for an administrator password.",
    primaryAction: { title: ACTION_TITLES.clearLog, style: Alert.ActionStyle.Destructive },
  });
  if (!confirmed) return;
  await launchEnableCommand({ reason: "clear-blocked-traffic" });
  await popToRoot();
}

export function BlockedTrafficList() {
  const [reading, setReading] = useState<Reading>({ kind: "loading" });
  useEffect(() => {
    readBlockedTrafficRecord(systemCommands())
      .then((record) =>
        setReading(record ? { kind: "flows", flows: groupFlows(record.packets, record.context) } : { kind: "none" }),
      )
      .catch((error: unknown) =>
        setReading({
          kind: "error",
          message:
            (error as NodeJS.ErrnoException).code === "EACCES"
              ? "The record is readable by admin users only."
              : error instanceof Error
                ? error.message
                : String(error),
        }),
      );
  }, []);

  if (reading.kind !== "flows" || reading.flows.length === 0) {
    const empty =
      reading.kind === "none"
        ? { title: "No Record", description: "It is kept while the kill switch is on with Blocked Traffic Log on." }
        : reading.kind === "error"
          ? { title: "Cannot Read the Record", description: reading.message }
          : { title: "Nothing Blocked", description: "Nothing has tried to get out outside the VPN." };
    return (
      <List isLoading={reading.kind === "loading"}>
        {reading.kind === "loading" ? null : <List.EmptyView icon={Icon.Shield} {...empty} />}
      </List>
    );
  }
  return (
    <List isShowingDetail searchBarPlaceholder="Filter by app, address or interface">
      {SECTIONS.map(({ phase, title }) => {
        const flows = reading.flows.filter((flow) => flow.phase === phase).sort((a, b) => b.count - a.count);
        if (flows.length === 0) return null;
        return (
          <List.Section key={title} title={title} subtitle={`${flows.length}`}>
            {flows.map((flow, index) => (
              <List.Item
                key={`${title}-${index}`}
                title={flow.process ?? (flow.pid === null ? "Unknown process" : `pid ${flow.pid}`)}
                subtitle={`${flow.direction ?? ""} ${farSide(flow)}`.trim()}
                keywords={[flow.interface, flow.protocol, flow.remote ?? "", flow.executable ?? ""]}
                accessories={[
                  ...(flow.executable && flow.executable !== flow.process
                    ? [{ tag: flow.executable, tooltip: "The executable, as the process calls itself" }]
                    : []),
                  { text: `${flow.count}×` },
                ]}
                detail={<List.Item.Detail markdown={describe(flow)} />}
                actions={
                  <ActionPanel>
                    {flow.direction !== "in" && flow.remote !== null ? (
                      <Action.Push
                        title={asksMore(ACTION_TITLES.allowAsException)}
                        icon={Icon.Plus}
                        target={<ExceptionForm prefill={exceptionFor(flow)} />}
                      />
                    ) : null}
                    <Action
                      title={asksMore(ACTION_TITLES.clearLog)}
                      icon={Icon.Trash}
                      style={Action.Style.Destructive}
                      onAction={clearLog}
                    />
                    <Action.CopyToClipboard
                      title={ACTION_TITLES.copyFlow}
                      content={`${flow.direction ?? ""} ${flow.interface} ${flow.protocol} ${farSide(flow)} ${flow.executable ?? ""} pid ${flow.pid ?? "?"} ×${flow.count} ${flow.firstSeen}–${flow.lastSeen}`}
                    />
                  </ActionPanel>
                }
              />
            ))}
          </List.Section>
        );
      })}
    </List>
  );
}
