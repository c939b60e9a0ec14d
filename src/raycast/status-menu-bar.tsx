import { Color, Icon, LaunchType, MenuBarExtra, launchCommand, openExtensionPreferences, showHUD } from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { CAPTIVE_PORTAL_MINUTES, allowCaptivePortal } from "./captive-portal";
import { applyExceptionChange, describeExceptionChange } from "./exception-changes";
import { setExceptionEnabled } from "./exception-store";
import { type MenuBarExceptionItem, buildMenuBarModel } from "./menu-bar-model";
import { readPreferences } from "./preferences";
import { useKillSwitchStatus } from "./use-kill-switch-status";
import { runVerifyRules } from "./verify-rules";

/** Runs another command of the extension as if the user had picked it (Enable, Disable, Add Exception...). */
async function open(name: string): Promise<void> {
  try {
    await launchCommand({ name, type: LaunchType.UserInitiated });
  } catch (error) {
    await showFailureToast(error, { title: "Could Not Open the Command" });
  }
}

/**
 * The Kill Switch Status menu-bar command. A background run only redraws: everything that can prompt or
 * show a HUD happens in an item's onAction, that is after a click.
 */
export function StatusMenuBar() {
  const { snapshot, exceptions, isLoading, refresh } = useKillSwitchStatus();
  const model = buildMenuBarModel({
    snapshot,
    exceptions: exceptions.exceptions,
    rejectedExceptions: exceptions.rejected.length,
    now: new Date(),
    showStateTitle: readPreferences().showStateInMenuBar === true,
  });

  async function toggle(item: MenuBarExceptionItem): Promise<void> {
    try {
      await setExceptionEnabled(item.id, !item.enabled);
      const result = await applyExceptionChange();
      const { title } = describeExceptionChange(result, `${item.title} ${item.enabled ? "Blocked" : "Allowed"}`);
      await showHUD(title);
    } catch (error) {
      await showFailureToast(error, { title: "Could Not Change the Exception" });
    }
    await refresh();
  }

  async function after(action: () => Promise<void>): Promise<void> {
    await action();
    await refresh();
  }

  return (
    <MenuBarExtra
      icon={{ source: model.icon, tintColor: Color.PrimaryText }}
      title={model.title}
      tooltip={model.tooltip}
      isLoading={isLoading}
    >
      <MenuBarExtra.Section>
        <MenuBarExtra.Item title={model.headline} />
        {model.notes.map((note) => (
          <MenuBarExtra.Item key={note} title={note} icon={Icon.Info} />
        ))}
        {model.captivePortalTimeLeft && (
          <MenuBarExtra.Item title={`Captive Portal Open · ${model.captivePortalTimeLeft} left`} icon={Icon.Clock} />
        )}
        {model.checked && <MenuBarExtra.Item title={model.checked} />}
      </MenuBarExtra.Section>
      <MenuBarExtra.Section title="VPN">
        {model.vpn.map((line) => (
          <MenuBarExtra.Item key={`${line.title}:${line.subtitle ?? ""}`} title={line.title} subtitle={line.subtitle} />
        ))}
      </MenuBarExtra.Section>
      <MenuBarExtra.Section title={`Network: ${model.networkTitle}`}>
        {model.network.map((line) => (
          <MenuBarExtra.Item key={line.title} title={line.title} subtitle={line.subtitle} />
        ))}
      </MenuBarExtra.Section>
      <MenuBarExtra.Section title="Exceptions Here">
        {model.exceptions.length === 0 && <MenuBarExtra.Item title="None for this network" />}
        {model.exceptions.map((item) => (
          <MenuBarExtra.Item
            key={item.id}
            title={item.title}
            subtitle={item.subtitle}
            icon={item.enabled ? Icon.CheckCircle : Icon.Circle}
            tooltip={item.enabled ? "Allowed: click to block it again" : "Blocked: click to allow it"}
            onAction={() => toggle(item)}
          />
        ))}
      </MenuBarExtra.Section>
      <MenuBarExtra.Section>
        {model.canEnable && (
          <MenuBarExtra.Item
            title="Enable Kill Switch"
            icon={Icon.Shield}
            onAction={() => open("enable-kill-switch")}
          />
        )}
        {model.canDisable && (
          <MenuBarExtra.Item
            title="Disable Kill Switch"
            icon={Icon.Power}
            onAction={() => open("disable-kill-switch")}
          />
        )}
        <MenuBarExtra.Item title="Add Exception…" icon={Icon.Plus} onAction={() => open("add-exception")} />
        <MenuBarExtra.Item title="Manage Exceptions…" icon={Icon.List} onAction={() => open("manage-exceptions")} />
        {model.canOpenCaptivePortal &&
          CAPTIVE_PORTAL_MINUTES.map((minutes) => (
            <MenuBarExtra.Item
              key={minutes}
              title={`Allow Captive Portal for ${minutes} Minutes`}
              icon={Icon.Wifi}
              onAction={() => after(() => allowCaptivePortal(minutes))}
            />
          ))}
        {model.canDisable && (
          <MenuBarExtra.Item
            title="Verify Rules"
            icon={Icon.CheckList}
            onAction={() => after(() => runVerifyRules())}
          />
        )}
        <MenuBarExtra.Item title="Open Preferences" icon={Icon.Gear} onAction={() => void openExtensionPreferences()} />
      </MenuBarExtra.Section>
    </MenuBarExtra>
  );
}
