/**
 * The command table: flags to options, lazy imports of the operations (start-up time counts:
 * `exec` with nothing to do must stay well under 200 ms), and which renderer says the result.
 */
import type { CommandSpec } from "./command-spec.ts";

export const COMMANDS: readonly CommandSpec[] = [];
