/**
 * Error classes and exit codes. Library code throws these and never prints or exits;
 * `src/cli/main.ts` is the one place that turns them into output and an exit code.
 */

/** Process exit codes, documented in the README. */
export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  usage: 2,
  notFound: 3,
  storeRetryable: 4,
  storeFatal: 5,
  partial: 6,
  busy: 7,
  /** `exec --require-hit`: the command started a compile the cache did not serve, and was stopped. */
  compileRequired: 8,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export interface NeffCacheErrorOptions {
  /** Stable machine-readable code, e.g. `E_USAGE`. */
  code: string;
  exitCode: ExitCode;
  /** How the user fixes it; rendered on its own line after the message. */
  hint?: string;
  cause?: unknown;
}

/** Base class: every error a user can cause is one of these, with a message that names the fix. */
export class NeffCacheError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: NeffCacheErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.exitCode = options.exitCode;
    this.hint = options.hint;
  }
}

/** Bad flags, bad configuration, malformed ids or URLs. */
export class UsageError extends NeffCacheError {
  constructor(message: string, options: { hint?: string; cause?: unknown; code?: string } = {}) {
    super(message, { code: options.code ?? "E_USAGE", exitCode: EXIT_CODES.usage, ...options });
  }
}

/** Something the command needs does not exist (a cache dir, a bucket, a record). */
export class NotFoundError extends NeffCacheError {
  constructor(message: string, options: { hint?: string; cause?: unknown; code?: string } = {}) {
    super(message, { code: options.code ?? "E_NOT_FOUND", exitCode: EXIT_CODES.notFound, ...options });
  }
}

export interface StoreErrorOptions {
  /** Backend id: "dir" | "s3" | "hf". */
  store: string;
  /** HTTP status when the store answered with one. */
  status?: number;
  retryable: boolean;
  hint?: string;
  cause?: unknown;
  code?: string;
}

/** A store refused or failed a request. Messages are prefixed with the backend and carry no secrets. */
export class StoreError extends NeffCacheError {
  readonly store: string;
  readonly status: number | undefined;
  readonly retryable: boolean;

  constructor(message: string, options: StoreErrorOptions) {
    super(`[${options.store}] ${message}`, {
      code: options.code ?? (options.retryable ? "E_STORE_RETRYABLE" : "E_STORE"),
      exitCode: options.retryable ? EXIT_CODES.storeRetryable : EXIT_CODES.storeFatal,
      hint: options.hint,
      cause: options.cause,
    });
    this.store = options.store;
    this.status = options.status;
    this.retryable = options.retryable;
  }
}

/**
 * The command's store work ran past its deadline (`--timeout`, `NEFF_CACHE_TIMEOUT`), or the
 * store stopped answering. What was done before is kept; running again goes on from there.
 */
export class DeadlineError extends NeffCacheError {
  constructor(message: string, options: { hint?: string; cause?: unknown; code?: string } = {}) {
    super(message, { code: "E_STORE_DEADLINE", exitCode: EXIT_CODES.storeRetryable, ...options });
  }
}

/**
 * A store answered none of many requests in a row before their timeouts (see `createStallWatch`):
 * the work stops early rather than wait out every retry, and is reported like a deadline (exit 4).
 */
export class StoreStalledError extends DeadlineError {
  readonly store: string;
  readonly timeouts: number;

  constructor(message: string, options: { store: string; timeouts: number; hint?: string }) {
    super(message, { code: "E_STORE_STALLED", hint: options.hint });
    this.store = options.store;
    this.timeouts = options.timeouts;
  }
}

/** The local cache is in use (a compiler runs) and the operation would disturb it. */
export class BusyError extends NeffCacheError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { code: "E_BUSY", exitCode: EXIT_CODES.busy, ...options });
  }
}

/** Some items of a fetch or sync failed; the result still describes what succeeded. */
export class PartialFailureError<R = unknown> extends NeffCacheError {
  readonly result: R;

  constructor(message: string, result: R, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { code: "E_PARTIAL", exitCode: EXIT_CODES.partial, ...options });
    this.result = result;
  }
}

/** True for errors raised by a cancelled AbortSignal. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}
