import { LocalStorage } from "@raycast/api";
import { describeNetworkId } from "../models/exception-text";

/** Wi-Fi names of the networks exceptions were made for, by network id: macOS may not tell them later. */
const NETWORK_NAMES_KEY = "network-names";

export async function loadNetworkNames(): Promise<Record<string, string>> {
  const text = await LocalStorage.getItem<string>(NETWORK_NAMES_KEY);
  if (typeof text !== "string") return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(
      Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
    );
  } catch {
    return {};
  }
}

export async function rememberNetworkName(id: string, name: string): Promise<void> {
  const names = await loadNetworkNames();
  if (names[id] === name) return;
  await LocalStorage.setItem(NETWORK_NAMES_KEY, JSON.stringify({ ...names, [id]: name }));
}

/** The name people know a network by: its Wi-Fi name when it was seen, else its subnet and gateway. */
export function networkName(id: string, names: Record<string, string>): string {
  return names[id] ?? describeNetworkId(id);
}
