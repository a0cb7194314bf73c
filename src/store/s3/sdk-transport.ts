/**
 * The S3 transport through `@aws-sdk/client-s3`: AWS itself, and any credentials the SDK's
 * provider chain finds (static keys, AWS_PROFILE and its credentials file, SSO, web identity,
 * instance roles through IMDSv2), which it caches and refreshes before they expire. The SDK
 * is loaded on the first request, not when the store is opened.
 */
import { createHash } from "node:crypto";
import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import type * as S3Sdk from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import type * as HttpHandlerModule from "@smithy/node-http-handler";
import { S3ResponseError } from "./s3-error.ts";
import type { S3Settings } from "./s3-settings.ts";
import type { Body, ListPage, ListUploadsPage, S3Transport } from "./s3-transport.ts";

interface Runtime {
  sdk: typeof S3Sdk;
  client: S3Client;
}

/**
 * Opens the SDK transport. With `client`, that client's endpoint, credentials and sockets are
 * used (and it is not destroyed on close); otherwise one is made on `agent`, the store's pool.
 */
export function createSdkTransport(
  settings: S3Settings,
  agent: HttpAgent | HttpsAgent,
  client?: S3Client,
): S3Transport {
  const { bucket } = settings;
  let runtimePromise: Promise<Runtime> | undefined;
  let owned: S3Client | undefined;
  const runtime = (): Promise<Runtime> => {
    runtimePromise ??= Promise.resolve().then(() => {
      const rt = loadRuntime(settings, agent, client);
      if (client === undefined) owned = rt.client;
      return rt;
    });
    return runtimePromise;
  };
  /** Sends one command; a server's refusal comes out as an S3ResponseError. */
  const send = async <T>(
    make: (sdk: typeof S3Sdk) => object,
    signal: AbortSignal | undefined,
  ): Promise<T> => {
    const { sdk, client: c } = await runtime();
    try {
      // Each command's own input and output types are checked where it is made.
      return (await c.send(make(sdk) as never, { abortSignal: signal })) as T;
    } catch (error) {
      throw fromSdkError(error);
    }
  };
  const missing = (error: unknown, allowBucket = false): boolean =>
    error instanceof S3ResponseError &&
    error.status === 404 &&
    (allowBucket || error.code !== "NoSuchBucket");

  return {
    kind: "sdk",

    async listPage(input, signal): Promise<ListPage> {
      const out = await send<S3Sdk.ListObjectsV2CommandOutput>(
        (sdk) =>
          new sdk.ListObjectsV2Command({
            Bucket: bucket,
            Prefix: input.prefix,
            Delimiter: input.delimiter,
            ContinuationToken: input.continuationToken,
            StartAfter: input.startAfter,
          }),
        signal,
      );
      return {
        objects: (out.Contents ?? []).map((o) => ({
          key: o.Key ?? "",
          size: o.Size ?? 0,
          etag: o.ETag,
          lastModified: o.LastModified,
        })),
        prefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ""),
        isTruncated: out.IsTruncated === true,
        nextToken: out.NextContinuationToken,
      };
    },

    async get(key, range, signal) {
      try {
        const out = await send<S3Sdk.GetObjectCommandOutput>(
          (sdk) =>
            new sdk.GetObjectCommand({
              Bucket: bucket,
              Key: key,
              Range: range ? `bytes=${range.offset}-${range.offset + range.length - 1}` : undefined,
            }),
          signal,
        );
        return (out.Body as Readable | undefined) ?? null;
      } catch (error) {
        if (missing(error)) return null;
        throw error;
      }
    },

    async head(key, signal) {
      try {
        const out = await send<S3Sdk.HeadObjectCommandOutput>(
          (sdk) => new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }),
          signal,
        );
        return { size: out.ContentLength ?? 0, etag: out.ETag, lastModified: out.LastModified };
      } catch (error) {
        if (missing(error, true)) return null;
        throw error;
      }
    },

    async put(input, signal) {
      const out = await failingWithBody(input.body, signal, (bodySignal) =>
        send<S3Sdk.PutObjectCommandOutput>(
          (sdk) =>
            signingPayloadHash(
              new sdk.PutObjectCommand({
                Bucket: bucket,
                Key: input.key,
                Body: input.body,
                ContentLength: input.size,
                ...(input.ifAbsent ? { IfNoneMatch: "*" } : {}),
              }),
              input.sha256,
            ),
          bodySignal,
        ),
      );
      return { etag: out.ETag, serverSideEncryption: out.ServerSideEncryption };
    },

    async copy(fromKey, toKey, signal) {
      try {
        const out = await send<S3Sdk.CopyObjectCommandOutput>(
          (sdk) =>
            new sdk.CopyObjectCommand({
              Bucket: bucket,
              Key: toKey,
              CopySource: `${bucket}/${fromKey.split("/").map(encodeURIComponent).join("/")}`,
            }),
          signal,
        );
        return { etag: out.CopyObjectResult?.ETag };
      } catch (error) {
        if (missing(error)) return null;
        throw error;
      }
    },

    async deleteMany(keys, signal) {
      const out = await send<S3Sdk.DeleteObjectsCommandOutput>(
        (sdk) =>
          new sdk.DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: keys.map((key) => ({ Key: key })), Quiet: true },
          }),
        signal,
      );
      return (out.Errors ?? []).map((e) => ({ key: e.Key ?? "", code: e.Code ?? "" }));
    },

    async createMultipart(key, signal) {
      const out = await send<S3Sdk.CreateMultipartUploadCommandOutput>(
        (sdk) => new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
        signal,
      );
      if (out.UploadId === undefined)
        throw new S3ResponseError(500, "InternalError", "no UploadId in the answer");
      return { uploadId: out.UploadId };
    },

    async uploadPart(input, signal) {
      const out = await failingWithBody(input.body, signal, (bodySignal) =>
        send<S3Sdk.UploadPartCommandOutput>(
          (sdk) =>
            new sdk.UploadPartCommand({
              Bucket: bucket,
              Key: input.key,
              UploadId: input.uploadId,
              PartNumber: input.partNumber,
              Body: input.body,
              ContentLength: input.size,
            }),
          bodySignal,
        ),
      );
      if (out.ETag === undefined) throw new S3ResponseError(500, "InternalError", "no ETag for the part");
      return { etag: out.ETag, serverSideEncryption: out.ServerSideEncryption };
    },

    async completeMultipart(key, uploadId, parts, ifAbsent, signal) {
      await send(
        (sdk) =>
          new sdk.CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
            ...(ifAbsent ? { IfNoneMatch: "*" } : {}),
          }),
        signal,
      );
    },

    async abortMultipart(key, uploadId, signal) {
      await send(
        (sdk) => new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
        signal,
      );
    },

    async listMultipartUploads(input, signal): Promise<ListUploadsPage> {
      const out = await send<S3Sdk.ListMultipartUploadsCommandOutput>(
        (sdk) =>
          new sdk.ListMultipartUploadsCommand({
            Bucket: bucket,
            Prefix: input.prefix,
            KeyMarker: input.keyMarker,
            UploadIdMarker: input.uploadIdMarker,
          }),
        signal,
      );
      return {
        uploads: (out.Uploads ?? []).map((u) => ({
          key: u.Key ?? "",
          uploadId: u.UploadId ?? "",
          initiated: u.Initiated,
        })),
        isTruncated: out.IsTruncated === true,
        nextKeyMarker: out.NextKeyMarker || undefined,
        nextUploadIdMarker: out.NextUploadIdMarker || undefined,
      };
    },

    async headBucket(signal) {
      try {
        await send((sdk) => new sdk.HeadBucketCommand({ Bucket: bucket }), signal);
        return true;
      } catch (error) {
        if (missing(error, true)) return false;
        throw error;
      }
    },

    async createBucket(locationConstraint, signal) {
      await send(
        (sdk) =>
          new sdk.CreateBucketCommand({
            Bucket: bucket,
            ...(locationConstraint === undefined
              ? {}
              : {
                  CreateBucketConfiguration: {
                    LocationConstraint: locationConstraint as S3Sdk.BucketLocationConstraint,
                  },
                }),
          }),
        signal,
      );
    },

    close() {
      owned?.destroy();
      owned = undefined;
      runtimePromise = undefined;
    },
  };
}

/**
 * A server's refusal as an S3ResponseError (the SDK's exceptions carry the status in
 * `$metadata` and the code in `name`); anything else (network, timeout, credentials) unchanged.
 */
export function fromSdkError(error: unknown): unknown {
  if (typeof error !== "object" || error === null) return error;
  const { $metadata, $response, name, message } = error as {
    $metadata?: { httpStatusCode?: unknown };
    $response?: { headers?: Record<string, unknown> };
    name?: unknown;
    message?: unknown;
  };
  const status = $metadata?.httpStatusCode;
  if (typeof status !== "number") return error;
  const retryAfter = $response?.headers?.["retry-after"];
  // The SDK names a body-less answer (HEAD) after the status ("NotFound", "Forbidden", "403").
  const code = typeof name === "string" && !/^\d+$/.test(name) && name !== "Unknown" ? name : undefined;
  const converted = new S3ResponseError(
    status,
    code,
    typeof message === "string" ? message : undefined,
    typeof retryAfter === "string" ? retryAfter : undefined,
  );
  return Object.assign(converted, { cause: error });
}

// --- internal ---

/**
 * Runs a request whose body is a stream so that a failing body (a disk error) fails the
 * request with that error: the SDK's handler would otherwise wait for bytes that never come.
 */
async function failingWithBody<T>(
  body: Body,
  signal: AbortSignal | undefined,
  run: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (body instanceof Uint8Array) return run(signal);
  const failed = new AbortController();
  let bodyError: unknown;
  const onError = (error: unknown): void => {
    bodyError = error;
    failed.abort(error);
  };
  body.once("error", onError);
  try {
    return await run(signal === undefined ? failed.signal : AbortSignal.any([signal, failed.signal]));
  } catch (error) {
    throw bodyError ?? error;
  } finally {
    body.off("error", onError);
  }
}

function loadRuntime(
  settings: S3Settings,
  agent: HttpAgent | HttpsAgent,
  given: S3Client | undefined,
): Runtime {
  // require(), not import(): the SDK is CommonJS, and importing it from ESM makes Node scan
  // every module for named exports (measured: ~115 ms of a 580 ms warm `exec`).
  const require = createRequire(import.meta.url);
  const sdk = require("@aws-sdk/client-s3") as typeof S3Sdk;
  if (given !== undefined) return { sdk, client: given };
  const { NodeHttpHandler } = require("@smithy/node-http-handler") as typeof HttpHandlerModule;
  const { onAws, endpoint, staticCredentials } = settings;
  const https = endpoint === undefined || endpoint.startsWith("https:");
  const client = new sdk.S3Client({
    region: settings.region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(staticCredentials !== undefined
      ? { credentials: staticCredentials }
      : settings.profile !== undefined
        ? { profile: settings.profile }
        : {}),
    // Non-AWS servers (RGW, MinIO, s3.hf.co) want path-style URLs and plain bodies: the default
    // aws-chunked streaming checksums get 411 from RGW and corrupt objects on some look-alikes.
    forcePathStyle: !onAws,
    requestChecksumCalculation: onAws ? "WHEN_SUPPORTED" : "WHEN_REQUIRED",
    responseChecksumValidation: onAws ? "WHEN_SUPPORTED" : "WHEN_REQUIRED",
    followRegionRedirects: onAws,
    // A library does not print: the SDK would otherwise warn on the console about failed streams.
    logger: SILENT_LOGGER,
    // The store's withRetry owns retries (and Retry-After); the SDK's own would multiply them.
    maxAttempts: 1,
    // The store's one socket pool, for the endpoint's one protocol.
    requestHandler: new NodeHttpHandler({
      ...(https ? { httpsAgent: agent as HttpsAgent } : { httpAgent: agent as HttpAgent }),
      connectionTimeout: settings.connectTimeoutMs,
      socketTimeout: settings.idleTimeoutMs,
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

/**
 * Has the signer sign `sha256` as the body's hash (it takes an `x-amz-content-sha256` header
 * already on the request), so the server refuses a body damaged on the way; without it a
 * streamed body goes as UNSIGNED-PAYLOAD. Added after the flexible-checksum middleware of the
 * same step: where that one turned the body into aws-chunked with a trailing checksum (on AWS),
 * the header it set stays, since the trailer already lets the server check the body.
 */
function signingPayloadHash<C extends { middlewareStack: S3Sdk.PutObjectCommand["middlewareStack"] }>(
  command: C,
  sha256: string | undefined,
): C {
  if (sha256 === undefined) return command;
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> } | undefined;
      const headers = request?.headers;
      if (
        headers !== undefined &&
        !Object.keys(headers).some((name) => name.toLowerCase() === SHA256_HEADER)
      ) {
        headers[SHA256_HEADER] = sha256;
      }
      return next(args);
    },
    { step: "build", name: "neffSignedPayloadHash", priority: "low" },
  );
  return command;
}

const SHA256_HEADER = "x-amz-content-sha256";

const SILENT_LOGGER = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
