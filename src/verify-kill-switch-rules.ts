import { runVerifyRules } from "./raycast/verify-rules";

export default async function Command() {
  await runVerifyRules();
}
