import { LocalStorage } from "@raycast/api";
import * as z from "zod/mini";
import { isIpAddress } from "../../address/ip";
import { fieldsNaming } from "../../policy/name-trust";
import { type Settings, isHostName } from "../../policy/settings";

/** The addresses the user confirmed for host names resolved outside the VPN, kept across Disable and Enable. */
export const CONFIRMED_ADDRESSES_KEY = "confirmed-addresses";

const storedSchema = z.record(
  z.string().check(z.refine((name) => isHostName(name))),
  z.array(z.string().check(z.refine((address) => isIpAddress(address) && !address.includes("%")))),
);

/** What is stored; nothing when it is unreadable (then the user is asked again, never passed unasked). */
export async function loadConfirmedAddresses(): Promise<Record<string, string[]>> {
  const text = await LocalStorage.getItem<string>(CONFIRMED_ADDRESSES_KEY);
  if (typeof text !== "string") return {};
  try {
    const parsed = storedSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** The stored confirmations for the names the settings use now (a removed exception's are left out). */
export function confirmationsFor(settings: Settings, stored: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(stored).filter(([host]) => fieldsNaming(settings, host).length > 0));
}

/** Keeps `answers`: a name's new addresses replace what it had. */
export async function saveConfirmedAddresses(answers: Record<string, readonly string[]>): Promise<void> {
  const next = { ...(await loadConfirmedAddresses()) };
  for (const [host, addresses] of Object.entries(answers)) next[host] = [...addresses];
  await LocalStorage.setItem(CONFIRMED_ADDRESSES_KEY, JSON.stringify(next));
}
