// Generated from killswitch-root.sh by scripts/generate-root-script.mjs (run by `npm install`): edit the .sh
// file, then run `node scripts/generate-root-script.mjs`.

/** The file name of the root script among the extension's assets. */
export const ROOT_SCRIPT_FILE_NAME = "killswitch-root.sh";

/** SHA-256 of the root script this build was made with: nothing else is ever run as root. */
export const ROOT_SCRIPT_SHA256 = "e9fe5d4879c104ada4c0b05d5da4708b09b691a015b52048cff5c397b169f314";

/** The names the root script defines (`KS_…=` at its top), so TypeScript and the script never disagree. */
export const ROOT_SCRIPT_CONSTANTS = {
  KS_ID: "com.vpnkillswitch.raycast",
  KS_ANCHOR: "com.apple/000.vpnkillswitch",
  KS_STATE_DIR: "/Library/Application Support/com.vpnkillswitch.raycast",
  KS_LAUNCH_DAEMON: "/Library/LaunchDaemons/com.vpnkillswitch.raycast.plist",
  KS_WATCHDOG_INTERVAL: "10",
  KS_VERSION: "2",
} as const;
