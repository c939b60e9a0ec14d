import { LaunchType, launchCommand } from "@raycast/api";
import * as z from "zod/mini";
import { CAPTIVE_PORTAL_MINUTES, type CaptivePortalMinutes, isCaptivePortalMinutes } from "../../policy/captive-portal";
import { parseServerAnswer } from "../../policy/policy";
import { COMMANDS } from "../commands";

/** The command that runs every privileged action started from the menu bar or the exception views. */
export const ENABLE_COMMAND = COMMANDS.enable;

/** The form Enable opens to ask how the VPN reaches a server (server-protocol-form.tsx). */
export const SERVER_PROTOCOL_COMMAND = COMMANDS.setServerProtocol;

/** What that form is launched with: the servers' addresses to ask about. */
/** The servers Set VPN Server Protocol asks about, and by address what the Mac saw of each. */
export type ServerProtocolContext = { servers: string[]; seen?: Record<string, string> };

/** The captive-portal windows offered, in minutes (the same in every front-end). */
export { CAPTIVE_PORTAL_MINUTES, type CaptivePortalMinutes };

/** Longest `change` text for the HUD after an exception change. */
export const MAX_CHANGE_LENGTH = 80;

const REASONS = ["enable", "apply", "captive-portal", "close-captive-portal", "clear-blocked-traffic"] as const;
const quote = (value: unknown) => JSON.stringify(value) ?? "nothing";

/**
 * What the Enable command is asked to do. Absent: turn the kill switch on (`serverTransports`: the user's
 * answers from Set VPN Server Protocol, `IP:port/proto`, `IP/ikev2` or `IP/none`). `apply`: reload the rules after the
 * exceptions changed (`change` says what, for the HUD). `captive-portal`: open the window for a sign-in page.
 * `close-captive-portal`: close an open window before its time. `clear-blocked-traffic`: empty the record of blocked traffic (Blocked Traffic's Clear Log).
 */
export type KillSwitchLaunchContext =
  | { reason: "enable"; serverTransports?: string[] }
  | { reason: "apply"; change?: string }
  | { reason: "captive-portal"; captivePortalMinutes: CaptivePortalMinutes }
  | { reason: "close-captive-portal" }
  | { reason: "clear-blocked-traffic" };

// One flat object rather than a discriminated union: the same checks with less of zod in every bundle.
const launchContextSchema = z.object({
  reason: z.enum(REASONS, { error: (issue) => `${quote(issue.input)} is not one of ${REASONS.join(", ")}` }),
  change: z.optional(
    z.string().check(
      z.refine((text) => text.length <= MAX_CHANGE_LENGTH, {
        error: (issue) => `${quote(issue.input)} is longer than ${MAX_CHANGE_LENGTH} characters`,
      }),
    ),
  ),
  serverTransports: z.optional(
    z.array(
      z.string().check(
        z.refine((text) => parseServerAnswer(text) !== null, {
          error: (issue) => `${quote(issue.input)} is not IP:port/proto, IP:port, IP/ikev2 or IP/none`,
        }),
      ),
    ),
  ),
  captivePortalMinutes: z.optional(
    z.number().check(
      z.refine(isCaptivePortalMinutes, {
        error: (issue) => `${quote(issue.input)} is not one of ${CAPTIVE_PORTAL_MINUTES.join(", ")}`,
      }),
    ),
  ),
});

export type LaunchContextResult = { ok: true; context: KillSwitchLaunchContext } | { ok: false; error: string };

const invalid = (field: string, message: string): LaunchContextResult => ({
  ok: false,
  error: `Launch context: ${field ? `${field}: ` : ""}${message}`,
});

/** Validates what the Enable command was launched with (another command, or a deeplink); none means enable. */
export function parseLaunchContext(value: unknown): LaunchContextResult {
  if (value === undefined || value === null) return { ok: true, context: { reason: "enable" } };
  const result = launchContextSchema.safeParse(value, { reportInput: true });
  if (!result.success) {
    const issue = result.error.issues[0];
    // Our refinements name the value; zod/mini's type check only says "Invalid input".
    const message =
      issue.code === "invalid_type" ? `expected ${issue.expected}, got ${quote(issue.input)}` : issue.message;
    return invalid(issue.path.map(String).join("."), message);
  }
  const { reason, change, captivePortalMinutes, serverTransports } = result.data;
  if (reason === "enable") return { ok: true, context: serverTransports ? { reason, serverTransports } : { reason } };
  if (reason === "apply") return { ok: true, context: change === undefined ? { reason } : { reason, change } };
  if (reason === "clear-blocked-traffic" || reason === "close-captive-portal") return { ok: true, context: { reason } };
  if (captivePortalMinutes === undefined || !isCaptivePortalMinutes(captivePortalMinutes)) {
    return invalid(
      "captivePortalMinutes",
      `required for the captive-portal reason, one of ${CAPTIVE_PORTAL_MINUTES.join(", ")}`,
    );
  }
  return { ok: true, context: { reason, captivePortalMinutes } };
}

/** Runs the Enable command for `context`, as if the user had picked it: its one prompt, its HUD. */
export async function launchEnableCommand(context: KillSwitchLaunchContext): Promise<void> {
  await launchCommand({ name: ENABLE_COMMAND, type: LaunchType.UserInitiated, context });
}
