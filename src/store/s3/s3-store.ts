/**
 * A store in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO, R2, Hugging Face's S3 gateway).
 * The requests go through one transport chosen once per store (s3-settings.ts): the AWS SDK's,
 * or the fast one for custom endpoints with static keys; both share one socket pool. Here, once
 * for both: keys under the store's prefix, retries, error wording, conditional creates,
 * multipart uploads and progress. Opening a store sends nothing and loads no SDK.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { addAbortSignal, pipeline, Readable, Transform } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { isAbortError, StoreError, StoreStalledError } from "../../errors.ts";
import { assertStoreKey, joinKey, storeKeyProblem } from "../../layout/store-key.ts";
import { collectListing, mapLimit } from "../store-ops.ts";
import { isAbandonedUpload } from "../abandoned-upload.ts";
import { createStallWatch, type RetryPolicy, withRetry } from "../retry.ts";
import type {
  CallOptions,
  CreateOptions,
  ListItem,
  ListOptions,
  ReadOptions,
  Store,
  StoreCapabilities,
  StoreObject,
  TransferProgress,
  WriteOptions,
  WriteResult,
  WriteSource,
} from "../store.ts";
import { classifyS3Error, mapS3Error, S3ResponseError, s3ErrorName } from "./s3-error.ts";
import { resolveS3Settings, type S3Settings, type S3TransportChoice } from "./s3-settings.ts";
import { MAX_DELETE_BATCH, type S3Transport, type UploadAnswer } from "./s3-transport.ts";

export interface S3StoreOptions {
  /** Bucket name. */
  bucket: string;
  /** Key prefix inside the bucket that the store's keys live under ("" for the whole bucket). @default "" */
  prefix?: string;
  /**
   * Where AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE
   * static credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and
   * NEFF_CACHE_S3_TRANSPORT are read. Without static credentials the SDK's standard provider
   * chain runs (it reads process.env and the AWS files itself). @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** A ready client; the store then leaves endpoint, credentials and sockets to it. */
  client?: S3Client;
  /**
   * Which transport sends the requests; beats NEFF_CACHE_S3_TRANSPORT. `auto`: the fast one on
   * a custom endpoint with static keys, the SDK's otherwise. @default "auto"
   */
  transport?: S3TransportChoice;
  /** Endpoint URL; beats the environment. */
  endpoint?: string;
  /** Largest number of open sockets to the endpoint. @default S3_DEFAULTS.maxSockets */
  maxSockets?: number;
  /** A request that moves no byte for this long fails (and is retried). @default S3_DEFAULTS.idleTimeoutMs */
  idleTimeoutMs?: number;
  /** Time allowed to open a connection. @default S3_DEFAULTS.connectTimeoutMs */
  connectTimeoutMs?: number;
  /** Retry policy for every request. */
  retry?: Partial<RetryPolicy>;
  /** Objects larger than this go up in parts. @default MULTIPART_THRESHOLD */
  multipartThreshold?: number;
  /** Size of one part of a multipart upload. @default PART_SIZE */
  partSize?: number;
  /** Told before each retry (for logs). */
  onRetry?: (event: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Consecutive request timeouts that declare the store stalled. @default STALL_LIMIT */
  stallLimit?: number;
  /** Told once when the store is declared stalled, so the operation can stop all of its work. */
  onStalled?: (error: StoreStalledError) => void;
  /**
   * Multipart uploads under the prefix initiated this long ago are a killed writer's and are
   * aborted by the store's first write. @default ABANDONED_UPLOAD_MS
   */
  abandonedUploadMs?: number;
}

/**
 * How long `close()` lets the sweep of abandoned uploads finish (one listing and an abort per
 * upload); a run that ends sooner leaves the rest to the next run.
 */
const SWEEP_GRACE_MS = 5_000;

/**
 * Single PUT up to 1 GiB. Measured on Ceph RGW 16 (client and server on one 2-core machine,
 * file source, medians are noisy under load): 64 MiB single 0.46 s vs 4×16 MiB parts 0.61 s;
 * 256 MiB single 1.7–2.4 s vs 4 parallel parts of 16/32/64 MiB 1.4–1.8 s; 1 GiB single 6.7 s
 * vs 4×16 MiB 8.2 s, 4×32 MiB 8.8 s, 4×64 MiB 6.6 s. Earlier runs put 8 MiB parts at 1.7× a
 * single PUT for 50 MiB. Parts only pay off where a single request may not go (5 GiB) or
 * where resuming matters, so they start above 1 GiB.
 */
export const MULTIPART_THRESHOLD = 1024 * 1024 * 1024;
/** 64 MiB parts: as fast as a single PUT on RGW and at most 80 000 parts below S3's 5 TiB cap. */
export const PART_SIZE = 64 * 1024 * 1024;
/** Parts in flight when the source is a file (ranged reads); a stream source goes one part at a time. */
const PART_CONCURRENCY = 4;
/** Above this size, an `ifAbsent` write asks HEAD first rather than send the bytes for a likely 412. */
const PRECHECK_ABOVE = 1024 * 1024;

const CAPABILITIES: StoreCapabilities = {
  // Atomic through If-None-Match for single PUTs (all sizes up to MULTIPART_THRESHOLD). Above it,
  // the key is checked first and CompleteMultipartUpload carries If-None-Match, which AWS honours
  // but Ceph RGW ignores: there, two writers racing on one multi-GiB key may both report created.
  conditionalCreate: true,
  serverSideCopy: true,
  batchDelete: true,
  batchWrite: false,
  listedHashes: ["md5", "etag"],
  // ListObjectsV2's start-after begins a listing at any key.
  parallelListing: true,
};

/** Opens an S3 store. No SDK is loaded and no request is sent until the first call. */
export function createS3Store(options: S3StoreOptions): Store {
  const env = options.env ?? process.env;
  const settings = resolveS3Settings(
    {
      bucket: options.bucket,
      endpoint: options.endpoint,
      transport: options.transport,
      maxSockets: options.maxSockets,
      idleTimeoutMs: options.idleTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      hasClient: options.client !== undefined,
    },
    env,
  );
  const { bucket, endpoint } = settings;
  const rootPrefix = options.prefix ?? "";
  if (rootPrefix !== "") assertStoreKey(rootPrefix);
  const threshold = options.multipartThreshold ?? MULTIPART_THRESHOLD;
  const partSize = options.partSize ?? PART_SIZE;
  const url = `s3://${bucket}${rootPrefix === "" ? "" : `/${rootPrefix}`}`;
  const stall = createStallWatch({
    store: url,
    limit: options.stallLimit,
    timeoutMs: settings.idleTimeoutMs,
    onStalled: options.onStalled,
  });

  // One socket pool and one transport, made on the first request.
  let pool: HttpAgent | HttpsAgent | undefined;
  let transportPromise: Promise<S3Transport> | undefined;
  const transport = (): Promise<S3Transport> => {
    transportPromise ??= openTransport(settings, options.client, (agent) => (pool = agent)).catch(
      (error: unknown) => {
        transportPromise = undefined;
        throw error;
      },
    );
    return transportPromise;
  };

  const fullKey = (key: string): string => joinKey(rootPrefix, key);
  const relKey = (full: string): string | null => {
    if (rootPrefix === "") return full;
    return full.startsWith(`${rootPrefix}/`) ? full.slice(rootPrefix.length + 1) : null;
  };

  const renewingCredentials = settings.staticCredentials === undefined;
  /** Runs one request with retries; failures come out mapped to our errors. */
  const call = async <T>(
    action: string,
    key: string | undefined,
    signal: AbortSignal | undefined,
    fn: (t: S3Transport, attempt: number) => Promise<T>,
  ): Promise<T> => {
    try {
      return await withRetry(async (attempt) => fn(await transport(), attempt), {
        signal,
        policy: options.retry,
        classify: (error) =>
          isAbortError(error) && signal?.aborted
            ? { retry: false }
            : classifyS3Error(error, Date.now(), { renewingCredentials }),
        onRetry: options.onRetry,
        stall,
      });
    } catch (error) {
      throw toStoreFailure(error, signal, {
        bucket,
        key: key === undefined ? undefined : fullKey(key),
        endpoint,
        action,
      });
    }
  };

  const head = async (key: string, signal?: AbortSignal): Promise<StoreObject | null> => {
    const out = await call("stat", key, signal, (t) => t.head(fullKey(key), signal));
    return out === null ? null : toObject(key, out.size, out.etag, out.lastModified);
  };

  const putSingle = async (
    key: string,
    source: WriteSource,
    writeOptions: WriteOptions,
  ): Promise<WriteResult> => {
    const { signal, ifAbsent = false } = writeOptions;
    const progress = progressReporter(writeOptions.onProgress);
    const inMemory = source.bytes;
    try {
      const out = await call("write", key, signal, async (t) => {
        // A known SHA-256 is signed, so the server itself refuses a body damaged on the way.
        const put = (body: Readable | Uint8Array) =>
          t.put({ key: fullKey(key), body, size: source.size, ifAbsent, sha256: source.sha256 }, signal);
        if (inMemory === undefined) {
          if (source.sha256 !== undefined) return sendWithBody(progress.wrap(source.open()), put);
          // No hash to sign: the answer's ETag must be the MD5 of what was sent.
          const witness = md5Witness(progress.wrap(source.open()));
          const answer = await sendWithBody(witness.body, put);
          const problem = etagProblem(answer, witness.digest());
          if (problem !== null) {
            // Our PUT (If-None-Match: * when ifAbsent) made this object: drop it, or the retry
            // would meet a 412 and take the damaged bytes for an existing object.
            if (ifAbsent) await t.deleteMany([fullKey(key)], signal);
            throw new S3ResponseError(400, "BadDigest", problem);
          }
          return answer;
        }
        // Bytes in memory go with the headers in one write (the fast transport) and are
        // reported once sent.
        const written = await put(inMemory);
        progress.report(0, inMemory.length);
        return written;
      });
      return { object: toObject(key, source.size, out.etag), created: true };
    } catch (error) {
      // 412: the key exists. (Should a first attempt land but its answer be lost, the retry gets
      // 412 for our own bytes and reports created: false; the object is still whole and correct.)
      if (ifAbsent && error instanceof StoreError && error.status === 412) {
        const existing = await head(key, signal);
        if (existing !== null) return { object: existing, created: false };
      }
      throw error;
    }
  };

  /** Uploads this store began: never a killed writer's, whatever their age. */
  const ownUploads = new Set<string>();
  const sweepController = new AbortController();
  let sweep: Promise<void> | undefined;
  /**
   * Aborts the multipart uploads under the prefix that killed writers left (their parts are
   * billed and invisible to listings). Bookkeeping: a failure (no permission to list uploads, a
   * store that does not support it) costs this run nothing and is tried again by the next.
   */
  const sweepAbandonedUploads = async (): Promise<void> => {
    const signal = sweepController.signal;
    const now = Date.now();
    const prefix = rootPrefix === "" ? undefined : `${rootPrefix}/`;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await call("list the unfinished uploads of", undefined, signal, (t) =>
        t.listMultipartUploads({ prefix, keyMarker, uploadIdMarker }, signal),
      );
      for (const upload of page.uploads) {
        if (ownUploads.has(upload.uploadId) || upload.initiated === undefined) continue;
        if (!isAbandonedUpload(upload.initiated.getTime(), now, options.abandonedUploadMs)) continue;
        await call("abort the abandoned upload of", relKey(upload.key) ?? undefined, signal, (t) =>
          t.abortMultipart(upload.key, upload.uploadId, signal),
        );
      }
      if (!page.isTruncated || page.nextKeyMarker === undefined) return;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
  };

  const putMultipart = async (
    key: string,
    source: WriteSource,
    writeOptions: WriteOptions,
  ): Promise<WriteResult> => {
    const { signal, ifAbsent = false } = writeOptions;
    const progress = progressReporter(writeOptions.onProgress);
    const Key = fullKey(key);
    const { uploadId } = await call("start an upload of", key, signal, (t) => t.createMultipart(Key, signal));
    ownUploads.add(uploadId);
    const abortUpload = async (): Promise<void> => {
      // Without the caller's (possibly aborted) signal: the upload's parts must not linger.
      await call("abort the upload of", key, undefined, (t) => t.abortMultipart(Key, uploadId)).catch(
        () => undefined,
      );
    };
    try {
      const count = Math.max(1, Math.ceil(source.size / partSize));
      const ranges = Array.from({ length: count }, (_, i) => ({
        number: i + 1,
        offset: i * partSize,
        length: Math.min(partSize, source.size - i * partSize),
      }));
      const reader = source.filePath === undefined ? sequentialReader(source) : undefined;
      const parts = await mapLimit(
        ranges,
        reader === undefined ? PART_CONCURRENCY : 1,
        async (range) => {
          const out = await call("upload a part of", key, signal, async (t) => {
            const body =
              reader?.take(range.offset, range.length) ??
              createReadStream(source.filePath as string, {
                start: range.offset,
                end: range.offset + range.length - 1,
              });
            // A part's SHA-256 is not known before it is read, so it goes unsigned: its ETag
            // must be the MD5 of what was sent, and a damaged part is sent again. Then the
            // completed object holds the sent bytes. Cost measured on 2 EPYC cores at load 12:
            // 125–205 ms of CPU per 64 MiB part (SHA-256 takes 45–55 ms, but only after a
            // first read of the part, to sign it), paid only above the 1 GiB multipart threshold.
            const witness = md5Witness(progress.wrap(body, range.offset));
            const answer = await sendWithBody(witness.body, (partBody) =>
              t.uploadPart(
                { key: Key, uploadId, partNumber: range.number, body: partBody, size: range.length },
                signal,
              ),
            );
            const problem = etagProblem(answer, witness.digest());
            if (problem !== null) throw new S3ResponseError(400, "BadDigest", problem);
            return answer;
          });
          return { partNumber: range.number, etag: out.etag };
        },
        signal,
      );
      reader?.close();
      try {
        await call("complete the upload of", key, signal, (t) =>
          t.completeMultipart(Key, uploadId, parts, ifAbsent, signal),
        );
      } catch (error) {
        if (ifAbsent && error instanceof StoreError && error.status === 412) {
          await abortUpload();
          const existing = await head(key, signal);
          if (existing !== null) return { object: existing, created: false };
        }
        throw error;
      }
      // Some servers (Ceph RGW) answer Complete with an empty ETag: ask for the real one.
      const object = await head(key, signal);
      if (object === null) {
        throw new StoreError(`${url}/${key} is not visible after its upload completed.`, {
          store: "s3",
          retryable: true,
        });
      }
      return { object, created: true };
    } catch (error) {
      await abortUpload();
      throw error;
    }
  };

  /**
   * The listing of the keys in (after, upTo] (all of them when both are undefined): pages from
   * start-after `after` until a page reaches past `upTo`, whose items past it are left to the
   * next range.
   */
  async function* listRange(
    prefix: string,
    under: string,
    recursive: boolean,
    after: string | undefined,
    upTo: string | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ListItem> {
    const input = {
      prefix: under === "" ? undefined : under,
      delimiter: recursive ? undefined : "/",
      continuationToken: undefined as string | undefined,
      startAfter: after,
    };
    const within = (fullKey: string): boolean => upTo === undefined || compareKeys(fullKey, upTo) <= 0;
    do {
      const page = await call("list", prefix || undefined, signal, (t) => t.listPage(input, signal));
      input.startAfter = undefined;
      let reachedEnd = false;
      for (const common of page.prefixes) {
        // A sub-prefix that `upTo` falls inside sorts before it, and is in the next range too.
        if (!within(common)) {
          reachedEnd = true;
          continue;
        }
        const key = relKey(common.replace(/\/$/, ""));
        if (key !== null && storeKeyProblem(key) === null) yield { type: "dir", key };
      }
      for (const object of page.objects) {
        if (!within(object.key)) {
          reachedEnd = true;
          continue;
        }
        const key = relKey(object.key);
        // Folder markers ("a/") and keys no store key can name are not objects of this store.
        if (key === null || storeKeyProblem(key) !== null) continue;
        yield { type: "file", ...toObject(key, object.size, object.etag, object.lastModified) };
      }
      if (reachedEnd) return;
      // Bailing out on a missing token would silently return a partial listing.
      input.continuationToken = page.isTruncated ? page.nextToken : undefined;
      if (page.isTruncated && input.continuationToken === undefined) {
        throw new StoreError(`The listing of ${url}/${prefix} was cut short without a continuation token.`, {
          store: "s3",
          retryable: true,
        });
      }
    } while (input.continuationToken !== undefined);
  }

  const store: Store = {
    kind: "s3",
    url,
    capabilities: CAPABILITIES,

    async *list(prefix: string, listOptions: ListOptions = {}): AsyncIterable<ListItem> {
      if (prefix !== "") assertStoreKey(prefix);
      const recursive = listOptions.recursive ?? true;
      const signal = listOptions.signal;
      const base = joinKey(rootPrefix, prefix);
      const under = base === "" ? "" : `${base}/`;
      const starts = listingStarts(
        (listOptions.parallelFrom ?? []).map((key) => joinKey(rootPrefix, key)),
        under,
      );
      if (starts.length === 0) {
        yield* listRange(prefix, under, recursive, undefined, undefined, signal);
        return;
      }
      // Every range is read at once: the listing costs about one page's round trip instead of one
      // per page in turn (1,000 entry folders on Ceph RGW, which pages them 672 + 328: 28 + 18 ms
      // one after the other).
      const ranges = [undefined, ...starts].map((after, index) =>
        collectListing(listRange(prefix, under, recursive, after, starts[index], signal)),
      );
      for (const range of ranges) range.catch(() => undefined);
      // A start inside a sub-prefix puts that sub-prefix in the ranges on both sides of it.
      const dirs = new Set<string>();
      for (const range of ranges) {
        for (const item of await range) {
          if (item.type === "dir") {
            if (dirs.has(item.key)) continue;
            dirs.add(item.key);
          }
          yield item;
        }
      }
    },

    async stat(key: string, callOptions: CallOptions = {}): Promise<StoreObject | null> {
      assertStoreKey(key);
      return head(key, callOptions.signal);
    },

    async read(key: string, readOptions: ReadOptions = {}): Promise<Readable | null> {
      assertStoreKey(key);
      const { signal, range } = readOptions;
      if (range !== undefined && range.length === 0) {
        return (await head(key, signal)) === null ? null : Readable.from([]);
      }
      const body = await call("read", key, signal, (t) => t.get(fullKey(key), range, signal));
      if (body === null) return null;
      // An abort after the headers must fail the body with an AbortError, not a socket error.
      return signal === undefined ? body : addAbortSignal(signal, body);
    },

    async write(key: string, source: WriteSource, writeOptions: WriteOptions = {}): Promise<WriteResult> {
      assertStoreKey(key);
      writeOptions.signal?.throwIfAborted();
      sweep ??= sweepAbandonedUploads().catch(() => undefined);
      if (writeOptions.ifAbsent && source.size > PRECHECK_ABOVE) {
        const existing = await head(key, writeOptions.signal);
        if (existing !== null) return { object: existing, created: false };
      }
      return source.size > threshold
        ? putMultipart(key, source, writeOptions)
        : putSingle(key, source, writeOptions);
    },

    async copy(fromKey: string, toKey: string, callOptions: CallOptions = {}): Promise<StoreObject | null> {
      assertStoreKey(fromKey);
      assertStoreKey(toKey);
      const { signal } = callOptions;
      const copied = await call("copy", fromKey, signal, (t) =>
        t.copy(fullKey(fromKey), fullKey(toKey), signal),
      );
      return copied === null ? null : head(toKey, signal);
    },

    async delete(key: string, callOptions: CallOptions = {}): Promise<void> {
      assertStoreKey(key);
      await store.deleteMany?.([key], callOptions);
    },

    async deleteMany(keys: readonly string[], callOptions: CallOptions = {}): Promise<void> {
      for (const key of keys) assertStoreKey(key);
      const { signal } = callOptions;
      for (let start = 0; start < keys.length; start += MAX_DELETE_BATCH) {
        const batch = keys.slice(start, start + MAX_DELETE_BATCH);
        const errors = await call("delete objects in", undefined, signal, (t) =>
          t.deleteMany(
            batch.map((key) => fullKey(key)),
            signal,
          ),
        );
        const failures = errors.filter((e) => e.code !== "NoSuchKey");
        if (failures.length > 0) {
          const first = failures[0];
          throw new StoreError(
            `Could not delete ${failures.length} of ${batch.length} objects in ${url}, e.g. ${first?.key} (${first?.code}).`,
            {
              store: "s3",
              retryable: failures.every((e) => e.code === "InternalError" || e.code === "SlowDown"),
            },
          );
        }
      }
    },

    async exists(callOptions: CallOptions = {}): Promise<boolean> {
      const { signal } = callOptions;
      return call("open", undefined, signal, (t) => t.headBucket(signal));
    },

    async create(createOptions: CreateOptions = {}): Promise<{ created: boolean }> {
      const { signal } = createOptions;
      if (await store.exists({ signal })) return { created: false };
      // Outside us-east-1, AWS wants the region named; other servers ignore it.
      const constraint = settings.onAws && settings.region !== "us-east-1" ? settings.region : undefined;
      try {
        await call("create", undefined, signal, (t) => t.createBucket(constraint, signal));
        return { created: true };
      } catch (error) {
        const name = error instanceof StoreError ? s3ErrorName(error.cause) : "";
        if (name === "BucketAlreadyOwnedByYou") return { created: false };
        if (name === "BucketAlreadyExists") {
          throw new StoreError(`The bucket name "${bucket}" is already taken by another account.`, {
            store: "s3",
            status: 409,
            retryable: false,
            hint: "Bucket names are global on AWS: choose another name.",
            cause: error,
          });
        }
        throw error;
      }
    },

    async close(): Promise<void> {
      if (sweep !== undefined) {
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([sweep, new Promise((resolve) => (grace = setTimeout(resolve, SWEEP_GRACE_MS)))]);
        clearTimeout(grace);
        sweepController.abort();
        await sweep;
      }
      const opened = transportPromise;
      transportPromise = undefined;
      (await opened?.catch(() => undefined))?.close();
      pool?.destroy();
      pool = undefined;
    },
  };
  return store;
}

/** Which transport a store sends through, for tests and debug output ("sdk" or "fast"). */
export function s3TransportKind(options: S3StoreOptions): S3Settings["transport"] {
  return resolveS3Settings(
    {
      bucket: options.bucket,
      endpoint: options.endpoint,
      transport: options.transport,
      hasClient: options.client !== undefined,
    },
    options.env ?? process.env,
  ).transport;
}

// --- internal ---

/** Makes the store's socket pool (unless a client brings its own) and its one transport. */
async function openTransport(
  settings: S3Settings,
  client: S3Client | undefined,
  keepPool: (agent: HttpAgent | HttpsAgent) => void,
): Promise<S3Transport> {
  const https = settings.endpoint === undefined || settings.endpoint.startsWith("https:");
  // getBuiltinModule, not an ES import: importing node:http evaluates its lazy getters and loads
  // Node's whole fetch stack (undici, http2, tls), 33 ms of a warm exec's profile (see fast-transport.ts).
  const { Agent } = https ? process.getBuiltinModule("node:https") : process.getBuiltinModule("node:http");
  const agent = new Agent({
    keepAlive: true,
    maxSockets: settings.maxSockets,
    maxFreeSockets: settings.maxSockets,
  });
  keepPool(agent);
  if (settings.transport === "fast") {
    const { createFastTransport } = await import("./fast-transport.ts");
    return createFastTransport(settings, agent);
  }
  const { createSdkTransport } = await import("./sdk-transport.ts");
  return createSdkTransport(settings, agent, client);
}

function toObject(key: string, size: number, rawEtag: string | undefined, lastModified?: Date): StoreObject {
  const etag = rawEtag?.replace(/^"|"$/g, "") || undefined;
  return {
    key,
    size,
    ...(etag === undefined ? {} : { etag }),
    // A single-part upload's ETag is the MD5 of the body; a multipart one has a "-N" suffix.
    ...(etag !== undefined && /^[0-9a-f]{32}$/i.test(etag) ? { md5: etag.toLowerCase() } : {}),
    ...(lastModified === undefined ? {} : { lastModified }),
  };
}

function toStoreFailure(
  error: unknown,
  signal: AbortSignal | undefined,
  context: Parameters<typeof mapS3Error>[1],
): unknown {
  if (signal?.aborted) return isAbortError(error) ? error : signal.reason;
  if (error instanceof StoreStalledError) return error;
  if (error instanceof StoreError && error.store === "s3") return error;
  return mapS3Error(error, context);
}

/** Sends a request with a streamed body; a failed attempt releases the body (and its file). */
async function sendWithBody<T>(body: Readable, send: (body: Readable) => Promise<T>): Promise<T> {
  try {
    return await send(body);
  } catch (error) {
    body.destroy();
    throw error;
  }
}

/** Passes a body through while hashing it: `digest()` is the hex MD5 of what went through. */
function md5Witness(body: Readable): { body: Readable; digest: () => string } {
  const hash = createHash("md5");
  const through = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  let digest: string | undefined;
  return {
    body: pipeline(body, through, () => undefined),
    digest: () => (digest ??= hash.digest("hex")),
  };
}

/**
 * Why an upload's answer shows the server stored other bytes than were sent, or null. S3 and
 * RGW answer a PUT (object or part) with the MD5 of the stored bytes as its ETag, except under
 * SSE-KMS (SSE-C, the other exception, is never sent by this store); an ETag of another form
 * (some look-alikes) cannot be checked.
 */
export function etagProblem(answer: UploadAnswer, sentMd5: string): string | null {
  if (answer.serverSideEncryption?.startsWith("aws:kms") === true) return null;
  const etag = answer.etag?.replace(/^"|"$/g, "").toLowerCase();
  if (etag === undefined || !/^[0-9a-f]{32}$/.test(etag) || etag === sentMd5) return null;
  return `the server stored bytes of MD5 ${etag}, not the ${sentMd5} sent: damaged on the way`;
}

/** Reports each byte once, even when an attempt is retried and its bytes are sent again. */
function progressReporter(onProgress: ((progress: TransferProgress) => void) | undefined): {
  wrap: (body: Readable, offset?: number) => Readable;
  /** The bytes of a body that starts at `offset` have been sent up to `position`. */
  report: (offset: number, position: number) => void;
} {
  const reached = new Map<number, number>();
  const report = (offset: number, position: number): void => {
    const before = reached.get(offset) ?? 0;
    if (onProgress !== undefined && position > before) {
      onProgress({ bytes: position - before });
      reached.set(offset, position);
    }
  };
  return {
    report,
    wrap: (body, offset = 0) => {
      if (onProgress === undefined) return body;
      let position = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          position += chunk.length;
          report(offset, position);
          callback(null, chunk);
        },
      });
      return pipeline(body, counter, () => undefined);
    },
  };
}

/**
 * Hands out consecutive slices of one source stream, so parts of a stream source are sent
 * without buffering them. After a failed part the source is reopened and read up to the
 * part's offset again.
 */
function sequentialReader(source: WriteSource): {
  take: (offset: number, length: number) => Readable;
  close: () => void;
} {
  let stream: Readable | undefined;
  let iterator: AsyncIterator<Buffer> | undefined;
  let position = 0;
  let leftover: Buffer | undefined;

  const reset = (): void => {
    stream?.destroy();
    stream = undefined;
    iterator = undefined;
    leftover = undefined;
    position = 0;
  };
  const nextChunk = async (): Promise<Buffer | undefined> => {
    if (leftover !== undefined) {
      const chunk = leftover;
      leftover = undefined;
      return chunk;
    }
    stream ??= source.open();
    iterator ??= stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const next = await iterator.next();
    return next.done ? undefined : Buffer.from(next.value);
  };

  return {
    take(offset, length) {
      // A slice not starting where the last one ended (a retry) starts the source over.
      if (offset !== position) reset();
      let complete = false;
      const slice = async function* (): AsyncGenerator<Buffer> {
        while (position < offset) {
          const chunk = await nextChunk();
          if (chunk === undefined) throw new Error("the source ended before the part's offset");
          const skip = Math.min(chunk.length, offset - position);
          position += skip;
          if (skip < chunk.length) leftover = chunk.subarray(skip);
        }
        let remaining = length;
        while (remaining > 0) {
          const chunk = await nextChunk();
          if (chunk === undefined) throw new Error("the source ended early");
          const piece = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
          if (piece.length < chunk.length) leftover = chunk.subarray(piece.length);
          remaining -= piece.length;
          position += piece.length;
          yield piece;
        }
        complete = true;
      };
      const out = Readable.from(slice(), { objectMode: false });
      out.once("close", () => {
        if (!complete) position = -1; // abandoned mid-part: the next take reopens the source
      });
      return out;
    },
    close: reset,
  };
}

/**
 * The starts of a parallel listing below `under`: inside it, in S3's key order (UTF-8 bytes),
 * each once, at most MAX_LISTING_STARTS of them, evenly chosen.
 */
export function listingStarts(keys: readonly string[], under: string): string[] {
  const inside = [...new Set(keys.filter((key) => key.startsWith(under) && key.length > under.length))];
  inside.sort(compareKeys);
  if (inside.length <= MAX_LISTING_STARTS) return inside;
  const step = inside.length / MAX_LISTING_STARTS;
  return Array.from({ length: MAX_LISTING_STARTS }, (_, index) => inside[Math.floor(index * step)] as string);
}

/** Listings in flight for one `list` call, at most: one per start and one from the beginning. */
const MAX_LISTING_STARTS = 15;

/**
 * S3's order of keys: their UTF-8 bytes, which is code point order. JS's own string order (UTF-16
 * code units) differs only where a surrogate (U+D800–DFFF, half of a code point past the BMP)
 * meets a unit of U+E000–FFFF, so those two ranges trade places. Done on code units because a
 * warm `exec` compares every key of a 1,000-folder listing, and the sort of its starts ~10,000
 * times: encoding both sides to Buffers each time cost more than the comparison.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

function utf8Rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
