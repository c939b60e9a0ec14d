import { Icon, LaunchType, MenuBarExtra, launchCommand, openExtensionPreferences, showHUD } from "@raycast/api";
import { COMMANDS } from "../commands";
import { showFailureToast } from "@raycast/utils";
import { applyExceptionChange } from "../stores/exception-changes";
import { setExceptionEnabled } from "../stores/exception-store";
import { CAPTIVE_PORTAL_MINUTES, ENABLE_COMMAND, launchEnableCommand } from "../actions/launch-context";
import { type MenuBarExceptionItem, buildMenuBarModel } from "../models/menu-bar-model";
import { readPreferences } from "../stores/preferences";
import { useKillSwitchStatus } from "../reading/use-kill-switch-status";
import { ACTION_TITLES, asksMore, captivePortalTitle } from "../../words/actions";
import { CAPTIVE_PORTAL_STEPS, FAILURES, exceptionToggled } from "../../words/messages";
import { stateIcon } from "./state-icon";

/** No-view commands with code this one need not load: the rule checker, the uninstaller. */
export const VERIFY_COMMAND = COMMANDS.verify;
export const UNINSTALL_COMMAND = COMMANDS.uninstall;

/** Starts another command of the extension as if the user had picked it; says so when Raycast refuses. */
async function launch(start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    await showFailureToast(error, { title: "Could Not Open the Command" });
  }
}

const open = (name: string) => launch(() => launchCommand({ name, type: LaunchType.UserInitiated }));

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
    const done = exceptionToggled(item.title, !item.enabled);
    try {
      await setExceptionEnabled(item.id, !item.enabled);
      // When the kill switch is on, the Enable command reloads the rules and shows the HUD.
      if ((await applyExceptionChange(done)) === "saved") await showHUD(done);
    } catch (error) {
      await showFailureToast(error, { title: FAILURES.exception });
    }
    await refresh();
  }

  return (
    <MenuBarExtra icon={stateIcon(model.state)} title={model.title} tooltip={model.tooltip} isLoading={isLoading}>
      <MenuBarExtra.Section>
        <MenuBarExtra.Item title={model.headline} icon={stateIcon(model.state)} />
        <MenuBarExtra.Item title={model.meaning} />
        {model.reason && <MenuBarExtra.Item title={model.reason} />}
        {model.notes.map((note) => (
          <MenuBarExtra.Item key={note} title={note} icon={Icon.Info} />
        ))}
        {model.captivePortalTimeLeft && (
          <MenuBarExtra.Item
            title={`Captive Portal Open · ${model.captivePortalTimeLeft} left`}
            tooltip={CAPTIVE_PORTAL_STEPS}
            icon={Icon.Clock}
          />
        )}
        {model.checked && <MenuBarExtra.Item title={model.checked} />}
        {model.allowed.map((line) => (
          <MenuBarExtra.Item key={line} title={line} icon={Icon.ArrowRightCircle} />
        ))}
        {model.blocked && (
          <MenuBarExtra.Item
            title={model.blocked}
            icon={Icon.XMarkCircle}
            tooltip="See which apps tried to get out outside the VPN"
            onAction={() => open(COMMANDS.blockedTraffic)}
          />
        )}
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
          <MenuBarExtra.Item title={ACTION_TITLES.enable} icon={Icon.Shield} onAction={() => open(ENABLE_COMMAND)} />
        )}
        {model.canDisable && (
          <MenuBarExtra.Item title={ACTION_TITLES.disable} icon={Icon.Power} onAction={() => open(COMMANDS.disable)} />
        )}
        <MenuBarExtra.Item
          title={asksMore(ACTION_TITLES.addException)}
          icon={Icon.Plus}
          onAction={() => open(COMMANDS.addException)}
        />
        <MenuBarExtra.Item
          title={asksMore(ACTION_TITLES.manageExceptions)}
          icon={Icon.List}
          onAction={() => open(COMMANDS.manageExceptions)}
        />
        {model.canOpenCaptivePortal &&
          CAPTIVE_PORTAL_MINUTES.map((minutes) => (
            <MenuBarExtra.Item
              key={minutes}
              title={captivePortalTitle(minutes)}
              tooltip={`DNS and web outside the VPN for ${minutes} minutes. ${CAPTIVE_PORTAL_STEPS}.`}
              icon={Icon.Wifi}
              onAction={() =>
                launch(() => launchEnableCommand({ reason: "captive-portal", captivePortalMinutes: minutes }))
              }
            />
          ))}
        {model.canCloseCaptivePortal && (
          <MenuBarExtra.Item
            title={ACTION_TITLES.closeCaptivePortal}
            icon={Icon.XMarkCircle}
            onAction={() => launch(() => launchEnableCommand({ reason: "close-captive-portal" }))}
          />
        )}
        {model.canDisable && (
          <MenuBarExtra.Item title={ACTION_TITLES.verify} icon={Icon.CheckList} onAction={() => open(VERIFY_COMMAND)} />
        )}
        <MenuBarExtra.Item
          title={ACTION_TITLES.openPreferences}
          icon={Icon.Gear}
          onAction={() => void openExtensionPreferences()}
        />
        <MenuBarExtra.Item
          title={asksMore(ACTION_TITLES.uninstall)}
          icon={Icon.Trash}
          onAction={() => open(UNINSTALL_COMMAND)}
        />
      </MenuBarExtra.Section>
    </MenuBarExtra>
  );
}
