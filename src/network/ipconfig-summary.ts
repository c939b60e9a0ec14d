export interface IpconfigSummary {
  /** `WiFi`, `Ethernet`, ... */
  interfaceType: string | null;
  linkActive: boolean | null;
  /** The Wi-Fi name; null when absent or redacted. */
  ssid: string | null;
  /** macOS 15.6+ prints `SSID : <redacted>` without Location permission. */
  ssidRedacted: boolean;
  /**
   * The Wi-Fi security mode in upper case (`WPA2_PSK`); null when absent or not one plain word. macOS redacts
   * the name but still prints this (15.6 `ipconfig getsummary`, 26 `sudo wdutil info`).
   */
  security: string | null;
}

/** A security mode as ipconfig prints it: one word of letters, digits and underscores. */
const SECURITY_MODE = /^[A-Za-z0-9_]{1,40}$/;

const REDACTED = "<redacted>";

/**
 * Reads the top-level keys of `ipconfig getsummary <if>`. Nesting adds two spaces per level and wrapped long
 * lines continue at column 0, so a key indented by exactly two spaces is a top-level one; this also works on
 * output whose head was cut off.
 */
export function parseIpconfigSummary(text: string): IpconfigSummary {
  const keys = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = line.match(/^ {2}([A-Za-z][A-Za-z0-9-]*) : (.*)$/);
    if (match) keys.set(match[1], match[2].trim());
  }
  const ssid = keys.get("SSID");
  const linkActive = keys.get("LinkStatusActive");
  const security = keys.get("Security");
  return {
    interfaceType: keys.get("InterfaceType") || null,
    linkActive: linkActive === "TRUE" ? true : linkActive === "FALSE" ? false : null,
    ssid: ssid && ssid !== REDACTED ? ssid : null,
    ssidRedacted: ssid === REDACTED,
    security: security && SECURITY_MODE.test(security) ? security.toUpperCase() : null,
  };
}
