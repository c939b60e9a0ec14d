import { runDisableKillSwitch } from "./raycast/disable-command";

export default async function Command() {
  await runDisableKillSwitch();
}
