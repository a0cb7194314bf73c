/**
 * The one place where the Hugging Face backend talks HTTP itself: authentication, a timeout per
 * attempt, retries with backoff on 429/5xx/timeouts/resets (honouring `Retry-After` and the
 * `RateLimit` header), and the mapping of every failure to a `StoreError` without secrets.
 */
import { StoreError, StoreStalledError } from "../../errors.ts";
import {
  isRetryableStatus,
  parseRetryAfter,
  RETRYABLE_NETWORK_CODES,
  type StallWatch,
  withRetry,
} from "../retry.ts";
import type { RetryPolicy } from "../retry.ts";
import { hfNetworkError, hfStatusError, networkCode, redactSecrets } from "./hf-errors.ts";
import type { HfErrorContext } from "./hf-errors.ts";
import type { HfHeaders, HfResponse, HfSend } from "./hf-response.ts";
import { parseRateLimitReset } from "./hf-wire.ts";

export interface HfHttpOptions {
  /** Hub endpoint without trailing slash. */
  endpoint: string;
  /** `namespace/name`, for messages. */
  bucket: string;
  /** Sends one attempt (node:http by default, an injected `fetch` when the store was given one). */
  send: HfSend;
  /** Resolves the token lazily, on the first call that needs it. */
  token: () => Promise<string | undefined>;
  /** Longest wait for response headers, and longest silence while a body streams. */
  timeoutMs: number;
  retry?: Partial<RetryPolicy>;
  onRetry?: (event: { attempt: number; delayMs: number; error: unknown }) => void;
  /** The store's stall watch, shared by every request of the store (Hub and CAS alike). */
  stall?: StallWatch;
}

export interface HfRequest {
  method: "GET" | "HEAD" | "POST" | "DELETE";
  /** A path below the endpoint ("/api/…") or an absolute URL on the endpoint (a pagination link). */
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Needed access, for the 403 message. */
  access: "read" | "write";
  /** What the call does, for messages: `list "a/b"`. */
  action: string;
  signal?: AbortSignal;
  /** Statuses handed back to the caller instead of thrown (404, 409, 416, 422…). */
  expect?: readonly number[];
  /**
   * Whether a failed attempt may be sent again. Only requests whose repetition cannot change the
   * outcome (reads, and batches of idempotent operations) say yes.
   * @default true
   */
  retry?: boolean;
}

/** Thin HTTP client for the bucket API; every method throws StoreError (or the caller's AbortError). */
export interface HfHttp {
  request(request: HfRequest): Promise<HfResponse>;
  /** Like `request`, then parses a JSON body (the caller checks its shape). */
  json(request: HfRequest): Promise<{ status: number; body: unknown; headers: HfHeaders }>;
  /** The token, for the hub library and redaction. */
  token(): Promise<string | undefined>;
  readonly endpoint: string;
  readonly stall: StallWatch | undefined;
}

/** A failed status inside one attempt; carried to the retry classifier, then mapped. */
class StatusFailure extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  readonly errorCode: string | null;
  readonly serverMessage: string | undefined;
  constructor(
    status: number,
    retryAfterMs: number | undefined,
    errorCode: string | null,
    serverMessage?: string,
  ) {
    super(`HTTP ${status}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    this.errorCode = errorCode;
    this.serverMessage = serverMessage;
  }
}

/** Creates the HTTP client of one store. */
export function createHfHttp(options: HfHttpOptions): HfHttp {
  let tokenPromise: Promise<string | undefined> | undefined;
  const token = (): Promise<string | undefined> => (tokenPromise ??= options.token());

  const request = async (req: HfRequest): Promise<HfResponse> => {
    const context: HfErrorContext = {
      bucket: options.bucket,
      endpoint: options.endpoint,
      access: req.access,
      action: req.action,
    };
    const url = req.path.startsWith("http") ? req.path : options.endpoint + req.path;
    if (!url.startsWith(options.endpoint + "/")) {
      // A pagination link pointing elsewhere would carry our token to another host.
      throw new StoreError(`refusing to follow a link outside ${options.endpoint}`, {
        store: "hf",
        retryable: false,
      });
    }
    const secret = await token();
    const headers: Record<string, string> = { ...req.headers };
    if (secret !== undefined) headers.Authorization = `Bearer ${secret}`;
    try {
      return await withRetry(() => attempt(options, url, req, headers), {
        signal: req.signal,
        policy: req.retry === false ? { maxAttempts: 1 } : options.retry,
        classify: classifyFailure,
        onRetry: options.onRetry,
        stall: options.stall,
      });
    } catch (error) {
      if (req.signal?.aborted) throw req.signal.reason ?? error;
      if (error instanceof StoreError || error instanceof StoreStalledError) throw error;
      if (error instanceof StatusFailure) {
        throw hfStatusError(error.status, context, {
          errorCode: error.errorCode,
          serverMessage:
            error.serverMessage === undefined ? undefined : redactSecrets(error.serverMessage, [secret]),
        });
      }
      throw hfNetworkError(context, error, [secret]);
    }
  };

  return {
    endpoint: options.endpoint,
    stall: options.stall,
    token,
    request,
    async json(req) {
      const response = await request({ ...req, headers: { Accept: "application/json", ...req.headers } });
      const text = await response.text();
      let body: unknown = null;
      if (text !== "") {
        try {
          body = JSON.parse(text);
        } catch {
          throw new StoreError(
            `cannot ${req.action} on hf://buckets/${options.bucket}: ${options.endpoint} answered with invalid JSON (HTTP ${response.status})`,
            { store: "hf", status: response.status, retryable: true },
          );
        }
      }
      return { status: response.status, body, headers: response.headers };
    },
  };
}

/** What the retry loop makes of one failure. */
export function classifyFailure(error: unknown): { retry: boolean; retryAfterMs?: number } {
  if (error instanceof StatusFailure) {
    return { retry: isRetryableStatus(error.status), retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof Error && error.name === "TimeoutError") return { retry: true };
  const code = networkCode(error);
  if (code !== undefined && RETRYABLE_NETWORK_CODES.has(code)) return { retry: true };
  // undici reports a dropped connection as a bare "fetch failed" TypeError in some versions.
  if (error instanceof TypeError && error.message === "fetch failed") return { retry: true };
  return { retry: false };
}

/** The wait a throttled response asks for: the longer of `Retry-After` and `RateLimit` `t=`. */
export function retryAfterOf(headers: HfHeaders): number | undefined {
  const values = [parseRetryAfter(headers.get("retry-after")), parseRateLimitReset(headers.get("ratelimit"))];
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : Math.max(...defined);
}

/**
 * Runs `fetch` with a timeout that covers the wait for headers and then any silence longer than
 * `timeoutMs` while the body streams, so a stalled download fails instead of hanging.
 */
export async function fetchWithTimeout(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(
      () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
      timeoutMs,
    );
    timer.unref?.();
  };
  const disarm = (): void => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
  arm();
  let response: Response;
  try {
    response = await fetchFn(url, { ...init, signal: controller.signal });
  } catch (error) {
    disarm();
    throw controller.signal.aborted && !signal?.aborted ? controller.signal.reason : error;
  }
  if (response.body === null) {
    disarm();
    return response;
  }
  arm();
  const watched = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        arm();
        out.enqueue(chunk);
      },
      flush() {
        disarm();
      },
    }),
  );
  controller.signal.addEventListener("abort", disarm, { once: true });
  return new Response(watched, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

// --- internal ---

async function attempt(
  options: HfHttpOptions,
  url: string,
  req: HfRequest,
  headers: Record<string, string>,
): Promise<HfResponse> {
  const response = await options.send(
    url,
    { method: req.method, headers, ...(req.body === undefined ? {} : { body: req.body }) },
    options.timeoutMs,
    req.signal,
  );
  if ((response.status >= 200 && response.status < 300) || req.expect?.includes(response.status))
    return response;
  let serverMessage: string | undefined = response.headers.get("x-error-message") ?? undefined;
  try {
    const text = await response.text();
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === "string") serverMessage = parsed.error;
  } catch {
    // Not JSON: the status alone says enough.
  }
  throw new StatusFailure(
    response.status,
    retryAfterOf(response.headers),
    response.headers.get("x-error-code"),
    serverMessage?.slice(0, 300),
  );
}
