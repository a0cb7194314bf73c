/**
 * The Xet CAS calls of an upload (xet-core `spec/api.md`): a write token from the Hub, then xorb
 * and shard POSTs to the CAS it names. Both POSTs are idempotent by content hash, so every
 * failure worth retrying is retried; an expired or refused CAS token is fetched anew once.
 */
import { NeffCacheError, StoreError } from "../../../errors.ts";
import { isRetryableStatus, withRetry } from "../../retry.ts";
import type { RetryPolicy } from "../../retry.ts";
import { hfNetworkError, hfStatusError, redactSecrets } from "../hf-errors.ts";
import type { HfErrorContext } from "../hf-errors.ts";
import { classifyFailure, fetchWithTimeout, retryAfterOf } from "../hf-http.ts";
import type { HfHttp } from "../hf-http.ts";

/** Options of {@link createXetCasClient}. */
export interface XetCasClientOptions {
  /** The store's Hub client: fetches the write token. */
  http: HfHttp;
  /** `/api/buckets/{ns}/{name}`. */
  apiPath: string;
  /** `namespace/name`, for messages. */
  bucket: string;
  fetch: typeof fetch;
  /** Longest wait for an answer. */
  timeoutMs: number;
  retry?: Partial<RetryPolicy>;
  /** Clock for token expiry, in ms. @default Date.now */
  now?: () => number;
}

/** Uploads to the CAS of one bucket. */
export interface XetCasClient {
  /** `POST /v1/xorbs/default/{hash}`; resolves once the CAS holds the xorb. */
  uploadXorb(hash: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** `POST /v1/shards`; every xorb the shard names must be stored first. */
  uploadShard(bytes: Uint8Array, signal?: AbortSignal): Promise<void>;
  /**
   * `GET /v1/chunks/default-merkledb/{hash}`, the global-dedup query: the bytes of a shard whose CAS
   * section lists stored xorbs holding the chunk, or null when the CAS knows none (404). Dedup only
   * saves bytes, so a query that fails for any other cause is also null: the upload goes on and
   * sends the chunks, and the xorb POST that follows reports a lasting fault in full.
   */
  queryChunk(hash: string, signal?: AbortSignal): Promise<Uint8Array | null>;
}

/** A token is renewed this long before the expiry the Hub gave. */
const TOKEN_MARGIN_MS = 60_000;

/** Creates the client; the write token is fetched on the first upload and kept until near its expiry. */
export function createXetCasClient(options: XetCasClientOptions): XetCasClient {
  const now = options.now ?? Date.now;
  let token: Promise<CasToken> | undefined;
  const secrets: string[] = [];

  let expiresAt = Number.POSITIVE_INFINITY;
  const writeToken = (signal: AbortSignal | undefined): Promise<CasToken> => {
    // Renewed ahead of its expiry; a fresh token is used as it comes, whatever its expiry.
    if (expiresAt - TOKEN_MARGIN_MS < now()) token = undefined;
    token ??= fetchWriteToken(options, signal).then(
      (fetched) => {
        secrets.push(fetched.accessToken);
        expiresAt = fetched.expiresAt;
        return fetched;
      },
      (error: unknown) => {
        token = undefined;
        expiresAt = Number.POSITIVE_INFINITY;
        throw error;
      },
    );
    return token;
  };

  const send = async (
    method: "GET" | "POST",
    path: string,
    bytes: Uint8Array | null,
    action: string,
    signal?: AbortSignal,
  ): Promise<Uint8Array | null> => {
    const context: HfErrorContext = {
      bucket: options.bucket,
      endpoint: options.http.endpoint,
      access: "write",
      action,
    };
    let renewed = false;
    try {
      return await withRetry(
        async () => {
          const current = await writeToken(signal);
          const headers: Record<string, string> = { Authorization: `Bearer ${current.accessToken}` };
          const init: RequestInit & { duplex?: "half" } = { method, headers };
          if (bytes !== null) {
            headers["Content-Type"] = "application/octet-stream";
            headers["Content-Length"] = String(bytes.length);
            init.body = streamOf(bytes);
            init.duplex = "half";
          }
          const response = await fetchWithTimeout(
            options.fetch,
            current.casUrl + path,
            init,
            options.timeoutMs,
            signal,
          );
          if (response.ok) return new Uint8Array(await response.arrayBuffer());
          const text = await response.text();
          if (response.status === 404 && method === "GET") return null;
          if (response.status === 401 && !renewed) {
            // Expired or revoked early: one new token, then the answer stands.
            renewed = true;
            token = undefined;
          }
          throw new CasStatusFailure(response.status, retryAfterOf(response.headers), serverMessageOf(text));
        },
        {
          signal,
          policy: options.retry,
          classify: (error) =>
            error instanceof CasStatusFailure
              ? {
                  retry: isRetryableStatus(error.status) || (error.status === 401 && token === undefined),
                  retryAfterMs: error.retryAfterMs,
                }
              : classifyFailure(error),
          stall: options.http.stall,
        },
      );
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      // The token request's own failures (a missing bucket, a refused token) are mapped already.
      if (error instanceof NeffCacheError) throw error;
      if (error instanceof CasStatusFailure) {
        throw hfStatusError(error.status, context, {
          serverMessage:
            error.serverMessage === undefined ? undefined : redactSecrets(error.serverMessage, secrets),
        });
      }
      throw hfNetworkError(context, error, secrets);
    }
  };

  return {
    uploadXorb: async (hash, bytes, signal) => {
      await send("POST", `/v1/xorbs/default/${hash}`, bytes, `upload xorb ${hash.slice(0, 12)}`, signal);
    },
    uploadShard: async (bytes, signal) => {
      await send("POST", "/v1/shards", bytes, "register uploaded files (shard)", signal);
    },
    queryChunk: async (hash, signal) => {
      try {
        return await send("GET", `/v1/chunks/default-merkledb/${hash}`, null, "query global dedup", signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        return null;
      }
    },
  };
}

// --- internal ---

interface CasToken {
  accessToken: string;
  /** CAS base URL, no trailing slash. */
  casUrl: string;
  /** Unix ms. */
  expiresAt: number;
}

/** A non-2xx CAS answer inside one attempt. */
class CasStatusFailure extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  readonly serverMessage: string | undefined;
  constructor(status: number, retryAfterMs: number | undefined, serverMessage: string | undefined) {
    super(`HTTP ${status}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    this.serverMessage = serverMessage;
  }
}

// https://huggingface.co/docs/hub/storage-buckets: GET /api/buckets/{ns}/{name}/xet-write-token
async function fetchWriteToken(
  options: XetCasClientOptions,
  signal: AbortSignal | undefined,
): Promise<CasToken> {
  const { body } = await options.http.json({
    method: "GET",
    path: `${options.apiPath}/xet-write-token`,
    access: "write",
    action: "get a Xet write token",
    signal,
  });
  const fields = (body ?? {}) as { accessToken?: unknown; casUrl?: unknown; exp?: unknown };
  if (
    typeof fields.accessToken !== "string" ||
    typeof fields.casUrl !== "string" ||
    !/^https?:\/\//.test(fields.casUrl) ||
    typeof fields.exp !== "number"
  ) {
    throw new StoreError(
      `cannot upload to hf://buckets/${options.bucket}: ${options.http.endpoint} answered the Xet write token request without accessToken, casUrl and exp`,
      { store: "hf", retryable: false },
    );
  }
  return {
    accessToken: fields.accessToken,
    casUrl: fields.casUrl.replace(/\/+$/, ""),
    expiresAt: fields.exp * 1000,
  };
}

/**
 * The bytes as a stream of views. fetch copies a typed-array body whole before sending it (+16 MiB
 * of garbage per xorb, measured as a third of the upload's GC time); a stream is sent as it is.
 */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  // A default stream, not a byte stream: a byte stream would transfer (detach) the buffer.
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      const end = Math.min(bytes.length, at + STREAM_PIECE_BYTES);
      controller.enqueue(bytes.subarray(at, end));
      at = end;
    },
  });
}

const STREAM_PIECE_BYTES = 1024 * 1024;

function serverMessageOf(text: string): string | undefined {
  if (text === "") return undefined;
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === "string") return parsed.error.slice(0, 300);
    if (typeof parsed.message === "string") return parsed.message.slice(0, 300);
  } catch {
    // Not JSON: the text itself.
  }
  return text.slice(0, 300);
}
