/**
 * Raycast says what the words module says: its commands' titles in package.json, and the menu bar's state, first
 * line and every action in each state. A title written into a command or a menu item by hand fails here.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import Command from "../../src/kill-switch-status";
import { COMMANDS } from "../../src/raycast/commands";
import { KILL_SWITCH_STATES } from "../../src/raycast/models/kill-switch-state";
import { CAPTIVE_PORTAL_MINUTES } from "../../src/policy/captive-portal";
import { ACTION_TITLES, asksMore, captivePortalTitle } from "../../src/words/actions";
import { STATE_HEADLINES, STATE_NAMES } from "../../src/words/states";
import { LaunchType, environment, raycast, resetRaycast } from "../mocks/raycast-api";
import { VPN_DOWN, VPN_UP, lifecycle, networkReader, resetSpies, statusFor, statusNetwork } from "../raycast/helpers";
import { all, one, render } from "../raycast/render";

vi.mock("../../src/lifecycle", async (original) =>
  (await import("../raycast/helpers")).withLifecycleSpies(await original()),
);
vi.mock("../../src/raycast/reading/network-reading", async (original) =>
  (await import("../raycast/helpers")).withNetworkSpy(await original()),
);

const MANIFEST = JSON.parse(readFileSync(resolve(__dirname, "../../package.json"), "utf8")) as {
  commands: { name: string; title: string }[];
};

/** Every title an action may have: the words', and those that ask more first ("Add Exception…"). */
const ACTION_WORDS = new Set([
  ...Object.values(ACTION_TITLES).flatMap((title) => [title, asksMore(title)]),
  ...CAPTIVE_PORTAL_MINUTES.map(captivePortalTitle),
]);

beforeEach(() => {
  resetRaycast();
  resetSpies();
  environment.launchType = LaunchType.Background;
});

describe("Raycast's words", () => {
  it("names each command in package.json by its action's title", () => {
    const byName = Object.fromEntries(Object.entries(COMMANDS).map(([action, name]) => [name, action]));
    expect(MANIFEST.commands.map((command) => [command.name, command.title])).toEqual(
      MANIFEST.commands.map((command) => [
        command.name,
        ACTION_TITLES[byName[command.name] as keyof typeof ACTION_TITLES],
      ]),
    );
  });

  it.each(KILL_SWITCH_STATES)(
    "shows %s in the menu bar with the state's words and the actions' titles",
    async (state) => {
      raycast.preferences = { showStateInMenuBar: true };
      networkReader.readStatusNetwork.mockResolvedValue(statusNetwork(state === "protected" ? VPN_UP : VPN_DOWN));
      lifecycle.getKillSwitchStatus.mockResolvedValue(statusFor(state));
      const renderer = await render(<Command />);
      expect(one(renderer, "MenuBarExtra").props.title).toBe(STATE_NAMES[state]);
      expect(all(renderer, "MenuBarExtra.Item")[0].props.title).toBe(STATE_HEADLINES[state]);
      // The last section holds the actions.
      const sections = all(renderer, "MenuBarExtra.Section");
      const actions = sections[sections.length - 1]
        .findAll((node) => String(node.type) === "MenuBarExtra.Item")
        .map((node) => String(node.props.title));
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((title) => !ACTION_WORDS.has(title))).toEqual([]);
    },
  );
});
