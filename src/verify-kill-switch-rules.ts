import { runVerifyRules } from "./raycast/actions/verify-rules";

export default async function Command() {
  await runVerifyRules();
}
