import { type SystemCommands, createSystemCommands } from "../system/commands";

let shared: SystemCommands | null = null;

/** The Mac's programs, through the product's one system adapter; made once per command run. */
export function systemCommands(): SystemCommands {
  shared ??= createSystemCommands();
  return shared;
}
