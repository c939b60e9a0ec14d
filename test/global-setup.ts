/**
 * One temporary directory for the whole run: every test process gets it as TMPDIR, and the run fails when
 * anything is left in it at the end (a fake Mac not cleaned up, a root script's work folder, a test's folder).
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  SERVER_BUNDLE_VARIABLE,
  SHIM_BINARY_VARIABLE,
  buildServerBundle,
  buildShimBinary,
} from "./fakes/server-process";

const MARKER = "VPN_KILL_SWITCH_TEST_TMPDIR";

export default function setup(): () => Promise<void> {
  // Each test project runs the global setup; the first one owns the directory.
  if (process.env[MARKER]) return async () => {};
  const directory = mkdtempSync(join(tmpdir(), "vpn-kill-switch-tests-"));
  // Beside the directory checked below, which must be empty at the end; removed with it.
  const bundles = mkdtempSync(join(tmpdir(), "vpn-kill-switch-tests-bundles-"));
  process.env[SERVER_BUNDLE_VARIABLE] = buildServerBundle(bundles);
  process.env[SHIM_BINARY_VARIABLE] = buildShimBinary(bundles);
  process.env[MARKER] = directory;
  process.env.TMPDIR = directory;
  return async () => {
    rmSync(bundles, { recursive: true, force: true });
    const left = readdirSync(directory);
    rmSync(directory, { recursive: true, force: true });
    if (left.length > 0) {
      process.exitCode = 1; // vitest reports an error thrown here, but does not fail the run for it
      throw new Error(`the tests left ${left.length} entries behind in ${directory}: ${left.join(", ")}`);
    }
  };
}
