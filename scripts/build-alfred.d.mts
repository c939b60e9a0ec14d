// Types of build-alfred.mjs, for the tests that open what it built.
export const WORKFLOW_FILE_NAME: string;
export const BUNDLE_ID: string;
export const KEYWORDS: string[];
export const SCRIPT_FILES: string[];
export function workflowInfo(): Record<string, unknown>;
export function workflowFiles(): Promise<{ path: string; data: Buffer; mode: number }[]>;
export function buildAlfredWorkflow(options?: { outDir?: string }): Promise<string>;
