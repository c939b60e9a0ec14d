/**
 * Alfred's Script Filter JSON format, as alfredapp.com/help/workflows/inputs/script-filter/json/ documents it:
 * strict objects, so a field Alfred does not know, or a value of the wrong kind, fails the check.
 */
import * as z from "zod";

const arg = z.union([z.string(), z.array(z.string())]);
const variables = z.record(z.string(), z.string());
const icon = z.strictObject({ type: z.enum(["fileicon", "filetype"]).optional(), path: z.string().min(1) });

const modifier = z.strictObject({
  valid: z.boolean().optional(),
  arg: arg.optional(),
  subtitle: z.string().optional(),
  icon: icon.optional(),
  variables: variables.optional(),
});

/** cmd, alt, ctrl, shift, fn, and their combinations ("cmd+alt"). */
const MODIFIER_KEY = /^(cmd|alt|ctrl|shift|fn)(\+(cmd|alt|ctrl|shift|fn))*$/;

export const alfredItemSchema = z.strictObject({
  uid: z.string().optional(),
  title: z.string().min(1),
  subtitle: z.string().optional(),
  arg: arg.optional(),
  icon: icon.optional(),
  valid: z.boolean().optional(),
  match: z.string().optional(),
  autocomplete: z.string().optional(),
  type: z.enum(["default", "file", "file:skipcheck"]).optional(),
  mods: z.record(z.string().regex(MODIFIER_KEY), modifier).optional(),
  action: z
    .union([z.string(), z.array(z.string()), z.record(z.string(), z.union([z.string(), z.array(z.string())]))])
    .optional(),
  text: z.strictObject({ copy: z.string().optional(), largetype: z.string().optional() }).optional(),
  quicklookurl: z.string().optional(),
  variables: variables.optional(),
});

export const scriptFilterSchema = z.strictObject({
  items: z.array(alfredItemSchema),
  variables: variables.optional(),
  /** Seconds, 0.1 to 5. */
  rerun: z.number().min(0.1).max(5).optional(),
  skipknowledge: z.boolean().optional(),
  cache: z
    .strictObject({ seconds: z.number().int().min(5).max(86400), loosereload: z.boolean().optional() })
    .optional(),
});

export type ScriptFilterOutput = z.infer<typeof scriptFilterSchema>;

/** What a Run Script prints to set the arg and variables of what follows it (a notification here). */
export const runScriptSchema = z.strictObject({
  alfredworkflow: z.strictObject({ arg: z.string(), variables: variables.optional() }),
});

/** The output, checked: the schema's issues as the failure, so a test says which field is wrong. */
export function checkedScriptFilter(text: string): ScriptFilterOutput {
  const parsed = scriptFilterSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`not Alfred's Script Filter JSON: ${z.prettifyError(parsed.error)}\n${text}`);
  return parsed.data;
}
