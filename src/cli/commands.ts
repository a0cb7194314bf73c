/**
 * The command table: flags to options, lazy imports of the operations (start-up time counts:
 * `exec` with nothing to do must stay well under 200 ms), and which renderer says the result.
 */
import { BUCKET_SERVER_COMMAND } from "./bucket-server-command.ts";
import { TIMEOUT_OPTION } from "./cache-target.ts";
import { CLEANUP_COMMAND } from "./cleanup-command.ts";
import type { CommandSpec } from "./command-spec.ts";
import { COPY_COMMAND } from "./copy-command.ts";
import { CREATE_COMMAND } from "./create-command.ts";
import { EXEC_COMMAND } from "./exec-command.ts";
import { EXPLAIN_COMMAND } from "./explain-command.ts";
import { FETCH_COMMAND } from "./fetch-command.ts";
import { KEYGEN_COMMAND } from "./keygen-command.ts";
import { LOOKUP_COMMAND } from "./lookup-command.ts";
import { LS_COMMAND } from "./ls-command.ts";
import { PRUNE_COMMAND } from "./prune-command.ts";
import { SET_COMMAND } from "./set-command.ts";
import { SIGN_COMMAND } from "./sign-command.ts";
import { STATS_COMMAND } from "./stats-command.ts";
import { STATUS_COMMAND } from "./status-command.ts";
import { SYNC_COMMAND } from "./sync-command.ts";

/** Every command that talks to a store takes `--timeout` (the bucket server runs until stopped). */
const withStoreTimeout = (spec: CommandSpec): CommandSpec =>
  ("bucket" in spec.options || "from" in spec.options) && spec.name !== "bucket-server"
    ? { ...spec, options: { ...spec.options, timeout: TIMEOUT_OPTION } }
    : spec;

export const COMMANDS: readonly CommandSpec[] = [
  STATUS_COMMAND,
  CLEANUP_COMMAND,
  FETCH_COMMAND,
  SYNC_COMMAND,
  LOOKUP_COMMAND,
  EXEC_COMMAND,
  EXPLAIN_COMMAND,
  LS_COMMAND,
  SET_COMMAND,
  CREATE_COMMAND,
  KEYGEN_COMMAND,
  SIGN_COMMAND,
  STATS_COMMAND,
  PRUNE_COMMAND,
  COPY_COMMAND,
  BUCKET_SERVER_COMMAND,
].map(withStoreTimeout);
