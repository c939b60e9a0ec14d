import { runDisableKillSwitch } from "./raycast/removal-commands";

export default async function Command() {
  await runDisableKillSwitch();
}
