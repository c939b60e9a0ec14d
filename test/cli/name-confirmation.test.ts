/**
 * preview, verify and explain judge host names as Enable does: an answer the network's DNS gave to a public address
 * nobody confirmed is left out of the rules they show, with a note; a confirmed one, or a private one, is passed.
 * The sample's resolver #1 is the VPN's, so the snapshot here moves it to the router on en0; the lookup stands in
 * for that resolver's answers.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import { writeSnapshotDirectory } from "../../src/network/snapshot";
import { temporaryDirectory } from "../temporary-directory";
import { runKillswitch } from "./cli-harness";

/** The sample with the VPN down: names go to the router's resolver, which the network runs. */
async function vpnDownSnapshot(dir: string): Promise<string> {
  const snapshot = join(dir, "snapshot");
  mkdirSync(snapshot, { recursive: true });
  await writeSnapshotDirectory(snapshot, {
    ...SAMPLE_SNAPSHOT,
    scutilDns: "DNS configuration\nresolver #1\n  nameserver[0] : 192.168.1.1\n  if_index : 11 (en0)\n",
  });
  return snapshot;
}

const lookup = async (host: string) => (host === "nas.example.net" ? ["93.184.216.34"] : ["192.168.1.60"]);

function config(dir: string, settings: object): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(settings));
  return path;
}

describe("host names in preview, verify and explain", () => {
  it("leave out a public answer from the network's DNS until it is confirmed, and say so", async () => {
    const dir = temporaryDirectory("cli-names-");
    const snapshot = await vpnDownSnapshot(dir);
    const settings = { exceptions: [{ address: "nas.example.net", protocol: "tcp", port: 443, label: "nas" }] };
    const unconfirmed = config(dir, settings);
    const preview = await runKillswitch(["preview", "--snapshot", snapshot, "--config", unconfirmed], { lookup });
    expect(preview.code).toBe(0);
    expect(preview.stderr).toContain(
      'killswitch preview: note: exceptions[0].address: "nas.example.net" resolved outside the VPN to 93.184.216.34: not passed until confirmed (--confirm-addresses nas.example.net=93.184.216.34)',
    );
    expect(preview.stdout).not.toContain("93.184.216.34 port 443");
    const explain = ["explain", "--out", "--if", "en0", "--proto", "tcp", "--to", "93.184.216.34", "--port", "443"];
    const blocked = await runKillswitch([...explain, "--snapshot", snapshot, "--config", unconfirmed], { lookup });
    expect(blocked.stdout).toContain("Verdict:  BLOCK");
    const verify = await runKillswitch(["verify", "--snapshot", snapshot, "--config", unconfirmed], { lookup });
    expect(verify.code).toBe(0);
    expect(verify.stderr).toContain('killswitch verify: note: exceptions[0].address: "nas.example.net"');

    // Confirmed in the settings: passed, on the exception's protocol and port.
    const confirmed = config(dir, { ...settings, confirmedAddresses: { "nas.example.net": ["93.184.216.34"] } });
    const passed = await runKillswitch([...explain, "--snapshot", snapshot, "--config", confirmed], { lookup });
    expect(passed.stdout).toContain("Verdict:  PASS");
    expect(passed.stderr).toBe("");
  });

  it("pass a private answer without asking: it stays on the link", async () => {
    const dir = temporaryDirectory("cli-names-");
    const snapshot = await vpnDownSnapshot(dir);
    const printer = config(dir, { exceptions: [{ address: "printer.example.net", protocol: "tcp", port: 631 }] });
    const run = await runKillswitch(["preview", "--snapshot", snapshot, "--config", printer], { lookup });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("to 192.168.1.60 port 631");
  });
});
