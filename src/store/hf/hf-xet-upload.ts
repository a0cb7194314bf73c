/**
 * Uploads bytes to the Xet storage of a bucket through `@huggingface/hub` (chunking, dedup,
 * xorbs and shards) and returns each file's Xet hash WITHOUT registering any path: the store
 * registers paths itself, in large batches, with partial-failure handling the library lacks.
 */
import { openAsBlob } from "node:fs";
import { addAbortSignal, Readable } from "node:stream";
import { StoreError } from "../../errors.ts";
import { isAbortError } from "../../errors.ts";
import type { RetryPolicy } from "../retry.ts";
import { DEFAULT_RETRY_POLICY, retryDelayMs } from "../retry.ts";
import type { WriteSource } from "../store.ts";
import { hfStatusError, redactedCause, redactSecrets } from "./hf-errors.ts";
import type { HfErrorContext } from "./hf-errors.ts";
import { classifyFailure, fetchWithTimeout, retryAfterOf } from "./hf-http.ts";

export interface XetUploadItem {
  /** Full bucket path; only used to name the file inside the upload. */
  path: string;
  source: WriteSource;
}

export interface UploadXetOptions {
  endpoint: string;
  /** `namespace/name`. */
  bucket: string;
  token: string | undefined;
  fetch: typeof fetch;
  timeoutMs: number;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Bytes of one item moved since its previous event. */
  onProgress?: (path: string, bytes: number) => void;
}

/**
 * Uploads the items' bytes and resolves with `path → xetHash`. Identical content inside one call
 * is chunked and sent once (the library's chunk cache); the caller passes each unique content once.
 */
export async function uploadXetContents(
  items: readonly XetUploadItem[],
  options: UploadXetOptions,
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  if (items.length === 0) return hashes;
  options.signal?.throwIfAborted();
  const context: HfErrorContext = {
    bucket: options.bucket,
    endpoint: options.endpoint,
    access: "write",
    action: `upload ${items.length} file(s)`,
  };
  const batchUrl = `${options.endpoint}/api/buckets/${options.bucket}/batch`;
  const libraryFetch = createLibraryFetch(
    options,
    (body) => {
      for (const line of body.split("\n")) {
        if (line.trim() === "") continue;
        const op = JSON.parse(line) as { type?: string; path?: string; xetHash?: string };
        if (op.type === "addFile" && typeof op.path === "string" && typeof op.xetHash === "string") {
          hashes.set(op.path, op.xetHash);
        }
      }
    },
    batchUrl,
  );

  const sizes = new Map(items.map((item) => [item.path, item.source.size]));
  const seen = new Map<string, number>();
  try {
    const hub = await import("@huggingface/hub");
    const operations = await Promise.all(
      items.map(async (item) => ({
        operation: "addOrUpdate" as const,
        path: item.path,
        content: await blobOf(item.source, options.signal),
      })),
    );
    for await (const event of hub.commitIter({
      title: "upload",
      repo: { type: "bucket", name: options.bucket },
      operations,
      hubUrl: options.endpoint,
      accessToken: options.token,
      fetch: libraryFetch,
      abortSignal: options.signal,
    })) {
      if (event.event !== "fileProgress" || options.onProgress === undefined) continue;
      const size = sizes.get(event.path) ?? 0;
      const done = Math.round(Math.min(1, event.progress) * size);
      const before = seen.get(event.path) ?? 0;
      if (done > before) {
        seen.set(event.path, done);
        options.onProgress(event.path, done - before);
      }
    }
  } catch (error) {
    throw mapLibraryError(error, context, options.token, options.signal);
  }
  const missing = items.filter((item) => !hashes.has(item.path));
  if (missing.length > 0) {
    throw new StoreError(
      `cannot upload to hf://buckets/${options.bucket}: no Xet hash came back for ${missing.length} file(s), e.g. ${missing[0]?.path}`,
      { store: "hf", retryable: true },
    );
  }
  return hashes;
}

/**
 * The `fetch` given to the library. It answers the library's own `/batch` call locally (we
 * register paths ourselves), and retries the library's other requests — token fetches, dedup
 * queries, xorb and shard uploads, all idempotent by content hash — on 429/5xx and resets.
 */
export function createLibraryFetch(
  options: Pick<UploadXetOptions, "fetch" | "timeoutMs" | "retry">,
  onBatch: (body: string) => void,
  batchUrl: string,
): typeof fetch {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  return async (input, init = {}) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url === batchUrl && (init.method ?? "GET").toUpperCase() === "POST") {
      onBatch(typeof init.body === "string" ? init.body : "");
      return new Response(JSON.stringify({ success: true, processed: 0, succeeded: 0, failed: [] }), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }
    const replayable =
      init.body === undefined ||
      init.body === null ||
      typeof init.body === "string" ||
      init.body instanceof Uint8Array ||
      init.body instanceof ArrayBuffer ||
      init.body instanceof Blob;
    const signal = init.signal ?? undefined;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const response = await fetchWithTimeout(options.fetch, url, init, options.timeoutMs, signal);
        const canRetry = replayable && attempt < policy.maxAttempts && classifyStatus(response.status);
        if (!canRetry) return response;
        retryAfterMs = retryAfterOf(response.headers);
        await response.body?.cancel();
      } catch (error) {
        if (signal?.aborted || !replayable || attempt >= policy.maxAttempts || !classifyFailure(error).retry)
          throw error;
      }
      const delay = retryDelayMs(attempt, policy, retryAfterMs, Math.random);
      if (Date.now() - started + delay > policy.maxTotalMs) {
        // Out of time: one last attempt decides.
        return fetchWithTimeout(options.fetch, url, init, options.timeoutMs, signal);
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delay);
        signal?.addEventListener(
          "abort",
          () => {
            clearTimeout(timer);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    }
  };
}

/**
 * A Blob the library can stream: the file itself when there is one (read lazily from disk by
 * Node), otherwise the source's stream. Neither holds the content in memory.
 */
export async function blobOf(source: WriteSource, signal?: AbortSignal): Promise<Blob> {
  if (source.filePath !== undefined) {
    const blob = await openAsBlob(source.filePath);
    if (blob.size === source.size) return blob;
  }
  return new SourceBlob(source, signal);
}

// --- internal ---

/** A Blob whose bytes come from `WriteSource.open()`, opened anew on each `stream()`. */
class SourceBlob extends Blob {
  readonly writeSource: WriteSource;
  readonly signal: AbortSignal | undefined;
  constructor(source: WriteSource, signal: AbortSignal | undefined) {
    super([]);
    this.writeSource = source;
    this.signal = signal;
  }
  override stream(): ReadableStream<Uint8Array> {
    const readable = this.writeSource.open();
    // The library only checks its signal between reads: a source that stalls after an abort
    // would otherwise keep the upload waiting forever.
    if (this.signal !== undefined) addAbortSignal(this.signal, readable);
    return Readable.toWeb(readable) as ReadableStream<Uint8Array>;
  }
  override async arrayBuffer(): Promise<ArrayBuffer> {
    return new Response(this.stream()).arrayBuffer();
  }
  override slice(): Blob {
    throw new Error("a streamed write source cannot be sliced");
  }
}

// Blob declares `size` as a property in TypeScript but implements it as a prototype getter.
Object.defineProperty(SourceBlob.prototype, "size", {
  get(this: SourceBlob): number {
    return this.writeSource.size;
  },
});

function classifyStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

function mapLibraryError(
  error: unknown,
  context: HfErrorContext,
  token: string | undefined,
  signal: AbortSignal | undefined,
): Error {
  if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : (error as Error);
  if (error instanceof StoreError || isAbortError(error)) return error as Error;
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === "number") {
    return hfStatusError(status, context, {
      serverMessage: redactSecrets(String((error as Error).message ?? ""), [token]).replace(
        /\. URL: .*$/,
        "",
      ),
      cause: redactedCause(error, [token]),
    });
  }
  if (error instanceof TypeError && /access token must start with 'hf_'/.test(error.message)) {
    return new StoreError(
      `cannot ${context.action} on hf://buckets/${context.bucket}: the token is not a Hugging Face access token (they start with "hf_"); set HF_TOKEN or run \`hf auth login\``,
      { store: "hf", retryable: false, code: "E_STORE_AUTH" },
    );
  }
  const cause = redactedCause(error, [token]);
  if (classifyFailure(error).retry) {
    return new StoreError(
      `cannot ${context.action} on hf://buckets/${context.bucket}: request to ${context.endpoint} failed (${cause.message})`,
      { store: "hf", retryable: true, code: "E_STORE_UNREACHABLE", cause },
    );
  }
  return new StoreError(`cannot ${context.action} on hf://buckets/${context.bucket}: ${cause.message}`, {
    store: "hf",
    retryable: false,
    cause,
  });
}
