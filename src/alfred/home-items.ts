/**
 * The list `ks` shows first, in the menu bar's order: the state (with the menu bar's icon), what to answer for
 * the last Enable, then Enable or Disable, Test, Verify, Allow Captive Portal, Blocked Traffic with its last flows,
 * the exceptions for this network, Add and Manage Exceptions, Uninstall.
 */
import type { KillSwitchStatus } from "../lifecycle/status";
import { CAPTIVE_PORTAL_MINUTES, captivePortalUseful } from "../policy/captive-portal";
import { formatTimeLeft, isExpired, isForNetwork } from "../raycast/models/exception-text";
import { isOn, offersEnable, stateIconFile } from "../raycast/models/kill-switch-state";
import { ACTION_TITLES, captivePortalTitle } from "../words/actions";
import { CAPTIVE_PORTAL_STEPS, nameConfirmationQuestion } from "../words/messages";
import { STATE_NAMES } from "../words/states";
import { type AlfredAction, actionArg, commandLineOf } from "./actions";
import { EXCEPTION_WORDS_HELP, exceptionItem } from "./exception-items";
import { flowItem } from "./flow-items";
import { type AlfredItem, copyModifier, iconPath, nothingTo, problemItem } from "./items";
import type { AlfredReading } from "./reading";

/** How many of the last flows the home list shows; `ks blocked` shows them all. */
export const FLOWS_AT_HOME = 3;

/** An action as an item: ↵ runs it, ⌥↵ copies the terminal command that does the same. */
export function actionItem(uid: string, title: string, subtitle: string, action: AlfredAction): AlfredItem {
  const command = ["killswitch", ...commandLineOf(action).filter((word) => word !== "--json")].join(" ");
  return {
    uid: `action-${uid}`,
    title,
    subtitle,
    arg: actionArg(action),
    valid: true,
    mods: { cmd: nothingTo("Nothing to edit"), alt: copyModifier(command) },
  };
}

/** A view of its own (a form to type, a longer list): ↵ opens it in Alfred. */
export function viewItem(uid: string, title: string, subtitle: string, query: string): AlfredItem {
  return {
    uid: `action-${uid}`,
    title,
    subtitle,
    valid: false,
    autocomplete: query,
    mods: { cmd: nothingTo("Nothing to edit"), alt: nothingTo("Nothing to copy") },
  };
}

function stateItems(status: KillSwitchStatus, lines: string[], now: Date): AlfredItem[] {
  const name = STATE_NAMES[status.state];
  const details = lines.join("\n");
  const items: AlfredItem[] = [
    {
      uid: "state",
      title: name,
      subtitle: status.headline.slice(name.length).replace(/^:\s*/, ""),
      icon: { path: iconPath(stateIconFile(status.state)) },
      valid: false,
      mods: { cmd: nothingTo("Nothing to edit"), alt: copyModifier(details, "the status") },
      text: { copy: details, largetype: details },
    },
  ];
  status.notes
    .slice(0, 3)
    .forEach((note, index) =>
      items.push({ uid: `note-${index}`, title: note, valid: false, text: { copy: note, largetype: note } }),
    );
  const portal = status.captivePortalUntil;
  if (portal && portal.getTime() > now.getTime()) {
    items.push({
      uid: "portal-open",
      title: `Captive Portal Open · ${formatTimeLeft(portal, now)} left`,
      subtitle: "DNS and web pass outside the VPN until then; a root timer closes the window",
      valid: false,
    });
  }
  return items;
}

/** Answers the last Enable stopped for: a VPN server's protocol, names resolved outside the VPN. */
function questionItems(reading: AlfredReading): AlfredItem[] {
  const { servers, names } = reading.questions;
  const items: AlfredItem[] = servers.map((server) => ({
    uid: `answer-${server.address}`,
    title: ACTION_TITLES.setServerProtocol,
    subtitle: `${server.seen} · type: answer ${server.address} udp|tcp PORT, ikev2 or none`,
    valid: false,
    autocomplete: `answer ${server.address} `,
  }));
  if (names.length > 0) {
    const question = nameConfirmationQuestion(names);
    const confirmAddresses = Object.fromEntries(names.map((name) => [name.host, name.addresses]));
    items.push({
      ...actionItem(
        "confirm-names",
        question.title,
        `${names.map((n) => `${n.host} → ${n.addresses.join(", ")}`).join("; ")} · ↵ ${ACTION_TITLES.allowOutsideVpn}`,
        { action: "enable", confirmAddresses },
      ),
      text: { largetype: question.message },
    });
  }
  return items;
}

function actionItems(status: KillSwitchStatus | null, now: Date, vpnUp: boolean): AlfredItem[] {
  const state = status?.state ?? "unknown";
  const portal = status?.captivePortalUntil;
  const portalOpen = isOn(state) && !!portal && portal.getTime() > now.getTime();
  const items: AlfredItem[] = [];
  if (offersEnable(state)) {
    items.push(
      actionItem(
        "enable",
        ACTION_TITLES.enable,
        "Block every packet that does not go through the VPN tunnel · one administrator prompt",
        { action: "enable" },
      ),
    );
  }
  if (state !== "off") {
    items.push(
      actionItem(
        "disable",
        ACTION_TITLES.disable,
        "Remove its rules and let traffic flow normally · one administrator prompt",
        {
          action: "disable",
        },
      ),
    );
  }
  items.push(
    actionItem(
      "test",
      ACTION_TITLES.test,
      "Send a few probes outside the VPN on purpose and see whether pf blocked each · no password",
      {
        action: "test",
      },
    ),
  );
  if (state !== "off") {
    items.push(
      actionItem(
        "verify",
        ACTION_TITLES.verify,
        "Check the rules in force against the settings on this network · no password",
        {
          action: "verify",
        },
      ),
    );
  }
  // Only while blocking: once the VPN is up, a sign-in page has nothing left to unlock.
  if (captivePortalUseful(state, vpnUp) && !portalOpen) {
    for (const minutes of CAPTIVE_PORTAL_MINUTES) {
      items.push(
        actionItem(
          `portal-${minutes}`,
          captivePortalTitle(minutes),
          `DNS and web open outside the VPN · ${CAPTIVE_PORTAL_STEPS} · one administrator prompt`,
          { action: "portal", minutes },
        ),
      );
    }
  }
  if (portalOpen) {
    items.push(
      actionItem(
        "portal-close",
        ACTION_TITLES.closeCaptivePortal,
        "DNS and web blocked outside the VPN again · one administrator prompt",
        { action: "portal-close" },
      ),
    );
  }
  return items;
}

function blockedItems(reading: AlfredReading): AlfredItem[] {
  const title = ACTION_TITLES.blockedTraffic;
  if (!reading.flows.ok)
    return [viewItem("blocked", title, `Cannot read the record: ${reading.flows.problem}`, "blocked ")];
  const flows = reading.flows.value;
  if (flows === null) {
    return [
      viewItem(
        "blocked",
        title,
        "No record: it is kept while the kill switch is on with the Blocked Traffic Log on",
        "blocked ",
      ),
    ];
  }
  if (flows.length === 0)
    return [viewItem("blocked", title, "Nothing has tried to get out outside the VPN", "blocked ")];
  const count = `${flows.length} flow${flows.length === 1 ? "" : "s"}`;
  return [
    viewItem("blocked", title, `${count}, the last first · ↵ shows them all`, "blocked "),
    ...flows.slice(0, FLOWS_AT_HOME).map(flowItem),
  ];
}

function exceptionItems(reading: AlfredReading): AlfredItem[] {
  if (!reading.exceptions.ok) {
    return [
      problemItem(
        ACTION_TITLES.manageExceptions,
        `${reading.exceptions.problem} · fix or remove the file; nothing was changed`,
        "exceptions-problem",
      ),
    ];
  }
  const network = reading.kill.ok ? reading.kill.value.network : null;
  const here = network?.identity?.id ?? null;
  return reading.exceptions.value
    .filter((e) => isForNetwork(e, here) && !isExpired(e, reading.now))
    .map((e) => exceptionItem(e, network, reading.now));
}

/** Whether a VPN tunnel is up now, as the reading saw the network. */
function vpnUpNow(reading: AlfredReading): boolean {
  const network = reading.kill.ok ? reading.kill.value.network : null;
  return !!network && (network.tunnels.length > 0 || network.vpnInterface !== null);
}

export function homeItems(reading: AlfredReading): AlfredItem[] {
  const status = reading.kill.ok ? reading.kill.value.status : null;
  const state = reading.kill.ok
    ? stateItems(reading.kill.value.status, reading.kill.value.lines, reading.now)
    : [
        {
          ...problemItem(
            STATE_NAMES.unknown,
            `${reading.kill.problem} · Disable still removes the kill switch rules`,
            "state",
          ),
          icon: { path: iconPath(stateIconFile("unknown")) },
        },
      ];
  return [
    ...state,
    ...questionItems(reading),
    ...actionItems(status, reading.now, vpnUpNow(reading)),
    ...blockedItems(reading),
    ...exceptionItems(reading),
    viewItem("add", ACTION_TITLES.addException, `Type: add ${EXCEPTION_WORDS_HELP}`, "add "),
    viewItem(
      "manage",
      ACTION_TITLES.manageExceptions,
      "See, toggle, edit and delete the exceptions of every network",
      "exceptions ",
    ),
    viewItem("uninstall", ACTION_TITLES.uninstall, "Remove its rules, its startup watchdog and its files", "uninstall"),
  ];
}
