import { runUninstallKillSwitch } from "./raycast/removal-commands";

export default async function Command() {
  await runUninstallKillSwitch();
}
