import { runEnableKillSwitch } from "./raycast/enable-command";

export default async function Command() {
  await runEnableKillSwitch();
}
