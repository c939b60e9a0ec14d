/**
 * Blocked Traffic: what tried to get out outside the VPN and was blocked, from the root side's record (kept
 * from boot on), as flows grouped by app, each tagged with when (during boot, with the VPN down, beside the VPN)
 * and how long ago on the Mac's clock. ⏎ copies a flow; Clear Log, the one destructive action, comes last. No
 * name is looked up: a reverse DNS query outside the tunnel would itself leak.
 */
import { Action, ActionPanel, Alert, Color, Icon, Keyboard, List, confirmAlert, popToRoot } from "@raycast/api";
import { ANCHOR_NAME } from "../../privileged/paths";
import { useEffect, useState } from "react";
import { type Flow, type FlowPhase, farSide, groupFlows } from "../../pflog/flows";
import { readBlockedTrafficRecord } from "../../pflog/record";
import { ExceptionForm, type ExceptionPrefill } from "./exception-form";
import { launchEnableCommand } from "../actions/launch-context";
import { systemCommands } from "../system";
import { ACTION_TITLES, asksMore } from "../../words/actions";
import { timeAgo } from "../../words/time-ago";

/** Each phase's tag: when it tried to get out. */
const PHASES: Record<FlowPhase, { tag: string; color: Color }> = {
  boot: { tag: "During Boot", color: Color.Purple },
  "vpn-down": { tag: "No VPN", color: Color.Orange },
  "vpn-up": { tag: "Beside the VPN", color: Color.Red },
};

/** The app a flow belongs to, as its section's title. */
function appOf(flow: Flow): string {
  return flow.process ?? (flow.pid === null ? "Unknown App" : `Unrecorded App (pid ${flow.pid})`);
}

/** The local date and time: "14 Nov 2023, 23:14". */
function localTime(iso: string): string {
  return new Date(iso).toLocaleString([], {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** Which rule blocked it, in words: the kill switch's own, or another program's firewall rules. */
function describeRule(flow: Flow): string {
  if (!flow.rule) return "The kill switch";
  const ours = flow.rule.ruleset.startsWith(ANCHOR_NAME.split("/").pop()?.slice(0, 15) ?? ANCHOR_NAME);
  return ours ? `The kill switch, rule ${flow.rule.number}` : `Another firewall's rule ${flow.rule.number}`;
}

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
      : ["The name and path are what the app calls itself, as it was recorded running then.", ""]),
    "Nothing leaves outside the VPN unless it is allowed.",
  ].join("\n");
}

/** What the detail's side panel lists: when, how often, where, and the rule. */
function FlowMetadata(props: { flow: Flow; now: Date }) {
  const { flow, now } = props;
  return (
    <List.Item.Detail.Metadata>
      {flow.phase ? (
        <List.Item.Detail.Metadata.TagList title="When">
          <List.Item.Detail.Metadata.TagList.Item text={PHASES[flow.phase].tag} color={PHASES[flow.phase].color} />
        </List.Item.Detail.Metadata.TagList>
      ) : null}
      <List.Item.Detail.Metadata.Label
        title="First Seen"
        text={`${localTime(flow.firstSeen)} (${timeAgo(flow.firstSeen, now)})`}
      />
      <List.Item.Detail.Metadata.Label
        title="Last Seen"
        text={`${localTime(flow.lastSeen)} (${timeAgo(flow.lastSeen, now)})`}
      />
      <List.Item.Detail.Metadata.Label title="Packets" text={String(flow.count)} />
      <List.Item.Detail.Metadata.Label title="Interface" text={flow.interface} />
      <List.Item.Detail.Metadata.Label title="Blocked By" text={describeRule(flow)} />
    </List.Item.Detail.Metadata>
  );
}

/** The flow as one line of text, for the clipboard. */
function flowText(flow: Flow): string {
  return [
    flow.direction ?? "",
    flow.interface,
    flow.protocol,
    farSide(flow),
    flow.executable ?? appOf(flow),
    `×${flow.count}`,
    `${localTime(flow.firstSeen)} – ${localTime(flow.lastSeen)}`,
  ]
    .filter(Boolean)
    .join(" ");
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

/** `now`: the clock times are told against (the tests' own). */
export function BlockedTrafficList(props: { now?: Date } = {}) {
  const now = props.now ?? new Date();
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
  // By app, the app with the most blocked packets first; in each, the latest flow first.
  const apps = new Map<string, Flow[]>();
  for (const flow of reading.flows) apps.set(appOf(flow), [...(apps.get(appOf(flow)) ?? []), flow]);
  const total = (flows: Flow[]) => flows.reduce((sum, flow) => sum + flow.count, 0);
  const sections = [...apps].sort((a, b) => total(b[1]) - total(a[1]));
  return (
    <List isShowingDetail searchBarPlaceholder="Filter by app, address or interface">
      {sections.map(([app, flows]) => (
        <List.Section key={app} title={app} subtitle={`${total(flows)} blocked`}>
          {[...flows]
            .sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen))
            .map((flow, index) => (
              <List.Item
                key={`${app}-${index}`}
                title={farSide(flow)}
                subtitle={flow.direction === "in" ? "coming in" : "going out"}
                keywords={[app, flow.interface, flow.protocol, flow.remote ?? "", flow.executable ?? ""]}
                accessories={[
                  ...(flow.phase ? [{ tag: { value: PHASES[flow.phase].tag, color: PHASES[flow.phase].color } }] : []),
                  { text: `${flow.count}×` },
                  { text: timeAgo(flow.lastSeen, now), tooltip: localTime(flow.lastSeen) },
                ]}
                detail={
                  <List.Item.Detail markdown={describe(flow)} metadata={<FlowMetadata flow={flow} now={now} />} />
                }
                actions={
                  <ActionPanel>
                    <Action.CopyToClipboard title={ACTION_TITLES.copyFlow} content={flowText(flow)} />
                    {flow.direction !== "in" && flow.remote !== null ? (
                      <Action.Push
                        title={asksMore(ACTION_TITLES.allowAsException)}
                        icon={Icon.Plus}
                        shortcut={Keyboard.Shortcut.Common.New}
                        target={<ExceptionForm prefill={exceptionFor(flow)} />}
                      />
                    ) : null}
                    <ActionPanel.Section>
                      <Action
                        title={asksMore(ACTION_TITLES.clearLog)}
                        icon={Icon.Trash}
                        style={Action.Style.Destructive}
                        shortcut={{ modifiers: ["ctrl", "shift"], key: "x" }}
                        onAction={clearLog}
                      />
                    </ActionPanel.Section>
                  </ActionPanel>
                }
              />
            ))}
        </List.Section>
      ))}
    </List>
  );
}
