/**
 * The Hugging Face Storage Bucket backend: metadata through the bucket REST API, bytes through
 * Xet (uploads by src/store/hf/xet: chunking, xorbs and shards of our own) and the `resolve`
 * route (downloads, with ranges).
 *
 * https://huggingface.co/docs/hub/storage-buckets
 */
import { addAbortSignal, Readable } from "node:stream";
import { StoreError, type StoreStalledError, UsageError } from "../../errors.ts";
import { assertStoreKey, joinKey } from "../../layout/store-key.ts";
import { formatStoreUrl } from "../../layout/store-url.ts";
import { createStallWatch, type RetryPolicy } from "../retry.ts";
import type {
  CallOptions,
  CreateOptions,
  ListItem,
  ListOptions,
  ReadOptions,
  Store,
  StoreCapabilities,
  StoreObject,
  WriteItem,
  WriteOutcome,
  WriteOptions,
  WriteResult,
  WriteSource,
} from "../store.ts";
import { runHfBatch } from "./hf-batch.ts";
import type { HfBatchFailure } from "./hf-batch.ts";
import { bucketMissing, redactedCause } from "./hf-errors.ts";
import { createHfHttp, fetchWithTimeout } from "./hf-http.ts";
import type { HfHttp } from "./hf-http.ts";
import { createNodeSender } from "./hf-node-send.ts";
import { fetchSend } from "./hf-response.ts";
import { resolveHfToken } from "./hf-token.ts";
import {
  chunked,
  encodePath,
  isApiBucketFile,
  MAX_PATHS_INFO,
  MAX_TREE_PAGE,
  parseLinkNext,
} from "./hf-wire.ts";
import type { ApiBucketFile } from "./hf-wire.ts";
import { writeHfBatch } from "./hf-write-batch.ts";
import type { HfWriteContext, HfWriteEntry } from "./hf-write-batch.ts";

/** Options of `createHfStore`. */
export interface HfStoreOptions {
  /** Bucket owner (user or organisation). */
  namespace: string;
  /** Bucket name. */
  name: string;
  /** Key prefix inside the bucket ("" for the whole bucket). */
  prefix: string;
  /**
   * Environment: `HF_TOKEN`, `HF_HOME`, `XDG_CACHE_HOME`, `HOME`, `HF_ENDPOINT`; with
   * `NODE_USE_ENV_PROXY=1`, `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` (see hf-node-send.ts).
   */
  env: Record<string, string | undefined>;
  /**
   * Injectable transport: when given, every request (Hub and CAS) goes through it. By default Hub
   * requests go over node:http keep-alive sockets and CAS uploads through `globalThis.fetch`.
   */
  fetch?: typeof fetch;
  /** A token to use instead of the environment's. */
  token?: string;
  /** Hub endpoint. @default env.HF_ENDPOINT, else "https://huggingface.co" */
  endpoint?: string;
  /** Longest wait for an answer (and longest silence inside a streamed body). @default 60_000 */
  timeoutMs?: number;
  /** Retry policy of every request. @default DEFAULT_RETRY_POLICY */
  retry?: Partial<RetryPolicy>;
  /** Entries per tree page (the server caps it at 5000). @default 5000 */
  listPageSize?: number;
  /** Told before each retry; for logs and tests. */
  onRetry?: (event: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Consecutive request timeouts that declare the store stalled. @default STALL_LIMIT */
  stallLimit?: number;
  /** Told once when the store is declared stalled, so the operation can stop all of its work. */
  onStalled?: (error: StoreStalledError) => void;
}

const DEFAULT_ENDPOINT = "https://huggingface.co";
const DEFAULT_TIMEOUT_MS = 60_000;
/**
 * Connections per host: more than any one operation runs at once (fetch and sync fan out to 16),
 * so no request waits for a socket.
 */
const MAX_SOCKETS = 64;
/** Most single writes one shared upload takes. */
const MAX_COALESCED_WRITES = 500;

/** A single write waiting for the next shared upload. */
interface QueuedWrite extends HfWriteEntry {
  resolve: (result: WriteResult) => void;
  reject: (error: unknown) => void;
}

const CAPABILITIES: StoreCapabilities = {
  // The Hub has no conditional add: `ifAbsent` is a paths-info check followed by an add.
  conditionalCreate: false,
  serverSideCopy: true,
  batchDelete: true,
  batchWrite: true,
  listedHashes: ["xet"],
  // The tree route goes on only from its own opaque cursor; it cannot start at a key.
  parallelListing: false,
};

/** A store on `hf://buckets/<namespace>/<name>[/prefix]`. */
export function createHfStore(options: HfStoreOptions): Store {
  const bucket = `${options.namespace}/${options.name}`;
  const endpoint = normaliseEndpoint(options.endpoint ?? options.env.HF_ENDPOINT ?? DEFAULT_ENDPOINT);
  const root = options.prefix;
  const apiPath = `/api/buckets/${bucket}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const sender =
    options.fetch === undefined ? createNodeSender({ maxSockets: MAX_SOCKETS, env: options.env }) : undefined;
  const http: HfHttp = createHfHttp({
    endpoint,
    bucket,
    send: sender?.send ?? fetchSend(fetchFn, fetchWithTimeout),
    timeoutMs,
    retry: options.retry,
    onRetry: options.onRetry,
    stall: createStallWatch({
      store: formatStoreUrl({ kind: "hf", namespace: options.namespace, name: options.name, prefix: root }),
      limit: options.stallLimit,
      timeoutMs,
      onStalled: options.onStalled,
    }),
    token: async () => {
      if (options.token !== undefined) return options.token;
      try {
        return await resolveHfToken({ env: options.env });
      } catch (error) {
        throw new StoreError(`cannot read the Hugging Face token file: ${redactedCause(error).message}`, {
          store: "hf",
          retryable: false,
          code: "E_STORE_AUTH",
          hint: "Fix its permissions, or set HF_TOKEN.",
        });
      }
    },
  });
  // sha256 → Xet hash of bytes this store already uploaded, so the same content written again
  // (e.g. a flat-area file and its per-model copy, in separate calls) is only registered.
  const knownXetHashes = new Map<string, string>();

  const fullKey = (key: string): string => {
    assertStoreKey(key);
    return joinKey(root, key);
  };
  const relativeKey = (path: string): string => (root === "" ? path : path.slice(root.length + 1));
  const toObject = (entry: ApiBucketFile): StoreObject => ({
    key: relativeKey(entry.path),
    size: entry.size,
    xetHash: entry.xetHash,
    ...(entry.mtime !== undefined && !Number.isNaN(Date.parse(entry.mtime))
      ? { lastModified: new Date(entry.mtime) }
      : {}),
  });

  /** paths-info for many full paths, 1000 per call; missing paths are absent from the map. */
  const statPaths = async (
    paths: readonly string[],
    signal?: AbortSignal,
  ): Promise<Map<string, ApiBucketFile>> => {
    const found = new Map<string, ApiBucketFile>();
    for (const group of chunked(paths, MAX_PATHS_INFO)) {
      const { body } = await http.json({
        method: "POST",
        path: `${apiPath}/paths-info`,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ paths: group }),
        access: "read",
        action: group.length === 1 ? `stat "${group[0]}"` : `stat ${group.length} paths`,
        signal,
      });
      if (!Array.isArray(body)) throw invalidAnswer("paths-info", bucket);
      const wanted = new Set(group);
      for (const entry of body) {
        if (isApiBucketFile(entry) && wanted.has(entry.path)) found.set(entry.path, entry);
      }
    }
    return found;
  };

  const bucketExists = async (signal?: AbortSignal): Promise<boolean> => {
    const response = await http.request({
      method: "GET",
      path: apiPath,
      access: "read",
      action: "read bucket info",
      signal,
      expect: [404],
    });
    response.discard();
    return response.status !== 404;
  };

  /** Yields the raw entries of a tree listing, page after page. */
  async function* treePages(path: string, recursive: boolean, signal?: AbortSignal): AsyncGenerator<unknown> {
    const query = `recursive=${recursive}&limit=${Math.min(options.listPageSize ?? MAX_TREE_PAGE, MAX_TREE_PAGE)}`;
    let next: string | null = `${apiPath}/tree${path === "" ? "" : `/${encodePath(path)}`}?${query}`;
    const action = `list "${path}"`;
    while (next !== null) {
      const response = await http.request({
        method: "GET",
        path: next,
        headers: { Accept: "application/json" },
        access: "read",
        action,
        signal,
        expect: [404],
      });
      if (response.status === 404) {
        const code = response.headers.get("x-error-code");
        response.discard();
        // An absent prefix is an empty listing; an absent bucket is an error.
        if (code === "RepoNotFound" || !(await bucketExists(signal))) {
          throw bucketMissing({ bucket, endpoint, access: "read", action });
        }
        return;
      }
      const body: unknown = await response.json().catch(() => null);
      if (!Array.isArray(body)) throw invalidAnswer("tree", bucket);
      yield* body;
      const link = parseLinkNext(response.headers.get("link"));
      next = link === null ? null : new URL(link, next.startsWith("http") ? next : endpoint + next).href;
    }
  }

  const registerFailure = (failures: readonly HfBatchFailure[], verb: string): StoreError => {
    const sample = failures
      .slice(0, 3)
      .map((failure) => `${relativeKey(failure.operation.path)} (${failure.error})`)
      .join(", ");
    return new StoreError(
      `cannot ${verb} ${failures.length} file(s) on hf://buckets/${bucket}: ${sample}${failures.length > 3 ? ", …" : ""}`,
      { store: "hf", retryable: true, hint: "Retry the command; only the failed files are sent again." },
    );
  };

  const writeContext: HfWriteContext = {
    http,
    endpoint,
    bucket,
    apiPath,
    fetch: fetchFn,
    timeoutMs,
    retry: options.retry,
    knownXetHashes,
    toObject,
    statPaths,
    relativeKey,
  };

  const writeMany = async (
    items: readonly WriteItem[],
    writeOptions: WriteOptions = {},
  ): Promise<WriteOutcome[]> => {
    writeOptions.signal?.throwIfAborted();
    // A refused key fails its own item; the others still go out in one batch.
    const outcomes = new Array<WriteOutcome | undefined>(items.length);
    const entries: HfWriteEntry[] = [];
    const positions: number[] = [];
    items.forEach((item, index) => {
      try {
        entries.push({ path: fullKey(item.key), source: item.source, onProgress: writeOptions.onProgress });
        positions.push(index);
      } catch (error) {
        outcomes[index] = { ok: false, error: error as Error };
      }
    });
    let written: Array<WriteResult | Error>;
    try {
      written = await writeHfBatch(entries, writeContext, writeOptions);
    } catch (error) {
      // A failure of the whole call (the ifAbsent check, the batch endpoint): every item shares it.
      if (writeOptions.signal?.aborted) throw error;
      written = entries.map(() => (error instanceof Error ? error : new Error(String(error))));
    }
    written.forEach((outcome, position) => {
      outcomes[positions[position] as number] =
        outcome instanceof Error ? { ok: false, error: outcome } : { ok: true, result: outcome };
    });
    return outcomes as WriteOutcome[];
  };

  // Single writes that arrive together (callers fanning out with bounded concurrency) share one
  // Xet upload and one registration batch: one upload session per object would cost a token
  // fetch, a dedup query, a xorb, a shard and a batch call each. Writes group by their signal
  // and `ifAbsent`, so an abort only ever ends the writes that asked for it.
  const queued = new Map<string, { signal?: AbortSignal; ifAbsent: boolean; waiting: QueuedWrite[] }>();
  const signalIds = new WeakMap<AbortSignal, number>();
  let nextSignalId = 1;
  let flushScheduled = false;
  const flush = (): void => {
    flushScheduled = false;
    const groups = [...queued.values()];
    queued.clear();
    for (const group of groups) {
      for (const part of chunked(group.waiting, MAX_COALESCED_WRITES)) {
        writeHfBatch(part, writeContext, { ifAbsent: group.ifAbsent, signal: group.signal }).then(
          (outcomes) =>
            outcomes.forEach((outcome, index) => {
              const waiter = part[index] as QueuedWrite;
              if (outcome instanceof Error) waiter.reject(outcome);
              else waiter.resolve(outcome);
            }),
          (error: unknown) => part.forEach((waiter) => waiter.reject(error)),
        );
      }
    }
  };
  const enqueueWrite = (
    path: string,
    source: WriteSource,
    writeOptions: WriteOptions,
  ): Promise<WriteResult> => {
    writeOptions.signal?.throwIfAborted();
    const { signal } = writeOptions;
    let signalId = 0;
    if (signal !== undefined) {
      signalId = signalIds.get(signal) ?? nextSignalId++;
      signalIds.set(signal, signalId);
    }
    const groupKey = `${writeOptions.ifAbsent === true}:${signalId}`;
    const group = queued.get(groupKey) ?? { signal, ifAbsent: writeOptions.ifAbsent === true, waiting: [] };
    queued.set(groupKey, group);
    const done = new Promise<WriteResult>((resolve, reject) => {
      group.waiting.push({ path, source, onProgress: writeOptions.onProgress, resolve, reject });
    });
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
    return done;
  };

  const deleteMany = async (keys: readonly string[], options: CallOptions = {}): Promise<void> => {
    const paths = [...new Set(keys.map(fullKey))];
    if (paths.length === 0) return;
    const failures = await runHfBatch(
      paths.map((path) => ({ type: "deleteFile", path })),
      { http, apiPath, signal: options.signal },
    );
    if (failures.length === 0) return;
    // A delete the server refused for a path that is gone anyway (e.g. already deleted) succeeded.
    const present = await statPaths(
      failures.map((failure) => failure.operation.path),
      options.signal,
    );
    const real = failures.filter((failure) => present.has(failure.operation.path));
    if (real.length > 0) throw registerFailure(real, "delete");
  };

  return {
    kind: "hf",
    url: formatStoreUrl({ kind: "hf", namespace: options.namespace, name: options.name, prefix: root }),
    capabilities: CAPABILITIES,

    async *list(prefix: string, listOptions: ListOptions = {}): AsyncIterable<ListItem> {
      const recursive = listOptions.recursive ?? true;
      const base = prefix === "" ? root : fullKey(prefix);
      const under = base === "" ? "" : `${base}/`;
      const dirs = new Set<string>();
      let listedItself = false;
      let yielded = 0;
      const entries = (path: string): AsyncGenerator<unknown> =>
        treePages(path, recursive, listOptions.signal);
      // The tree route matches its prefix as a raw string, so "a" also returns "ab/…": only
      // paths below `base + "/"` are kept.
      // A server that groups "a" itself as a directory of its parent (S3-style delimiter
      // semantics) is asked again with the trailing slash.
      const passes = base === "" ? [""] : [base, under];
      for (const [index, pass] of passes.entries()) {
        if (index > 0 && (!listedItself || yielded > 0)) break;
        for await (const raw of entries(pass)) {
          const entry = raw as { type?: unknown; path?: unknown };
          if (typeof entry.path !== "string") continue;
          if (entry.type === "directory" && entry.path === base) listedItself = true;
          if (!entry.path.startsWith(under)) continue;
          const rest = entry.path.slice(under.length);
          if (rest === "") continue;
          const slash = rest.indexOf("/");
          if (recursive) {
            if (isApiBucketFile(raw)) {
              yielded++;
              yield { type: "file", ...toObject(raw) };
            }
            continue;
          }
          if (slash === -1 && isApiBucketFile(raw)) {
            yielded++;
            yield { type: "file", ...toObject(raw) };
            continue;
          }
          const dir = slash === -1 ? rest : rest.slice(0, slash);
          if (dirs.has(dir)) continue;
          dirs.add(dir);
          yielded++;
          yield { type: "dir", key: relativeKey(`${under}${dir}`) };
        }
      }
    },

    async stat(key, callOptions = {}) {
      const path = fullKey(key);
      const entry = (await statPaths([path], callOptions.signal)).get(path);
      return entry === undefined ? null : toObject(entry);
    },

    async read(key, readOptions: ReadOptions = {}) {
      const path = fullKey(key);
      const range = readOptions.range;
      if (range !== undefined && range.length <= 0) {
        const object = await this.stat(key, readOptions);
        return object === null ? null : Readable.from([]);
      }
      const action = `read "${path}"`;
      const response = await http.request({
        method: "GET",
        path: `/buckets/${bucket}/resolve/${encodePath(path)}`,
        headers:
          range === undefined ? {} : { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` },
        access: "read",
        action,
        signal: readOptions.signal,
        expect: [404, 416],
      });
      if (response.status === 404) {
        const code = response.headers.get("x-error-code");
        response.discard();
        if (code === "RepoNotFound") throw bucketMissing({ bucket, endpoint, access: "read", action });
        return null;
      }
      if (response.status === 416) {
        response.discard();
        return Readable.from([]);
      }
      // An abort after the headers must fail the body with an AbortError, not a socket error.
      const body =
        readOptions.signal === undefined ? response.body : addAbortSignal(readOptions.signal, response.body);
      // A server that ignores Range answers 200 with the whole body: cut the range out here.
      if (range !== undefined && response.status === 200) return Readable.from(sliceStream(body, range));
      return body;
    },

    async write(key, source, writeOptions = {}) {
      return enqueueWrite(fullKey(key), source, writeOptions);
    },

    writeMany,

    async copy(fromKey, toKey, callOptions = {}) {
      const from = fullKey(fromKey);
      const to = fullKey(toKey);
      const source = (await statPaths([from], callOptions.signal)).get(from);
      if (source === undefined) return null;
      if (from !== to) {
        const failures = await runHfBatch(
          [
            {
              type: "copyFile",
              path: to,
              xetHash: source.xetHash,
              sourceRepoType: "bucket",
              sourceRepoId: bucket,
              mtime: Date.now(),
            },
          ],
          { http, apiPath, signal: callOptions.signal },
        );
        if (failures.length > 0) throw registerFailure(failures, "copy");
      }
      return { key: relativeKey(to), size: source.size, xetHash: source.xetHash };
    },

    async delete(key, callOptions = {}) {
      await deleteMany([key], callOptions);
    },

    deleteMany,

    exists: (callOptions = {}) => bucketExists(callOptions.signal),

    async create(createOptions: CreateOptions = {}) {
      const response = await http.request({
        method: "POST",
        path: apiPath,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(createOptions.private === undefined ? {} : { private: createOptions.private }),
        access: "write",
        action: "create the bucket",
        signal: createOptions.signal,
        expect: [409],
        // A create that timed out may have happened: the retry then sees 409, which is the same answer.
        retry: true,
      });
      response.discard();
      return { created: response.status !== 409 };
    },

    async close() {
      knownXetHashes.clear();
      sender?.close();
    },
  };
}

// --- internal ---

function normaliseEndpoint(value: string): string {
  const trimmed = value.trim().replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new UsageError(`Invalid Hugging Face endpoint ${JSON.stringify(value)}: it is not a URL.`, {
      hint: "Set HF_ENDPOINT to a URL such as https://huggingface.co, or unset it.",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(
      `Invalid Hugging Face endpoint ${JSON.stringify(value)}: only http(s) is supported.`,
      {
        hint: "Set HF_ENDPOINT to a URL such as https://huggingface.co, or unset it.",
      },
    );
  }
  return trimmed;
}

function invalidAnswer(route: string, bucket: string): StoreError {
  return new StoreError(`hf://buckets/${bucket}: the ${route} answer is not a JSON array`, {
    store: "hf",
    retryable: true,
  });
}

async function* sliceStream(
  body: Readable,
  range: { offset: number; length: number },
): AsyncGenerator<Buffer> {
  let position = 0;
  const end = range.offset + range.length;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const start = position;
      position += chunk.length;
      if (position <= range.offset) continue;
      yield chunk.subarray(Math.max(0, range.offset - start), Math.min(chunk.length, end - start));
      if (position >= end) return;
    }
  } finally {
    body.destroy();
  }
}
