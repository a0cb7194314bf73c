/**
 * A store in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO, R2, Hugging Face's S3 gateway)
 * through `@aws-sdk/client-s3`, which is imported on first use only: opening a store costs
 * nothing until a request is made.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { addAbortSignal, pipeline, Readable, Transform } from "node:stream";
import type * as S3Sdk from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import type * as HttpHandlerModule from "@smithy/node-http-handler";
import { isAbortError, StoreError } from "../../errors.ts";
import { assertStoreKey, joinKey, storeKeyProblem } from "../../layout/store-key.ts";
import { mapLimit } from "../store-ops.ts";
import { type RetryPolicy, withRetry } from "../retry.ts";
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
import type { ListObjectsPage } from "./list-objects-xml.ts";
import { classifyS3Error, isNoSuchBucket, isS3NotFound, mapS3Error, s3ErrorName } from "./s3-error.ts";

export interface S3StoreOptions {
  /** Bucket name. */
  bucket: string;
  /** Key prefix inside the bucket that the store's keys live under ("" for the whole bucket). @default "" */
  prefix?: string;
  /**
   * Where AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE
   * and static credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) are read.
   * Without static credentials the SDK's standard provider chain runs. @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** A ready client; the store then leaves endpoint, credentials and transport to it. */
  client?: S3Client;
  /** Endpoint URL; beats the environment. */
  endpoint?: string;
  /** Largest number of open sockets to the endpoint. @default 32 */
  maxSockets?: number;
  /** A request that moves no byte for this long fails (and is retried). @default 30_000 */
  idleTimeoutMs?: number;
  /** Time allowed to open a connection. @default 10_000 */
  connectTimeoutMs?: number;
  /** Retry policy for every request. */
  retry?: Partial<RetryPolicy>;
  /** Objects larger than this go up in parts. @default MULTIPART_THRESHOLD */
  multipartThreshold?: number;
  /** Size of one part of a multipart upload. @default PART_SIZE */
  partSize?: number;
  /** Told before each retry (for logs). */
  onRetry?: (event: { attempt: number; delayMs: number; error: unknown }) => void;
}

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
/** DeleteObjects takes at most 1,000 keys. */
const MAX_DELETE_BATCH = 1000;
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
};

interface S3Runtime {
  sdk: typeof S3Sdk;
  client: S3Client;
}

/** Opens an S3 store. No SDK is loaded and no request is sent until the first call. */
export function createS3Store(options: S3StoreOptions): Store {
  const env = options.env ?? process.env;
  const bucket = options.bucket;
  const rootPrefix = options.prefix ?? "";
  if (rootPrefix !== "") assertStoreKey(rootPrefix);
  // An empty variable means "not set", as it does for the AWS CLI.
  const endpoint = options.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const threshold = options.multipartThreshold ?? MULTIPART_THRESHOLD;
  const partSize = options.partSize ?? PART_SIZE;
  const url = `s3://${bucket}${rootPrefix === "" ? "" : `/${rootPrefix}`}`;

  let runtimePromise: Promise<S3Runtime> | undefined;
  let ownedClient: S3Client | undefined;
  const runtime = (): Promise<S3Runtime> => {
    runtimePromise ??= loadRuntime(options, env, endpoint).then(
      (rt) => {
        if (options.client === undefined) ownedClient = rt.client;
        return rt;
      },
      (error: unknown) => {
        runtimePromise = undefined;
        throw error;
      },
    );
    return runtimePromise;
  };

  const fullKey = (key: string): string => joinKey(rootPrefix, key);
  const relKey = (full: string): string | null => {
    if (rootPrefix === "") return full;
    return full.startsWith(`${rootPrefix}/`) ? full.slice(rootPrefix.length + 1) : null;
  };

  // Listings on custom endpoints with static keys skip the SDK (see lite-list.ts).
  const liteCredentials =
    options.client === undefined &&
    endpoint !== undefined &&
    !isAwsEndpoint(endpoint) &&
    env.AWS_ACCESS_KEY_ID &&
    env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
  const liteTimeoutMs = options.idleTimeoutMs ?? 30_000;
  let liteAgent: HttpAgent | HttpsAgent | undefined;
  const liteAgentFor = async (target: string): Promise<HttpAgent | HttpsAgent> => {
    const http = target.startsWith("https:") ? await import("node:https") : await import("node:http");
    liteAgent ??= new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 32 });
    return liteAgent;
  };
  const listPage = async (
    input: {
      Prefix: string | undefined;
      Delimiter: string | undefined;
      ContinuationToken: string | undefined;
    },
    signal: AbortSignal | undefined,
    prefix: string,
  ): Promise<ListObjectsPage> => {
    if (liteCredentials === undefined || endpoint === undefined) {
      return call("list", prefix || undefined, signal, ({ sdk, client }) =>
        client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, ...input }), { abortSignal: signal }),
      ) as Promise<ListObjectsPage>;
    }
    const { liteListPage } = await import("./lite-list.ts");
    const agent = await liteAgentFor(endpoint);
    return retrying("list", prefix || undefined, signal, () =>
      liteListPage({
        endpoint,
        region,
        credentials: liteCredentials,
        bucket,
        prefix: input.Prefix,
        delimiter: input.Delimiter,
        continuationToken: input.ContinuationToken,
        agent,
        timeoutMs: liteTimeoutMs,
        signal,
      }),
    );
  };

  /** Runs one request through the SDK with retries; failures come out mapped to our errors. */
  const call = <T>(
    action: string,
    key: string | undefined,
    signal: AbortSignal | undefined,
    fn: (rt: S3Runtime, attempt: number) => Promise<T>,
  ): Promise<T> => retrying(action, key, signal, async (attempt) => fn(await runtime(), attempt));

  /** Runs one request with retries; failures come out mapped to our errors. */
  const retrying = async <T>(
    action: string,
    key: string | undefined,
    signal: AbortSignal | undefined,
    fn: (attempt: number) => Promise<T>,
  ): Promise<T> => {
    try {
      return await withRetry(fn, {
        signal,
        policy: options.retry,
        classify: (error) =>
          isAbortError(error) && signal?.aborted ? { retry: false } : classifyS3Error(error),
        onRetry: options.onRetry,
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
    try {
      const out = await call("stat", key, signal, ({ sdk, client }) =>
        client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: fullKey(key) }), {
          abortSignal: signal,
        }),
      );
      return toObject(key, out.ContentLength ?? 0, out.ETag, out.LastModified);
    } catch (error) {
      if (isNotFoundStoreError(error)) return null;
      throw error;
    }
  };

  const putSingle = async (
    key: string,
    source: WriteSource,
    writeOptions: WriteOptions,
  ): Promise<WriteResult> => {
    const { signal, ifAbsent = false } = writeOptions;
    const progress = progressReporter(writeOptions.onProgress);
    try {
      if (liteCredentials !== undefined && endpoint !== undefined) {
        const [{ litePutObject }, agent] = await Promise.all([
          import("./lite-list.ts"),
          liteAgentFor(endpoint),
        ]);
        const inMemory = source.bytes;
        const out = await retrying("write", key, signal, async () => {
          if (inMemory !== undefined) {
            const written = await litePutObject({
              endpoint,
              region,
              credentials: liteCredentials,
              bucket,
              key: fullKey(key),
              body: inMemory,
              size: inMemory.length,
              ifAbsent,
              agent,
              timeoutMs: liteTimeoutMs,
              signal,
            });
            writeOptions.onProgress?.({ bytes: inMemory.length });
            return written;
          }
          return sendWithBody(progress.wrap(source.open()), (body) =>
            litePutObject({
              endpoint,
              region,
              credentials: liteCredentials,
              bucket,
              key: fullKey(key),
              body,
              size: source.size,
              ifAbsent,
              agent,
              timeoutMs: liteTimeoutMs,
              signal,
            }),
          );
        });
        return { object: toObject(key, source.size, out.etag), created: true };
      }
      const out = await call("write", key, signal, ({ sdk, client }) =>
        sendWithBody(progress.wrap(source.open()), (Body) =>
          client.send(
            new sdk.PutObjectCommand({
              Bucket: bucket,
              Key: fullKey(key),
              Body,
              ContentLength: source.size,
              ...(ifAbsent ? { IfNoneMatch: "*" } : {}),
            }),
            { abortSignal: signal },
          ),
        ),
      );
      return { object: toObject(key, source.size, out.ETag), created: true };
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

  const putMultipart = async (
    key: string,
    source: WriteSource,
    writeOptions: WriteOptions,
  ): Promise<WriteResult> => {
    const { signal, ifAbsent = false } = writeOptions;
    const progress = progressReporter(writeOptions.onProgress);
    const Key = fullKey(key);
    const { UploadId } = await call("start an upload of", key, signal, ({ sdk, client }) =>
      client.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key }), { abortSignal: signal }),
    );
    if (UploadId === undefined) {
      throw new StoreError(`The server started no upload for ${url}/${key}.`, {
        store: "s3",
        retryable: true,
      });
    }
    const abortUpload = async (): Promise<void> => {
      // Without the caller's (possibly aborted) signal: the upload's parts must not linger.
      await call("abort the upload of", key, undefined, ({ sdk, client }) =>
        client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId })),
      ).catch(() => undefined);
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
          const out = await call("upload a part of", key, signal, ({ sdk, client }) => {
            const body =
              reader?.take(range.offset, range.length) ??
              createReadStream(source.filePath as string, {
                start: range.offset,
                end: range.offset + range.length - 1,
              });
            return sendWithBody(progress.wrap(body, range.offset), (Body) =>
              client.send(
                new sdk.UploadPartCommand({
                  Bucket: bucket,
                  Key,
                  UploadId,
                  PartNumber: range.number,
                  Body,
                  ContentLength: range.length,
                }),
                { abortSignal: signal },
              ),
            );
          });
          return { PartNumber: range.number, ETag: out.ETag };
        },
        signal,
      );
      reader?.close();
      try {
        await call("complete the upload of", key, signal, ({ sdk, client }) =>
          client.send(
            new sdk.CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key,
              UploadId,
              MultipartUpload: { Parts: parts },
              ...(ifAbsent ? { IfNoneMatch: "*" } : {}),
            }),
            { abortSignal: signal },
          ),
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

  const store: Store = {
    kind: "s3",
    url,
    capabilities: CAPABILITIES,

    async *list(prefix: string, listOptions: ListOptions = {}): AsyncIterable<ListItem> {
      if (prefix !== "") assertStoreKey(prefix);
      const recursive = listOptions.recursive ?? true;
      const signal = listOptions.signal;
      const base = joinKey(rootPrefix, prefix);
      const Prefix = base === "" ? undefined : `${base}/`;
      let ContinuationToken: string | undefined;
      do {
        const page = await listPage(
          { Prefix, Delimiter: recursive ? undefined : "/", ContinuationToken },
          signal,
          prefix,
        );
        for (const common of page.CommonPrefixes ?? []) {
          const key = relKey((common.Prefix ?? "").replace(/\/$/, ""));
          if (key !== null && storeKeyProblem(key) === null) yield { type: "dir", key };
        }
        for (const object of page.Contents ?? []) {
          const key = object.Key === undefined ? null : relKey(object.Key);
          // Folder markers ("a/") and keys no store key can name are not objects of this store.
          if (key === null || storeKeyProblem(key) !== null) continue;
          yield { type: "file", ...toObject(key, object.Size ?? 0, object.ETag, object.LastModified) };
        }
        // Bailing out on a missing token would silently return a partial listing.
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
        if (page.IsTruncated && ContinuationToken === undefined) {
          throw new StoreError(
            `The listing of ${url}/${prefix} was cut short without a continuation token.`,
            {
              store: "s3",
              retryable: true,
            },
          );
        }
      } while (ContinuationToken !== undefined);
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
      try {
        if (liteCredentials !== undefined && endpoint !== undefined) {
          // Downloads skip the SDK too: its per-request CPU is what small files are bound by.
          const [{ liteGetObject }, agent] = await Promise.all([
            import("./lite-list.ts"),
            liteAgentFor(endpoint),
          ]);
          const body = await retrying("read", key, signal, () =>
            liteGetObject({
              endpoint,
              region,
              credentials: liteCredentials,
              bucket,
              key: fullKey(key),
              range,
              agent,
              timeoutMs: liteTimeoutMs,
              signal,
            }),
          );
          return signal === undefined ? body : addAbortSignal(signal, body);
        }
        const out = await call("read", key, signal, ({ sdk, client }) =>
          client.send(
            new sdk.GetObjectCommand({
              Bucket: bucket,
              Key: fullKey(key),
              Range: range ? `bytes=${range.offset}-${range.offset + range.length - 1}` : undefined,
            }),
            { abortSignal: signal },
          ),
        );
        const body = out.Body as Readable | undefined;
        if (body === undefined) return Readable.from([]);
        // An abort after the headers must fail the body with an AbortError, not a socket error.
        return signal === undefined ? body : addAbortSignal(signal, body);
      } catch (error) {
        if (isNotFoundStoreError(error)) return null;
        throw error;
      }
    },

    async write(key: string, source: WriteSource, writeOptions: WriteOptions = {}): Promise<WriteResult> {
      assertStoreKey(key);
      writeOptions.signal?.throwIfAborted();
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
      try {
        await call("copy", fromKey, signal, ({ sdk, client }) =>
          client.send(
            new sdk.CopyObjectCommand({
              Bucket: bucket,
              Key: fullKey(toKey),
              CopySource: `${bucket}/${fullKey(fromKey).split("/").map(encodeURIComponent).join("/")}`,
            }),
            { abortSignal: signal },
          ),
        );
      } catch (error) {
        if (isNotFoundStoreError(error)) return null;
        throw error;
      }
      return head(toKey, signal);
    },

    async delete(key: string, callOptions: CallOptions = {}): Promise<void> {
      assertStoreKey(key);
      const { signal } = callOptions;
      await call("delete", key, signal, ({ sdk, client }) =>
        client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: fullKey(key) }), {
          abortSignal: signal,
        }),
      );
    },

    async deleteMany(keys: readonly string[], callOptions: CallOptions = {}): Promise<void> {
      for (const key of keys) assertStoreKey(key);
      const { signal } = callOptions;
      for (let start = 0; start < keys.length; start += MAX_DELETE_BATCH) {
        const batch = keys.slice(start, start + MAX_DELETE_BATCH);
        const out = await call("delete objects in", undefined, signal, ({ sdk, client }) =>
          client.send(
            new sdk.DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: batch.map((key) => ({ Key: fullKey(key) })), Quiet: true },
            }),
            { abortSignal: signal },
          ),
        );
        const failures = (out.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
        if (failures.length > 0) {
          const first = failures[0];
          throw new StoreError(
            `Could not delete ${failures.length} of ${batch.length} objects in ${url}, e.g. ${first?.Key} (${first?.Code}).`,
            {
              store: "s3",
              retryable: failures.every((e) => e.Code === "InternalError" || e.Code === "SlowDown"),
            },
          );
        }
      }
    },

    async exists(callOptions: CallOptions = {}): Promise<boolean> {
      const { signal } = callOptions;
      try {
        await call("open", undefined, signal, ({ sdk, client }) =>
          client.send(new sdk.HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal }),
        );
        return true;
      } catch (error) {
        if (isNotFoundStoreError(error)) return false;
        throw error;
      }
    },

    async create(createOptions: CreateOptions = {}): Promise<{ created: boolean }> {
      const { signal } = createOptions;
      if (await store.exists({ signal })) return { created: false };
      const region = await (await runtime()).client.config.region();
      try {
        await call("create", undefined, signal, ({ sdk, client }) =>
          client.send(
            new sdk.CreateBucketCommand({
              Bucket: bucket,
              // Outside us-east-1, AWS wants the region named; other servers ignore it.
              ...(endpoint === undefined && region !== "us-east-1"
                ? {
                    CreateBucketConfiguration: {
                      LocationConstraint: region as S3Sdk.BucketLocationConstraint,
                    },
                  }
                : {}),
            }),
            { abortSignal: signal },
          ),
        );
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
      liteAgent?.destroy();
      liteAgent = undefined;
      ownedClient?.destroy();
      ownedClient = undefined;
      runtimePromise = undefined;
    },
  };
  return store;
}

// --- internal ---

async function loadRuntime(
  options: S3StoreOptions,
  env: Readonly<Record<string, string | undefined>>,
  endpoint: string | undefined,
): Promise<S3Runtime> {
  // require(), not import(): the SDK is CommonJS, and importing it from ESM makes Node scan
  // every module for named exports (measured: ~115 ms of a 580 ms warm `exec`).
  const require = createRequire(import.meta.url);
  const sdk = require("@aws-sdk/client-s3") as typeof S3Sdk;
  if (options.client !== undefined) return { sdk, client: options.client };
  const { NodeHttpHandler } = require("@smithy/node-http-handler") as typeof HttpHandlerModule;
  const [http, https] = await Promise.all([import("node:http"), import("node:https")]);
  const maxSockets = options.maxSockets ?? 32;
  const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  const httpAgent: HttpAgent = new http.Agent(agentOptions);
  const httpsAgent: HttpsAgent = new https.Agent(agentOptions);
  const onAws = endpoint === undefined || isAwsEndpoint(endpoint);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const client = new sdk.S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined } }
      : env.AWS_PROFILE
        ? { profile: env.AWS_PROFILE }
        : {}),
    // Non-AWS servers (RGW, MinIO, s3.hf.co) want path-style URLs and plain bodies: the default
    // aws-chunked streaming checksums get 411 from RGW and corrupt objects on some look-alikes.
    forcePathStyle: !onAws,
    requestChecksumCalculation: onAws ? "WHEN_SUPPORTED" : "WHEN_REQUIRED",
    responseChecksumValidation: onAws ? "WHEN_SUPPORTED" : "WHEN_REQUIRED",
    followRegionRedirects: onAws,
    // A library does not print: the SDK would otherwise warn on the console about failed streams.
    logger: SILENT_LOGGER,
    // withRetry owns retries (and Retry-After); the SDK's own would multiply them.
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent,
      httpsAgent,
      connectionTimeout: options.connectTimeoutMs ?? 10_000,
      socketTimeout: options.idleTimeoutMs ?? 30_000,
    }),
  });
  // Swift-like servers reject DeleteObjects without Content-MD5, which SDK v3 stopped sending.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { body?: unknown; headers?: Record<string, string> } | undefined;
      if (
        context.commandName === "DeleteObjectsCommand" &&
        typeof request?.body === "string" &&
        request.headers
      ) {
        request.headers["content-md5"] = createHash("md5").update(request.body).digest("base64");
      }
      return next(args);
    },
    { step: "build", name: "neffContentMd5ForDeleteObjects", priority: "low" },
  );
  return { sdk, client };
}

const SILENT_LOGGER = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function isAwsEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host.endsWith(".amazonaws.com") || host.endsWith(".amazonaws.com.cn");
  } catch {
    return false;
  }
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

/**
 * An object-level "not there". A HEAD has no body to tell a missing bucket from a missing key,
 * so there a 404 reads as "no such object"; a GET or LIST names NoSuchBucket, which stays an error.
 */
function isNotFoundStoreError(error: unknown): boolean {
  return error instanceof Error && isS3NotFound(error.cause) && !isNoSuchBucket(error.cause);
}

function toStoreFailure(
  error: unknown,
  signal: AbortSignal | undefined,
  context: Parameters<typeof mapS3Error>[1],
): unknown {
  if (signal?.aborted) return isAbortError(error) ? error : signal.reason;
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

/** Reports each byte once, even when an attempt is retried and its bytes are sent again. */
function progressReporter(onProgress: ((progress: TransferProgress) => void) | undefined): {
  wrap: (body: Readable, offset?: number) => Readable;
} {
  const reached = new Map<number, number>();
  return {
    wrap: (body, offset = 0) => {
      if (onProgress === undefined) return body;
      let position = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          position += chunk.length;
          const before = reached.get(offset) ?? 0;
          if (position > before) {
            onProgress({ bytes: position - before });
            reached.set(offset, position);
          }
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
