/**
 * Everything the Raycast commands offer, from Alfred's Script Filter on the fake Mac: items picked as a user picks
 * them (↵ runs the item's arg, ⌘↵ opens Alfred with its words, ⌥↵ copies), the changes made through the same
 * settings file and the same one prompt as the CLI, and seen by it, and the other way round.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AlfredItem, AlfredOutput } from "../../src/alfred/items";
import { NOTIFICATION_TEXT_LIMIT } from "../../src/alfred/run-action";
import { RERUN_SECONDS } from "../../src/alfred/script-filter";
import { validateExceptionForm, wideExceptionQuestion } from "../../src/exceptions/exception-fields";
import { ANCHOR_NAME } from "../../src/lifecycle";
import { CAPTURE_DIRECTORY } from "../../src/privileged/paths";
import { userSettingsPath } from "../../src/settings/settings-file";
import { ACTION_TITLES, captivePortalTitle } from "../../src/words/actions";
import { LEAK_TEST_WHILE_OFF, OUTCOMES, nameConfirmationQuestion } from "../../src/words/messages";
import { runKillswitch } from "../cli/cli-harness";
import { type FakeMac, createFakeMac } from "../fakes/fake-mac";
import { macSnapshot } from "../fakes/networks";
import { readMacosFixture } from "../network/fixtures";
import { MORNING, pflogCapture } from "../pflog/capture-writer";
import { type AlfredUser, alfredUser } from "./alfred-harness";
import { scriptFilterSchema } from "./script-filter-schema";

let mac: FakeMac;
afterEach(() => mac?.cleanup());

/** A user on the fake Mac with these settings, in Alfred and in the terminal, sharing one HOME. */
function user(settings: Record<string, unknown> = {}) {
  const alfred = alfredUser(mac.system);
  const path = userSettingsPath(alfred.home);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(settings));
  return {
    alfred,
    terminal: (argv: string[]) =>
      runKillswitch(argv, { platform: "darwin", system: mac.system, env: { HOME: alfred.home } }),
    exceptions: () => JSON.parse(readFileSync(path, "utf8")).exceptions as Record<string, unknown>[],
  };
}

/** The Script Filter's answer, checked against Alfred's format. */
async function listed(alfred: AlfredUser, query = ""): Promise<AlfredOutput> {
  const output = await alfred.filter(query);
  scriptFilterSchema.parse(output);
  return output;
}

function titled(output: AlfredOutput, title: string): AlfredItem {
  const found = output.items.find((item) => item.title === title);
  if (!found)
    throw new Error(`no item ${JSON.stringify(title)} in ${JSON.stringify(output.items.map((i) => i.title))}`);
  return found;
}

/** ↵ on an item: its arg to the Run Script. */
async function pick(alfred: AlfredUser, item: AlfredItem) {
  expect(item.valid).toBe(true);
  return alfred.run(String(item.arg));
}

const filterRules = () => (mac.readPf().anchors[ANCHOR_NAME]?.filter ?? []).join("\n");

describe("ks add", () => {
  it("adds `ks add 192.168.1.20 tcp 631 printer` for this network, and the terminal lists it", async () => {
    mac = createFakeMac();
    const ana = user();
    const preview = await listed(ana.alfred, "add 192.168.1.20 tcp 631 printer");
    expect(preview.items).toHaveLength(1);
    expect(preview.items[0]).toMatchObject({
      title: ACTION_TITLES.addException,
      subtitle: "printer: 192.168.1.20, TCP 631, this network · ↵ saves it",
    });
    expect(await pick(ana.alfred, preview.items[0])).toEqual({
      title: ACTION_TITLES.addException,
      text: `${OUTCOMES.exceptionAdded} · the kill switch is off: it applies at the next Enable`,
    });
    expect(ana.exceptions()).toMatchObject([
      { address: "192.168.1.20", protocol: "tcp", port: "631", label: "printer", scopeSecurity: "WPA2_PSK" },
    ]);
    expect((await ana.terminal(["exceptions", "list"])).stdout).toContain(
      "printer: 192.168.1.20, TCP 631, this network (applies now)",
    );
  });

  it("says the form's message for the field that is wrong, and nothing can be saved", async () => {
    mac = createFakeMac();
    const ana = user();
    const form = (values: Partial<Parameters<typeof validateExceptionForm>[0]>) =>
      validateExceptionForm({
        address: "",
        protocol: "any",
        port: "",
        scope: "all",
        label: "",
        expiry: "never",
        ...values,
      });
    const cases: [string, string | undefined][] = [
      ["add 192.168.1.20 tcp 99999 printer", form({ address: "192.168.1.20", port: "99999" }).port],
      ["add 10.0.0.300", form({ address: "10.0.0.300" }).address],
      [
        "add 8.8.8.8 here",
        form({ address: "8.8.8.8", scope: "gw=192.168.1.1,mac=3c:a6:2f:08:1e:7b,net=192.168.1.0/24" }).address,
      ],
      ["add 192.168.1.20 " + "x".repeat(61), form({ address: "192.168.1.20", label: "x".repeat(61) }).label],
    ];
    for (const [query, message] of cases) {
      expect(message, query).toBeTruthy();
      const [item] = (await listed(ana.alfred, query)).items;
      expect(item, query).toMatchObject({ title: ACTION_TITLES.addException, subtitle: message, valid: false });
    }
    const empty = (await listed(ana.alfred, "add")).items[0];
    expect(empty.subtitle?.startsWith(`${form({}).address} · ks add ADDRESS`)).toBe(true);
    expect(ana.exceptions()).toBeUndefined();
  });

  it("says how wide a network is before it is added, and adds it wide", async () => {
    mac = createFakeMac();
    const ana = user();
    const [item] = (await listed(ana.alfred, "add 10.0.0.0/16 all office")).items;
    expect(item.subtitle).toContain(wideExceptionQuestion("10.0.0.0/16")?.message);
    await pick(ana.alfred, item);
    expect(ana.exceptions()).toMatchObject([{ address: "10.0.0.0/16", scope: "all", wide: true, label: "office" }]);
  });
});

describe("the exceptions for this network", () => {
  it("toggles one the terminal added with ↵, edits it with ⌘↵ and copies it with ⌥↵; the terminal sees each change", async () => {
    mac = createFakeMac();
    const ana = user();
    expect((await ana.terminal(["exceptions", "add", "192.168.1.30", "--here", "--label", "NAS"])).code).toBe(0);
    const id = String(ana.exceptions()[0].id);
    const nas = titled(await listed(ana.alfred), "NAS");
    expect(nas.subtitle).toBe(`Applies Now · All traffic · 192.168.1.30 · ↵ ${ACTION_TITLES.disableException}`);
    expect(nas.mods?.alt).toMatchObject({ valid: true, arg: "192.168.1.30 any NAS" });

    expect(await pick(ana.alfred, nas)).toEqual({
      title: ACTION_TITLES.disableException,
      text: "NAS Blocked · the kill switch is off: it applies at the next Enable",
    });
    expect(ana.exceptions()[0].enabled).toBe(false);
    expect((await ana.terminal(["exceptions", "list"])).stdout).toContain(
      "NAS: 192.168.1.30, All traffic, this network (off)",
    );
    expect(titled(await listed(ana.alfred), "NAS").subtitle).toMatch(/^Off · .* · ↵ Enable Exception$/);

    // ⌘↵: Alfred opens with the exception's words after `ks edit ID`.
    const opened = await ana.alfred.open(String(nas.mods?.cmd?.arg));
    expect(opened).toEqual([`ks edit ${id.slice(0, 8)} 192.168.1.30 any NAS`]);
    const bad = await listed(ana.alfred, `edit ${id.slice(0, 8)} 192.168.1.30 tcp 0 NAS`);
    expect(bad.items[0]).toMatchObject({ title: ACTION_TITLES.saveException, valid: false });
    const edit = await listed(ana.alfred, `edit ${id.slice(0, 8)} 192.168.1.31 tcp 445 NAS`);
    expect(edit.items.map((item) => item.title)).toEqual([ACTION_TITLES.saveException, ACTION_TITLES.deleteException]);
    expect((await pick(ana.alfred, edit.items[0])).text).toBe(
      `${OUTCOMES.exceptionUpdated} · the kill switch is off: it applies at the next Enable`,
    );
    expect(ana.exceptions()).toMatchObject([
      { id, address: "192.168.1.31", protocol: "tcp", port: "445", enabled: false },
    ]);
    expect((await ana.terminal(["exceptions", "list"])).stdout).toContain(
      "NAS: 192.168.1.31, TCP 445, this network (off)",
    );

    await pick(ana.alfred, edit.items[1]);
    expect(ana.exceptions()).toEqual([]);
  });

  it("applies a change at once while the kill switch is on, with one prompt each, and says when it was not", async () => {
    mac = createFakeMac();
    const ana = user({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false });
    const enabled = await pick(ana.alfred, titled(await listed(ana.alfred), ACTION_TITLES.enable));
    // Without Startup Protection the result is Unverified: a report that says so first, as Raycast's alert does.
    expect(enabled.title).toBe("Kill Switch On · Unverified");
    expect(enabled.text).toMatch(/^Unverified: when last checked/);
    expect(enabled.text.length).toBeLessThanOrEqual(NOTIFICATION_TEXT_LIMIT);
    expect(mac.prompts()).toHaveLength(1);

    await pick(ana.alfred, (await listed(ana.alfred, "add 192.168.1.20 tcp 631 printer")).items[0]);
    expect(filterRules()).toContain("to 192.168.1.20 port 631");
    expect(mac.prompts()).toHaveLength(2);

    mac.setPasswordDialog("cancel");
    const printer = titled(await listed(ana.alfred), "printer");
    expect(await pick(ana.alfred, printer)).toEqual({
      title: "printer Blocked, Not Applied · it applies at the next Enable",
      text: "Cancelled: nothing was changed.",
    });
    expect(ana.exceptions()[0].enabled).toBe(false);
    expect(filterRules()).toContain("to 192.168.1.20 port 631");
  });
});

describe("the actions", () => {
  it("enable, verify, open the captive portal, disable: each says what it did in Raycast's words", async () => {
    mac = createFakeMac();
    const ana = user({ vpnServers: ["198.51.100.7:1194/udp"], protectFromStartup: false });
    const off = await listed(ana.alfred);
    expect(off.items.map((item) => item.title)).not.toContain(ACTION_TITLES.verify);
    expect(await ana.alfred.run(JSON.stringify({ action: "verify" }))).toEqual({
      title: ACTION_TITLES.verify,
      text: OUTCOMES.verifyWhileOff,
    });
    expect((await ana.alfred.run(JSON.stringify({ action: "portal", minutes: 2 }))).text).toBe(OUTCOMES.portalWhileOff);
    expect(await ana.alfred.run(JSON.stringify({ action: "test" }))).toEqual(LEAK_TEST_WHILE_OFF);

    await pick(ana.alfred, titled(off, ACTION_TITLES.enable));
    const on = await listed(ana.alfred);
    expect(on.items[0].title).toBe("Unverified");
    expect(await pick(ana.alfred, titled(on, ACTION_TITLES.verify))).toEqual({
      title: ACTION_TITLES.verify,
      text: OUTCOMES.verified,
    });
    // The VPN is up: a captive portal's sign-in page has nothing left to unlock, so none is offered or opened.
    expect(on.items.map((item) => item.title)).not.toContain(captivePortalTitle(2));
    expect((await ana.alfred.run(JSON.stringify({ action: "portal", minutes: 2 }))).text).toBe(
      OUTCOMES.portalWhileConnected,
    );
    expect((await pick(ana.alfred, titled(on, ACTION_TITLES.disable))).text).toBe(OUTCOMES.disabled);
    expect((await listed(ana.alfred)).items[0].title).toBe("Off");
    expect(mac.prompts()).toHaveLength(2);
  });

  it("asks how the VPN reaches a server nothing on the Mac describes, and Set VPN Server Protocol answers", async () => {
    const scutilNcList = readMacosFixture("scutil", "scutil-nc-list_macos-26.5_tailscale19776.txt");
    mac = createFakeMac({
      network: { ...macSnapshot({ wifi: "home", vpn: "utun4" }), netstatSockets: "", scutilNcList },
    });
    const ana = user({ protectFromStartup: false });
    const asked = await pick(ana.alfred, titled(await listed(ana.alfred), ACTION_TITLES.enable));
    expect(asked.title).toBe("Could Not Enable the Kill Switch");
    expect(asked.text).toMatch(/^Open ks in Alfred to answer\. Confirm the VPN server/);
    const question = titled(await listed(ana.alfred), ACTION_TITLES.setServerProtocol);
    expect(question).toMatchObject({ valid: false, autocomplete: "answer 198.51.100.7 " });
    expect((await listed(ana.alfred, "answer 198.51.100.7 udp")).items[0].valid).toBe(false);
    const answer = (await listed(ana.alfred, "answer 198.51.100.7 udp 1194")).items[0];
    expect(answer.title).toBe(ACTION_TITLES.setServerProtocol);
    expect((await pick(ana.alfred, answer)).title).toBe("Kill Switch On · Unverified");
    expect(filterRules()).toContain(
      "pass out quick inet proto udp from any to 198.51.100.7 port 1194 keep state (if-bound)",
    );
    expect((await listed(ana.alfred)).items.map((item) => item.title)).not.toContain(ACTION_TITLES.setServerProtocol);
  });

  it("asks to allow a name the network's DNS answered, and ↵ on the question enables with that answer only", async () => {
    // The VPN down: the name is answered by this network's DNS, not the VPN's.
    mac = createFakeMac({ network: macSnapshot({ wifi: "home", vpn: null }) });
    const lookup = async (host: string) => (host === "nas.example.net" ? ["198.51.100.40"] : []);
    const alfred = alfredUser(mac.system, { lookup });
    const path = userSettingsPath(alfred.home);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      JSON.stringify({
        vpnServers: ["198.51.100.7:1194/udp"],
        protectFromStartup: false,
        exceptions: [{ address: "nas.example.net", protocol: "tcp", port: "445", scope: "all", enabled: true }],
      }),
    );
    const asked = await pick(alfred, titled(await listed(alfred), ACTION_TITLES.enable));
    expect(asked.title).toBe("Could Not Enable the Kill Switch");
    expect(mac.prompts()).toHaveLength(0);
    const question = nameConfirmationQuestion([
      { field: "exceptions[0].address", host: "nas.example.net", addresses: ["198.51.100.40"] },
    ]);
    const item = titled(await listed(alfred), question.title);
    expect(item).toMatchObject({
      subtitle: `nas.example.net → 198.51.100.40 · ↵ ${ACTION_TITLES.allowOutsideVpn}`,
      text: { largetype: question.message },
    });
    expect((await pick(alfred, item)).title).toBe("Kill Switch On · Unverified");
    expect(mac.prompts()).toHaveLength(1);
    expect(filterRules()).toContain("to 198.51.100.40 port 445");
    expect((await listed(alfred)).items.map((each) => each.title)).not.toContain(question.title);
  });

  it("shows a change in flight first and has Alfred read again until it is done", async () => {
    mac = createFakeMac();
    const ana = user();
    const marker = `${ana.alfred.env.alfred_workflow_cache}/in-flight.json`;
    writeFileSync(
      marker,
      JSON.stringify({ pid: process.pid, title: ACTION_TITLES.enable, subtitle: "In progress", startedAt: "" }),
    );
    const busy = await listed(ana.alfred);
    expect(busy.rerun).toBe(RERUN_SECONDS);
    expect(busy.items[0]).toMatchObject({ uid: "in-flight", title: ACTION_TITLES.enable, valid: false });
    expect(busy.items[1].uid).toBe("state");
    // A process that ended left it behind: nothing is in flight.
    writeFileSync(marker, JSON.stringify({ pid: 2 ** 22 + 1, title: "x", subtitle: "x", startedAt: "" }));
    expect((await listed(ana.alfred)).rerun).toBeUndefined();
  });
});

describe("Blocked Traffic", () => {
  it("lists the last flows; ↵ on one starts its exception, ⌥↵ copies it; ks blocked lists them all with Clear Log", async () => {
    mac = createFakeMac();
    const dir = `${mac.root}${CAPTURE_DIRECTORY}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/blocked.pcap0`, pflogCapture(MORNING));
    writeFileSync(`${dir}/processes`, "1795999000\t812\t0\t/Applications/Safari.app/Contents/MacOS/Safari\n");
    const ana = user();
    const home = await listed(ana.alfred);
    const header = titled(home, ACTION_TITLES.blockedTraffic);
    expect(header).toMatchObject({ valid: false, autocomplete: "blocked " });
    const flows = home.items.filter((item) => item.uid?.startsWith("flow-"));
    expect(flows).toHaveLength(3);
    const safari = (await listed(ana.alfred, "blocked")).items.find(
      (item) => item.title === "Safari" && item.subtitle?.includes("93.184.216.34"),
    ) as AlfredItem;
    expect(safari).toMatchObject({ valid: false, autocomplete: "add 93.184.216.34 tcp 443" });
    expect(safari.mods?.alt?.arg).toContain("93.184.216.34:443");
    const all = await listed(ana.alfred, "blocked");
    expect(all.items[all.items.length - 1].title).toBe(ACTION_TITLES.clearLog);
    const incoming = all.items.find((item) => item.subtitle?.startsWith("in ")) as AlfredItem;
    expect(incoming.autocomplete).toBeUndefined();
    expect(incoming.mods?.cmd?.valid).toBe(false);
  });
});

describe("what goes wrong", () => {
  it("becomes an item that says what to do, the state still first, never a stack", async () => {
    mac = createFakeMac();
    const ana = user();
    writeFileSync(userSettingsPath(ana.alfred.home), "{ not json");
    const home = await listed(ana.alfred);
    expect(home.items[0].uid).toBe("state");
    const problem = titled(home, ACTION_TITLES.manageExceptions);
    expect(problem).toMatchObject({ valid: false });
    expect(problem.subtitle).toMatch(/is not valid JSON.* · fix or remove the file; nothing was changed$/);
    expect(JSON.stringify(home)).not.toMatch(/\n\s+at /);
    expect((await listed(ana.alfred, "add 192.168.1.20")).items[0]).toMatchObject({ valid: false });
    expect(await ana.alfred.run("not an action")).toEqual({
      title: "Nothing Was Done",
      text: '"not an action" is not an action of this workflow: pick it again from the ks list.',
    });
  });
});
