/**
 * An ISP's PPP link is not the VPN: on PPPoE, when the VPN drops and the default route moves to ppp0, the rules
 * are blocking mode and nothing leaves through ppp0. A host route the network pushes for the probe address does
 * not put a connected VPN into blocking mode.
 */
import { describe, expect, it } from "vitest";
import { writeSnapshotDirectory } from "../../src/network/snapshot";
import type { NetworkSnapshot } from "../../src/network/snapshot";
import { L2TP_UP, PPPOE_VPN_DROPPED, PROBE_HOST_ROUTE } from "../fakes/ppp-networks";
import { temporaryDirectory } from "../temporary-directory";
import { runKillswitch } from "./cli-harness";

async function snapshotDir(snapshot: NetworkSnapshot): Promise<string> {
  const dir = temporaryDirectory("killswitch-ppp-");
  await writeSnapshotDirectory(dir, snapshot);
  return dir;
}

const explainOut = (dir: string, link: string, proto: string, to: string, port: string) =>
  runKillswitch(["explain", "--snapshot", dir, "--out", "--if", link, "--proto", proto, "--to", to, "--port", port]);

describe("a ppp link", () => {
  it("on PPPoE with the VPN dropped and the default route on ppp0: blocking mode, nothing out of ppp0", async () => {
    const dir = await snapshotDir(PPPOE_VPN_DROPPED);
    const preview = await runKillswitch(["preview", "--snapshot", dir]);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain("Blocking mode: no VPN tunnel is up");
    expect(preview.stdout).not.toContain("everything inside ppp0");
    expect(preview.stdout).not.toMatch(/pass [^\n]*on ppp0/);
    expect(preview.stdout).toContain("ppp0 (203.0.113.45), carries the default route but is not taken for the VPN");
    const explain = await explainOut(dir, "ppp0", "tcp", "93.184.216.34", "80");
    expect(explain.stderr).toBe("");
    expect(explain.stdout).toContain("Verdict:  BLOCK");
  });

  it("on macOS's own L2TP VPN (a connected service accounts for ppp0): the tunnel", async () => {
    const dir = await snapshotDir(L2TP_UP);
    const preview = await runKillswitch(["preview", "--snapshot", dir]);
    expect(preview.stdout).toContain("Allowed: everything inside ppp0");
    const explain = await explainOut(dir, "ppp0", "tcp", "93.184.216.34", "80");
    expect(explain.stdout).toContain("Verdict:  PASS");
  });
});

describe("a host route for the probe address", () => {
  it("leaves the connected VPN the tunnel: not blocking mode", async () => {
    const dir = await snapshotDir(PROBE_HOST_ROUTE);
    const preview = await runKillswitch(["preview", "--snapshot", dir]);
    expect(preview.stdout).toContain("Allowed: everything inside utun4");
    expect(preview.stdout).not.toContain("Blocking mode");
    const explain = await explainOut(dir, "utun4", "tcp", "93.184.216.34", "443");
    expect(explain.stdout).toContain("Verdict:  PASS");
  });
});
