import { Color, Icon, type Image } from "@raycast/api";
import type { KillSwitchState } from "../../lifecycle/status";

/**
 * Each state's icon: a shape of its own, tinted where the colour carries news. Protected, like the menu bar's
 * other quiet icons, Off and Unknown stay untinted: Raycast draws them in the menu bar's own colour (a fixed
 * text colour would vanish on a dark menu bar).
 */
const STATE_ICONS: Record<KillSwitchState, Image> = {
  protected: { source: Icon.Shield },
  blocking: { source: Icon.Hourglass, tintColor: Color.Yellow },
  "safe-mode": { source: Icon.Lock, tintColor: Color.Orange },
  unverified: { source: Icon.QuestionMarkCircle, tintColor: Color.Yellow },
  "watchdog-stopped": { source: Icon.Heartbeat, tintColor: Color.Orange },
  "not-protected": { source: Icon.Warning, tintColor: Color.Red },
  off: { source: Icon.CircleDisabled },
  unknown: { source: Icon.EyeDisabled },
};

export function stateIcon(state: KillSwitchState): Image {
  return STATE_ICONS[state];
}
