import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync, copyFileSync, mkdirSync, readFileSync } from "node:fs";

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_SNAPSHOT } from "../../src/network/sample-snapshot";
import { writeSnapshotDirectory } from "../../src/network/snapshot";
import { VM_BRIDGE_NOTE, VM_BRIDGED_TO_EN0 } from "../network/bridged-vm";
import { runKillswitch } from "./cli-harness";
import { temporaryDirectory } from "../temporary-directory";

const FIXTURES = join(__dirname, "../fixtures/macos");

function tempDir(): string {
  return temporaryDirectory("killswitch-preview-");
}

/** A snapshot directory made of real outputs: an OpenVPN split tunnel on utun4 (netstat) and scutil --dns. */
function realSnapshotDir(): string {
  const dir = tempDir();
  copyFileSync(
    join(FIXTURES, "netstat/macos_jenkins-infra5209_netstat-rn_openvpn-split-utun4_PARTIAL.txt"),
    join(dir, "netstat-rn.txt"),
  );
  copyFileSync(
    join(FIXTURES, "scutil/scutil-dns_tunnelblick589_after-changes_en0_PARTIAL.txt"),
    join(dir, "scutil-dns.txt"),
  );
  return dir;
}

describe("killswitch preview", () => {
  it("runs with no arguments off macOS, on the embedded sample", async () => {
    const run = await runKillswitch(["preview"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("embedded sample");
    expect(run.stdout).toContain("VPN tunnel      utun4");
    expect(run.stdout).toContain("pass out quick on utun4 all flags any keep state (if-bound)");
    expect(run.stdout).toContain("block return out log (user) quick all");
  });

  it("--json has the documented fields", async () => {
    const run = await runKillswitch(["preview", "--json"]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.network.tunnels[0]).toMatchObject({ name: "utun4", ipv4: expect.any(Array), ipv6: expect.any(Array) });
    expect(out.network.physical[0]).toMatchObject({ name: "en0" });
    expect(out.network.defaultInterface).toBe("utun4");
    expect(out.network.gateway).toMatchObject({ ipv4: "192.168.1.1", interface: "en0" });
    expect(out.network.gateway.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(out.network.endpoints).toEqual(["198.51.100.7"]);
    expect(Array.isArray(out.network.dns)).toBe(true);
    expect(out.network.identity.id).toMatch(/^gw=192\.168\.1\.1,mac=/);
    expect(out.ruleset).toMatch(/\n$/);
    expect(out.verification).toEqual({ passed: true, failures: [] });
  });

  it("says what pf filters and which bridges it cannot see through: the Thunderbolt Bridge, a bridged virtual machine", async () => {
    const sample = (await runKillswitch(["preview"])).stdout;
    expect(sample).toContain(
      "Blocked: everything else this Mac sends or receives, on every interface (including ones that appear later).\n" +
        "Not seen by pf: frames a bridge passes between its members:\n" +
        "  - bridge0 (en1, en2): the Thunderbolt Bridge's built-in ports\n",
    );
    expect(sample).not.toContain("Warning: a virtual machine");
    const dir = tempDir();
    await writeSnapshotDirectory(dir, {
      ...SAMPLE_SNAPSHOT,
      ifconfig: `${SAMPLE_SNAPSHOT.ifconfig ?? ""}${VM_BRIDGED_TO_EN0}`,
    });
    const bridged = await runKillswitch(["preview", "--snapshot", dir]);
    expect(bridged.stdout).toContain(
      "  - bridge0 (en1, en2): the Thunderbolt Bridge's built-in ports\n  - bridge100 (en0, vmenet0)\n" +
        `Warning: ${VM_BRIDGE_NOTE}.\n`,
    );
  });

  it("shows the verification result under the ruleset", async () => {
    const run = await runKillswitch(["preview"]);
    expect(run.stdout).toMatch(/block drop in log \(user\) quick all\n\nVerification: passed/);
  });

  it("--config applies settings: servers, LAN and exceptions", async () => {
    const dir = tempDir();
    const config = join(dir, "settings.json");
    writeFileSync(
      config,
      JSON.stringify({
        vpnServers: ["203.0.113.5:51820/udp"],
        allowLan: true,
        exceptions: [{ address: "192.168.1.20", port: 631, protocol: "tcp", label: "Printer" }],
      }),
    );
    const run = await runKillswitch(["preview", "--config", config]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "pass out quick inet proto udp from any to 203.0.113.5 port 51820 keep state (if-bound)",
    );
    expect(run.stdout).toContain("pass out quick on en0 inet from any to 192.168.1.0/24 flags any keep state");
    expect(run.stdout).toContain(
      "pass out quick inet proto tcp from any to 192.168.1.20 port 631 flags any keep state",
    );
    expect(run.stdout).toContain("Exceptions active here: Printer: 192.168.1.20 tcp port 631");
  });

  it("--snapshot reads a directory of real command output", async () => {
    const run = await runKillswitch(["preview", "--snapshot", realSnapshotDir(), "--json"]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.source).toMatch(/^snapshot /);
    // This OpenVPN tunnel routes only internal networks: Internet traffic still goes out en0.
    expect(out.network.defaultInterface).toBe("en0");
    expect(out.network.gateway).toEqual({ ipv4: "192.168.68.1", mac: "a4:2b:b0:1d:2b:f4", interface: "en0" });
    // No ifconfig output in this snapshot, so the subnet is unknown but the identity still stands.
    expect(out.network.identity.id).toBe("gw=192.168.68.1,mac=a4:2b:b0:1d:2b:f4,net=unknown");
    expect(out.ruleset).toContain("block return out log (user) quick all");
  });

  it.each([
    [["preview", "--bogus"], /preview: Unknown option '--bogus'/],
    [["preview", "--snapshot"], /preview: Option '--snapshot <value>' argument missing/],
    [["preview", "--snapshot", "/no/such/dir"], /Snapshot directory not found: \/no\/such\/dir/],
    [["preview", "--config", "/no/such/file.json"], /config file \/no\/such\/file.json does not exist/],
    [["nonsense"], /unknown command "nonsense"/],
  ])("%j fails with a clear message and prints nothing as if it worked", async (argv, message) => {
    const run = await runKillswitch(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
  });

  it("rejects invalid settings naming the field and value", async () => {
    const dir = tempDir();
    const config = join(dir, "bad.json");
    writeFileSync(config, JSON.stringify({ allowLan: "yes", exceptions: [{ address: "printer!" }] }));
    const run = await runKillswitch(["preview", "--config", config]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain('allowLan: expected boolean, got "yes"');
    expect(run.stderr).toContain('exceptions[0].address: "printer!" is not');
    writeFileSync(config, "{ not json");
    expect((await runKillswitch(["preview", "--config", config])).stderr).toContain("is not valid JSON");
  });

  it("a host name that cannot be resolved stops before building anything", async () => {
    const dir = tempDir();
    const config = join(dir, "host.json");
    writeFileSync(config, JSON.stringify({ vpnServers: ["no-such-host.invalid"] }));
    const run = await runKillswitch(["preview", "--config", config]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain('vpnServers[0]: "no-such-host.invalid" could not be resolved');
  });
});

describe("killswitch snapshot", () => {
  it("refuses to run off macOS", async () => {
    const run = await runKillswitch(["snapshot", tempDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("runs only on macOS");
  });

  it("writes each command's output on macOS (fake system)", async () => {
    const root = tempDir();
    mkdirSync(join(root, "sbin"), { recursive: true });
    const fakeIfconfig = join(root, "sbin/ifconfig");
    writeFileSync(fakeIfconfig, "#!/bin/sh\nprintf 'lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384\\n'\n", {
      mode: 0o755,
    });
    const { createSystemCommands } = await import("../../src/system/commands");
    const out = join(tempDir(), "snap");
    const run = await runKillswitch(["snapshot", out], { platform: "darwin", system: createSystemCommands({ root }) });
    expect(run.code).toBe(0);
    expect(execFileSync("cat", [join(out, "ifconfig.txt")]).toString()).toContain("lo0: flags=8049");
  });
});

describe("the bundled killswitch binary", () => {
  beforeAll(() => {
    execFileSync("node", ["scripts/build-cli.mjs"], { cwd: join(__dirname, "../..") });
  });

  it("runs preview from bin/killswitch.cjs and exits non-zero on bad input", () => {
    const ok = spawnSync("node", ["bin/killswitch.cjs", "preview", "--json"], { cwd: join(__dirname, "../..") });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout.toString()).ruleset).toContain("block drop in log (user) quick all");
    const bad = spawnSync("node", ["bin/killswitch.cjs", "preview", "--nope"], { cwd: join(__dirname, "../..") });
    expect(bad.status).toBe(2);
    expect(bad.stdout.toString()).toBe("");
  });
});

describe("a DHCP route to a site (case 1), through preview and explain", () => {
  /** The embedded sample written out, with the network's host route next to the VPN's own pin. */
  async function caseOneDir(): Promise<string> {
    const dir = tempDir();
    await writeSnapshotDirectory(dir, SAMPLE_SNAPSHOT);
    const routes = readFileSync(join(dir, "netstat-rn.txt"), "utf8").replace(
      /^198\.51\.100\.7\/32 .*$/m,
      (pin) => `${pin}\n93.184.216.34/32   192.168.1.1   UGSc   en0`,
    );
    writeFileSync(join(dir, "netstat-rn.txt"), routes);
    writeFileSync(join(dir, "config.json"), "{}");
    return dir;
  }

  it("preview says what it saw and passes it nowhere; explain blocks it", async () => {
    const dir = await caseOneDir();
    const preview = await runKillswitch(["preview", "--snapshot", dir, "--config", join(dir, "config.json")]);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain("  VPN servers     198.51.100.7\n");
    expect(preview.stdout).toContain(
      "  Not confirmed   93.184.216.34 (named by a host route; 93.184.216.34:443/tcp, used by Safari (pid 812)): not a proved VPN server, not passed until confirmed at Enable",
    );
    expect(preview.stdout).toContain("  - VPN servers: 198.51.100.7 port 1194/udp\n");
    expect(
      preview.stdout.split("\n").filter((line) => line.startsWith("pass") && line.includes("93.184.216.34")),
    ).toEqual([]);
    expect(preview.stdout).toContain("Verification: passed");
    const explain = await runKillswitch([
      "explain",
      "--out",
      "--if",
      "en0",
      "--proto",
      "tcp",
      "--to",
      "93.184.216.34",
      "--port",
      "443",
      "--snapshot",
      dir,
      "--config",
      join(dir, "config.json"),
    ]);
    expect(explain.stdout).toMatch(/^Verdict: +BLOCK/m);
  });
});
