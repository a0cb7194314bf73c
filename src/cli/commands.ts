/**
 * The command table: flags to options, lazy imports of the operations (start-up time counts:
 * `exec` with nothing to do must stay well under 200 ms), and which renderer says the result.
 */
import { CLEANUP_COMMAND } from "./cleanup-command.ts";
import type { CommandSpec } from "./command-spec.ts";
import { STATUS_COMMAND } from "./status-command.ts";

export const COMMANDS: readonly CommandSpec[] = [STATUS_COMMAND, CLEANUP_COMMAND];
