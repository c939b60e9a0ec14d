import type { LaunchProps } from "@raycast/api";
import { runEnableKillSwitch } from "./raycast/actions/enable-command";

/** Also run by the menu bar and the exception views, with a launch context saying which action to take. */
export default async function Command(props: LaunchProps) {
  await runEnableKillSwitch(props.launchContext);
}
