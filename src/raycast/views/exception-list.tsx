import { Action, ActionPanel, Alert, Color, Icon, Keyboard, List, confirmAlert } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { useCallback, useEffect, useState } from "react";
import { announceExceptionChange } from "../stores/exception-changes";
import { ExceptionForm } from "./exception-form";
import {
  type ExceptionList,
  type StoredException,
  loadExceptions,
  readCachedExceptions,
  removeException,
  removeRejectedExceptions,
  setExceptionEnabled,
} from "../stores/exception-store";
import { appliesNow, describeExpiry, describeTraffic, exceptionTitle, isExpired } from "../models/exception-text";
import { publicSpaceCapError } from "../../exceptions/exception-fields";
import { readNetworkOrNull } from "../reading/kill-switch-reading";
import { summarizeNetwork } from "../reading/network-reading";
import { loadNetworkNames, networkName } from "../stores/network-names";
import { type NetworkSummary, readCachedSnapshot } from "../stores/snapshot-cache";
import { ACTION_TITLES } from "../../words/actions";
import { OUTCOMES } from "../../words/messages";
import { EXCEPTION_STATE_NAMES } from "../../words/states";

export interface ExceptionGroup {
  scope: string;
  title: string;
  exceptions: StoredException[];
}

/** All networks first, then this network, then the others by name. */
export function groupExceptions(
  exceptions: readonly StoredException[],
  current: Pick<NetworkSummary, "id" | "label"> | null,
  names: Record<string, string>,
): ExceptionGroup[] {
  const currentNetworkId = current?.id ?? null;
  const byScope = new Map<string, StoredException[]>();
  for (const e of exceptions) byScope.set(e.scope, [...(byScope.get(e.scope) ?? []), e]);
  const title = (scope: string) =>
    scope === "all"
      ? "All Networks"
      : scope === currentNetworkId
        ? `This Network · ${current?.label ?? networkName(scope, names)}`
        : networkName(scope, names);
  const rank = (scope: string) => (scope === "all" ? 0 : scope === currentNetworkId ? 1 : 2);
  return [...byScope.entries()]
    .map(([scope, list]) => ({ scope, title: title(scope), exceptions: list }))
    .sort((a, b) => rank(a.scope) - rank(b.scope) || a.title.localeCompare(b.title));
}

function accessories(e: StoredException, network: NetworkSummary | null, now: Date): List.Item.Accessory[] {
  const result: List.Item.Accessory[] = [];
  const expiry = describeExpiry(e, now);
  if (expiry && !isExpired(e, now)) result.push({ text: expiry, icon: Icon.Clock });
  if (!e.enabled) result.push({ tag: { value: EXCEPTION_STATE_NAMES.off, color: Color.SecondaryText } });
  else if (isExpired(e, now))
    result.push({ tag: { value: EXCEPTION_STATE_NAMES.expired, color: Color.SecondaryText } });
  else if (appliesNow(e, network, now))
    result.push({ tag: { value: EXCEPTION_STATE_NAMES.appliesNow, color: Color.Green } });
  return result;
}

/** Manage Exceptions: grouped by network, what applies right now, toggle, edit, delete (applied when on). */
export function ExceptionListView() {
  const [list, setList] = useState<ExceptionList>(readCachedExceptions);
  const [names, setNames] = useState<Record<string, string>>({});
  const [network, setNetwork] = useState<NetworkSummary | null>(readCachedSnapshot()?.network ?? null);
  const [isLoading, setIsLoading] = useState(true);

  const reload = useCallback(async () => {
    setIsLoading(true);
    try {
      const [exceptions, networkNames, state] = await Promise.all([
        loadExceptions(),
        loadNetworkNames(),
        readNetworkOrNull(),
      ]);
      setList(exceptions);
      setNames(networkNames);
      if (state) setNetwork(summarizeNetwork(state));
    } catch (error) {
      await showFailureToast(error, { title: "Could Not Read the Exceptions" });
    } finally {
      setIsLoading(false);
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  async function change(done: string, action: () => Promise<ExceptionList>): Promise<void> {
    try {
      setList(await action());
      await announceExceptionChange(done);
    } catch (error) {
      await showFailureToast(error, { title: `${done}, Not Applied` });
    }
    await reload();
  }

  async function toggle(e: StoredException): Promise<void> {
    const overCap = e.enabled ? undefined : publicSpaceCapError(e.address, e.id, list.exceptions);
    if (overCap) {
      await showFailureToast(new Error(overCap), { title: "Exception Not Enabled" });
      return;
    }
    await change(e.enabled ? OUTCOMES.exceptionDisabled : OUTCOMES.exceptionEnabled, () =>
      setExceptionEnabled(e.id, !e.enabled),
    );
  }

  async function remove(e: StoredException): Promise<void> {
    const confirmed = await confirmAlert({
      title: `Delete “${exceptionTitle(e)}”?`,
      message: `${describeTraffic(e)} to ${e.address} will be blocked again while the kill switch is on.`,
      primaryAction: { title: "Delete", style: Alert.ActionStyle.Destructive },
    });
    if (confirmed) await change(OUTCOMES.exceptionDeleted, () => removeException(e.id));
  }

  const now = new Date();
  const addForm = <ExceptionForm network={network} networkNames={names} onSaved={() => void reload()} />;

  return (
    <List isLoading={isLoading} searchBarPlaceholder="Search exceptions">
      <List.EmptyView
        title="No Exceptions"
        description="Everything outside the VPN is blocked while the kill switch is on. Add an exception for a printer or a NAS."
        icon={Icon.Shield}
        actions={
          <ActionPanel>
            <Action.Push title={ACTION_TITLES.addException} icon={Icon.Plus} target={addForm} />
          </ActionPanel>
        }
      />
      {groupExceptions(list.exceptions, network, names).map((group) => (
        <List.Section key={group.scope} title={group.title}>
          {group.exceptions.map((e) => (
            <List.Item
              key={e.id}
              title={exceptionTitle(e)}
              subtitle={e.label ? `${e.address} · ${describeTraffic(e)}` : describeTraffic(e)}
              icon={
                e.enabled && !isExpired(e, now) ? { source: Icon.CheckCircle, tintColor: Color.Green } : Icon.Circle
              }
              keywords={[e.address, e.label]}
              accessories={accessories(e, network, now)}
              actions={
                <ActionPanel>
                  <Action
                    title={e.enabled ? ACTION_TITLES.disableException : ACTION_TITLES.enableException}
                    icon={e.enabled ? Icon.Circle : Icon.CheckCircle}
                    onAction={() => toggle(e)}
                  />
                  <Action.Push
                    title={ACTION_TITLES.editException}
                    icon={Icon.Pencil}
                    shortcut={Keyboard.Shortcut.Common.Edit}
                    target={
                      <ExceptionForm
                        exception={e}
                        network={network}
                        networkNames={names}
                        onSaved={() => void reload()}
                      />
                    }
                  />
                  <Action.Push
                    title={ACTION_TITLES.addException}
                    icon={Icon.Plus}
                    shortcut={Keyboard.Shortcut.Common.New}
                    target={addForm}
                  />
                  <Action
                    title={ACTION_TITLES.deleteException}
                    icon={Icon.Trash}
                    style={Action.Style.Destructive}
                    shortcut={Keyboard.Shortcut.Common.Remove}
                    onAction={() => remove(e)}
                  />
                </ActionPanel>
              }
            />
          ))}
        </List.Section>
      ))}
      {list.fileError && (
        <List.Section title="Settings File Unreadable (Nothing Applied or Changed)">
          <List.Item title={list.fileError} icon={{ source: Icon.Warning, tintColor: Color.Red }} />
        </List.Section>
      )}
      {list.rejected.length > 0 && (
        <List.Section title="Unreadable Entries (Not Applied)">
          {list.rejected.map((entry, index) => (
            <List.Item
              key={`rejected-${index}`}
              title={entry.reason}
              icon={{ source: Icon.Warning, tintColor: Color.Orange }}
              actions={
                <ActionPanel>
                  <Action
                    title="Delete Unreadable Entries"
                    icon={Icon.Trash}
                    style={Action.Style.Destructive}
                    onAction={() => change("Unreadable Entries Deleted", removeRejectedExceptions)}
                  />
                </ActionPanel>
              }
            />
          ))}
        </List.Section>
      )}
    </List>
  );
}
