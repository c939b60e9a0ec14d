// Types of root-script-build.mjs, for the tests that check what it generated.
export interface RootContract {
  exitStatus: Record<string, { code: number; meaning: string }>;
  files: Record<string, string>;
  stateFields: string[];
  statusFields: string[];
  watchdogStatusFields: string[];
}
export const PARTS_DIRECTORY: string;
export const CONTRACT_FILE: string;
export function readContract(): RootContract;
export function contractShell(contract: RootContract): string;
export function readParts(): { name: string; text: string }[];
export function withoutCommentLines(text: string, options?: { keepOpening?: boolean }): string;
export function assembleRootScript(parts?: { name: string; text: string }[], contract?: RootContract): string;
