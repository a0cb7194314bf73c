import type { Writable } from "node:stream";
import type { StoreStalledError } from "../errors.ts";

/** Environment variables as the process received them; library code never reads `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What a command may use from its surroundings; built once in `main.ts`, injectable in tests. */
export interface CliContext {
  env: Env;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM (except while `exec` forwards them to its child). */
  signal: AbortSignal;
  /** Progress and log lines; never stdout, which carries only results. */
  stderr: Writable;
  /** True when stderr is a terminal: progress bars are drawn only then. */
  interactive: boolean;
  /** Logs to stderr, redacted. */
  log: Logger;
  /**
   * While `handler` is installed, SIGINT/SIGTERM go to it instead of aborting `signal`
   * (`exec` forwards them to its child). Returns the function that removes it.
   */
  trapSignals(handler: (signal: NodeJS.Signals) => void): () => void;
  /**
   * Stops the command's store work because a store stopped answering: aborts `signal` with the
   * error, which is then the command's outcome (exit 4). Absent where store work is not the
   * whole command (`exec`, whose child must run on).
   */
  storeStalled?: (error: StoreStalledError) => void;
  /** Asks a yes/no question on the terminal; absent when stdin is not a terminal. */
  confirm?: (question: string) => Promise<boolean>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}
