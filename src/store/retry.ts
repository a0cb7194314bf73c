/**
 * Retries with exponential backoff, full jitter and `Retry-After`, bounded in attempts and in
 * total time. Backends decide what is retryable through `classify`; only idempotent calls (or
 * calls whose effect is re-checked before the next attempt) may be wrapped.
 */
import { setTimeout as sleepFor } from "node:timers/promises";
import { NeffCacheError, StoreError, StoreStalledError } from "../errors.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included. @default 5 */
  maxAttempts: number;
  /** Delay scale of the first retry. @default 200 */
  baseDelayMs: number;
  /** Upper bound of one delay. @default 10_000 */
  maxDelayMs: number;
  /** No retry starts after this much time since the first attempt. @default 60_000 */
  maxTotalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxTotalMs: 60_000,
};

/** What a backend says of one failure. */
export interface RetryDecision {
  retry: boolean;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  retryAfterMs?: number;
}

export interface RetryOptions {
  signal?: AbortSignal;
  policy?: Partial<RetryPolicy>;
  classify: (error: unknown) => RetryDecision;
  /** Told before each wait; for logs and tests. */
  onRetry?: (event: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Injectable for tests. @default Math.random */
  random?: () => number;
  /** The store's stall watch: told of every attempt's outcome, ends the call once the store is stalled. */
  stall?: StallWatch;
}

/** Runs `fn` until it succeeds, a failure is not retryable, or the policy is exhausted. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const started = Date.now();
  const stall = options.stall;
  // Made at the first wait, not per call: AbortSignal.any was ~1.5% of the main thread's busy
  // time on a fetch of 4,000 small objects (78 of ~5,700 ms, V8 profile), and calls rarely wait.
  let waitSignal: AbortSignal | undefined;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    stall?.check();
    try {
      const value = await fn(attempt);
      stall?.succeeded();
      return value;
    } catch (error) {
      options.signal?.throwIfAborted();
      stall?.failed(error);
      const decision = options.classify(error);
      if (!decision.retry || attempt >= policy.maxAttempts) throw error;
      const delayMs = retryDelayMs(attempt, policy, decision.retryAfterMs, options.random ?? Math.random);
      if (Date.now() - started + delayMs > policy.maxTotalMs) throw error;
      options.onRetry?.({ attempt, delayMs, error });
      try {
        waitSignal ??=
          stall === undefined
            ? options.signal
            : options.signal === undefined
              ? stall.signal
              : AbortSignal.any([options.signal, stall.signal]);
        await sleepFor(delayMs, undefined, { signal: waitSignal });
      } catch (aborted) {
        stall?.check();
        throw aborted;
      }
    }
  }
}

/**
 * Counts one store's request timeouts in a row: a store that answers none of `limit` consecutive
 * attempts (any success in between starts the count again; other failures, which are answers,
 * leave it alone) is declared stalled. From then on every call of that store fails at once with
 * the StoreStalledError, waits between retries end, and `onStalled` is told once, so the
 * operation above can stop the rest of its work instead of waiting out each request's retries.
 */
export interface StallWatch {
  /** Aborted, with the StoreStalledError as its reason, once the store is declared stalled. */
  readonly signal: AbortSignal;
  /** Throws the StoreStalledError when the store was declared stalled. */
  check(): void;
  succeeded(): void;
  /** Counts the failure when it is a timeout; throws the StoreStalledError once the count reaches the limit. */
  failed(error: unknown): void;
}

export interface StallWatchOptions {
  /** The store's URL (secret-free), for the message. */
  store: string;
  /** Consecutive timeouts that declare the store stalled. @default STALL_LIMIT */
  limit?: number;
  /** The per-attempt timeout in milliseconds, for the message. */
  timeoutMs?: number;
  onStalled?: (error: StoreStalledError) => void;
}

/**
 * More than one request's own attempts (DEFAULT_RETRY_POLICY.maxAttempts, 5), so a single unlucky
 * object never ends a run, and about one round of a fetch's or sync's parallel requests (8–16),
 * so a store that answers nothing costs about one request timeout, not a whole retry budget per
 * object.
 */
export const STALL_LIMIT = 8;

/** Creates a stall watch for one store; the store (or its opener) owns it, never a module. */
export function createStallWatch(options: StallWatchOptions): StallWatch {
  const limit = options.limit ?? STALL_LIMIT;
  const controller = new AbortController();
  let timeouts = 0;
  const stalled = (): StoreStalledError | undefined =>
    controller.signal.aborted ? (controller.signal.reason as StoreStalledError) : undefined;
  return {
    signal: controller.signal,
    check() {
      const error = stalled();
      if (error) throw error;
    },
    succeeded() {
      timeouts = 0;
    },
    failed(error) {
      const already = stalled();
      if (already) throw already;
      if (!isTimeout(error)) return;
      timeouts += 1;
      if (timeouts < limit) return;
      const ms = options.timeoutMs;
      const each = ms === undefined ? "" : ms < 1000 ? ` of ${ms} ms` : ` of ${Math.round(ms / 1000)} s`;
      const declared = new StoreStalledError(
        `${options.store} answered none of ${timeouts} requests in a row within their timeout${each}; the work was stopped early. What was finished is kept.`,
        {
          store: options.store,
          timeouts,
          hint: "Check that the endpoint is reachable and answers (network, proxy, endpoint URL). If the store is only slow, raise NEFF_CACHE_REQUEST_TIMEOUT (per request); then run the command again to go on from there.",
        },
      );
      controller.abort(declared);
      options.onStalled?.(declared);
      throw declared;
    },
  };
}

/** Whether a failure is a request that got no answer in time (its own timeout, not a caller's abort). */
export function isTimeout(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = field(e, "cause"), depth++) {
    if (field(e, "name") === "TimeoutError") return true;
    const code = field(e, "code");
    if (typeof code === "string" && TIMEOUT_CODES.has(code)) return true;
  }
  return false;
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** Full-jitter exponential delay, or the server's `Retry-After` when it asks for longer. */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  if (retryAfterMs === undefined) return jittered;
  return Math.max(retryAfterMs, jittered);
}

/** Parses an HTTP `Retry-After` (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Node network error codes that mean "try again": resets, refusals during restarts, timeouts. */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENETUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** True for HTTP statuses worth retrying: 408, 429 and 5xx other than 501. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/**
 * Whether a failure that a store call already retried is worth another round later (a sync
 * sends a phase's failed files again): the backends' own verdict on a StoreError, or a network
 * code for errors that never reached a backend's classification.
 */
export function isRetryableFailure(error: unknown): boolean {
  if (error instanceof NeffCacheError) return error instanceof StoreError && error.retryable;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE_NETWORK_CODES.has(code);
}

/**
 * Whether a failure while a body was being read is worth reading again (from where it broke
 * off): the connection dropped, was reset or went idle. Failures of the store's own requests
 * arrive here already judged (`retryable` on a StoreError); local failures (a full disk, a refused write) and bytes that are wrong, not short, are not retried.
 */
export function classifyTransferError(error: unknown): RetryDecision {
  const retryable = field(error, "retryable");
  if (typeof retryable === "boolean") return { retry: retryable };
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = field(e, "cause"), depth++) {
    const code = field(e, "code");
    if (typeof code === "string" && (RETRYABLE_NETWORK_CODES.has(code) || BODY_BREAK_CODES.has(code)))
      return { retry: true };
    const name = field(e, "name");
    if (name === "TimeoutError") return { retry: true };
    // Node's http client ends a body whose connection closed early with "aborted"; undici with "terminated".
    const message = field(e, "message");
    if (message === "aborted" || message === "terminated") return { retry: true };
  }
  return { retry: false };
}

/** Codes of a body that broke off (besides the network codes above). */
const BODY_BREAK_CODES: ReadonlySet<string> = new Set(["ERR_STREAM_PREMATURE_CLOSE", "UND_ERR_ABORTED"]);

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
