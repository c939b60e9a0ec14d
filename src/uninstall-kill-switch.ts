import { runUninstallKillSwitch } from "./raycast/actions/removal-commands";

export default async function Command() {
  await runUninstallKillSwitch();
}
