import { runDisableKillSwitch } from "./raycast/actions/removal-commands";

export default async function Command() {
  await runDisableKillSwitch();
}
