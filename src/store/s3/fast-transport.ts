/**
 * The S3 transport for custom endpoints with static keys: each request signed (sigv4.ts) and
 * sent with node:http, path-style. It exists for speed: loading the AWS SDK costs ~100–200 ms
 * of a warm `exec`, and the SDK's middleware costs ~1.5 ms of CPU per request, which is what
 * fetches of many small files are bound by on a machine shared with the server.
 */
import { createHash } from "node:crypto";
import type { Agent as HttpAgent, IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { S3ResponseError } from "./s3-error.ts";
import type { S3Settings } from "./s3-settings.ts";
import type {
  Body,
  CompletedPart,
  DeleteFailure,
  HeadResult,
  ListPage,
  ListPageInput,
  ListUploadsInput,
  ListUploadsPage,
  PutInput,
  S3Transport,
  UploadPartInput,
} from "./s3-transport.ts";
import {
  completeMultipartXml,
  createBucketXml,
  deleteObjectsXml,
  parseCopyEtag,
  parseDeleteErrors,
  parseListMultipartUploads,
  parseListObjectsV2,
  parseS3ErrorXml,
  parseUploadId,
} from "./s3-xml.ts";
import type { SignTarget, SigV4Credentials } from "./sigv4.ts";
import {
  createSigningKeyCache,
  EMPTY_SHA256,
  signRequest,
  type SigningKeyCache,
  UNSIGNED_PAYLOAD,
  uriEncode,
} from "./sigv4.ts";

type Settings = S3Settings & { endpoint: string; staticCredentials: SigV4Credentials };

/** The endpoint, parsed once: every request's target is built from these strings. */
interface Endpoint {
  https: boolean;
  hostname: string;
  port: string;
  host: string;
  /** The endpoint's own path, if any, then the bucket: every request path starts with it. */
  bucketPath: string;
}

interface SendInput {
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  /** The object key inside the bucket; undefined for a bucket request. */
  key?: string;
  /** Query parameters in order; an empty value is sent as a bare name (`?uploads`). */
  query?: ReadonlyArray<readonly [string, string]>;
  headers?: Record<string, string>;
  body?: Body | string;
  /** Hex SHA-256 of the body, when the caller knows it: signed instead of hashing or UNSIGNED-PAYLOAD. */
  sha256?: string;
  signal: AbortSignal | undefined;
}

/** Opens the fast transport on a settings object that has a custom endpoint and static keys. */
export function createFastTransport(settings: S3Settings, agent: HttpAgent | HttpsAgent): S3Transport {
  const { endpoint, staticCredentials } = settings;
  if (endpoint === undefined || staticCredentials === undefined) {
    throw new Error("the fast S3 transport needs a custom endpoint and static keys");
  }
  const config: Settings = { ...settings, endpoint, staticCredentials };
  const keyCache = createSigningKeyCache();
  const parsed = new URL(endpoint);
  const target: Endpoint = {
    https: parsed.protocol === "https:",
    // The bracketed form of an IPv6 host is for URLs; the socket wants the bare address.
    hostname: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: parsed.port,
    host: parsed.host,
    bucketPath: `${parsed.pathname.replace(/\/$/, "")}/${uriEncode(config.bucket)}`,
  };
  const send = (input: SendInput): Promise<IncomingMessage> =>
    sendSigned(config, target, agent, keyCache, input);

  return {
    kind: "fast",

    async listPage(input: ListPageInput, signal?: AbortSignal): Promise<ListPage> {
      const query: Array<[string, string]> = [["list-type", "2"]];
      if (input.prefix !== undefined) query.push(["prefix", input.prefix]);
      if (input.delimiter !== undefined) query.push(["delimiter", input.delimiter]);
      if (input.continuationToken !== undefined) query.push(["continuation-token", input.continuationToken]);
      if (input.startAfter !== undefined) query.push(["start-after", input.startAfter]);
      const res = await send({ method: "GET", query, signal });
      return parseListObjectsV2(await readText(res));
    },

    async get(key, range, signal) {
      try {
        return await send({
          method: "GET",
          key,
          headers: range ? { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {},
          signal,
        });
      } catch (error) {
        if (error instanceof S3ResponseError && error.status === 404 && error.code !== "NoSuchBucket") {
          return null;
        }
        throw error;
      }
    },

    async head(key: string, signal?: AbortSignal): Promise<HeadResult | null> {
      try {
        const res = await send({ method: "HEAD", key, signal });
        res.resume();
        const modified = res.headers["last-modified"];
        return {
          size: Number(res.headers["content-length"] ?? "0"),
          etag: res.headers.etag,
          lastModified: modified === undefined ? undefined : new Date(modified),
        };
      } catch (error) {
        if (error instanceof S3ResponseError && error.status === 404) return null;
        throw error;
      }
    },

    async put(input: PutInput, signal?: AbortSignal) {
      const res = await send({
        method: "PUT",
        key: input.key,
        headers: {
          "content-length": String(input.size),
          ...(input.ifAbsent ? { "if-none-match": "*" } : {}),
        },
        body: input.body,
        ...(input.sha256 === undefined ? {} : { sha256: input.sha256 }),
        signal,
      });
      res.resume();
      return { etag: res.headers.etag, serverSideEncryption: encryptionOf(res) };
    },

    async copy(fromKey: string, toKey: string, signal?: AbortSignal) {
      try {
        const res = await send({
          method: "PUT",
          key: toKey,
          headers: { "x-amz-copy-source": `/${uriEncode(config.bucket)}/${encodeKey(fromKey)}` },
          signal,
        });
        // A copy may fail after its 200 was sent: the error is then the body.
        const text = await readText(res);
        failOnErrorBody(text);
        return { etag: parseCopyEtag(text) };
      } catch (error) {
        if (error instanceof S3ResponseError && error.status === 404 && error.code !== "NoSuchBucket") {
          return null;
        }
        throw error;
      }
    },

    async deleteMany(keys: readonly string[], signal?: AbortSignal): Promise<DeleteFailure[]> {
      const body = deleteObjectsXml(keys);
      const res = await send({
        method: "POST",
        query: [["delete", ""]],
        // S3 requires a digest on DeleteObjects; Swift-like servers accept Content-MD5 only.
        headers: {
          "content-md5": createHash("md5").update(body).digest("base64"),
          "content-type": "application/xml",
        },
        body,
        signal,
      });
      return parseDeleteErrors(await readText(res));
    },

    async createMultipart(key: string, signal?: AbortSignal) {
      const res = await send({ method: "POST", key, query: [["uploads", ""]], signal });
      const uploadId = parseUploadId(await readText(res));
      if (uploadId === undefined)
        throw new S3ResponseError(500, "InternalError", "no UploadId in the answer");
      return { uploadId };
    },

    async uploadPart(input: UploadPartInput, signal?: AbortSignal) {
      const res = await send({
        method: "PUT",
        key: input.key,
        query: [
          ["partNumber", String(input.partNumber)],
          ["uploadId", input.uploadId],
        ],
        headers: { "content-length": String(input.size) },
        body: input.body,
        signal,
      });
      res.resume();
      const etag = res.headers.etag;
      if (etag === undefined) throw new S3ResponseError(500, "InternalError", "no ETag for the part");
      return { etag, serverSideEncryption: encryptionOf(res) };
    },

    async completeMultipart(
      key: string,
      uploadId: string,
      parts: readonly CompletedPart[],
      ifAbsent: boolean,
      signal?: AbortSignal,
    ) {
      const res = await send({
        method: "POST",
        key,
        query: [["uploadId", uploadId]],
        headers: { "content-type": "application/xml", ...(ifAbsent ? { "if-none-match": "*" } : {}) },
        body: completeMultipartXml(parts),
        signal,
      });
      failOnErrorBody(await readText(res));
    },

    async abortMultipart(key: string, uploadId: string, signal?: AbortSignal) {
      const res = await send({ method: "DELETE", key, query: [["uploadId", uploadId]], signal });
      res.resume();
    },

    async listMultipartUploads(input: ListUploadsInput, signal?: AbortSignal): Promise<ListUploadsPage> {
      const query: Array<[string, string]> = [["uploads", ""]];
      if (input.prefix !== undefined) query.push(["prefix", input.prefix]);
      if (input.keyMarker !== undefined) query.push(["key-marker", input.keyMarker]);
      if (input.uploadIdMarker !== undefined) query.push(["upload-id-marker", input.uploadIdMarker]);
      const res = await send({ method: "GET", query, signal });
      return parseListMultipartUploads(await readText(res));
    },

    async headBucket(signal?: AbortSignal) {
      try {
        const res = await send({ method: "HEAD", signal });
        res.resume();
        return true;
      } catch (error) {
        if (error instanceof S3ResponseError && error.status === 404) return false;
        throw error;
      }
    },

    async createBucket(locationConstraint: string | undefined, signal?: AbortSignal) {
      const res = await send({
        method: "PUT",
        body: locationConstraint === undefined ? undefined : createBucketXml(locationConstraint),
        signal,
      });
      res.resume();
    },

    close() {},
  };
}

// --- internal ---

/** Sends one signed request; resolves to the response once its status is a success. */
function sendSigned(
  config: Settings,
  endpoint: Endpoint,
  agent: HttpAgent | HttpsAgent,
  keyCache: SigningKeyCache,
  input: SendInput,
): Promise<IncomingMessage> {
  const url = requestTarget(endpoint, input.key, input.query ?? []);
  const body = typeof input.body === "string" ? Buffer.from(input.body, "utf8") : input.body;
  // Signed when the hash is known or the bytes are held, so the server checks the body; a streamed
  // body of unknown hash goes as UNSIGNED-PAYLOAD (the store checks its ETag instead).
  const payloadHash =
    body === undefined
      ? EMPTY_SHA256
      : (input.sha256 ??
        (body instanceof Uint8Array ? createHash("sha256").update(body).digest("hex") : UNSIGNED_PAYLOAD));
  const headers: OutgoingHttpHeaders = signRequest({
    method: input.method,
    url,
    headers: input.headers,
    payloadHash,
    region: config.region,
    credentials: config.staticCredentials,
    now: new Date(),
    keyCache,
  });
  if (body instanceof Uint8Array) headers["content-length"] = String(body.length);
  else if (body === undefined && (input.method === "PUT" || input.method === "POST"))
    headers["content-length"] = "0";
  // Not a static `import … from "node:http"`: an ES import of that module evaluates its lazy
  // getters and so loads Node's whole fetch stack (undici, zlib, web streams) at start-up, which
  // every command paid, S3 or not. Measured on this 2-core machine at load 5–6, 15 runs
  // alternated: ES import 265 ms a run, getBuiltinModule 135 ms, bare `node` 124 ms.
  const send = endpoint.https
    ? process.getBuiltinModule("node:https").request
    : process.getBuiltinModule("node:http").request;
  const requestOptions = {
    hostname: endpoint.hostname,
    ...(endpoint.port === "" ? {} : { port: endpoint.port }),
    path: url.pathname + url.search,
    method: input.method,
    headers,
    agent,
    signal: input.signal,
  };
  return new Promise((resolve, reject) => {
    const req = send(requestOptions, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        resolve(res);
        return;
      }
      readText(res).then((text) => {
        const { code, message } = parseS3ErrorXml(text);
        const retryAfter = res.headers["retry-after"];
        reject(
          new S3ResponseError(status, code, message, typeof retryAfter === "string" ? retryAfter : undefined),
        );
      }, reject);
    });
    const timeout = (what: string, ms: number) => () =>
      req.destroy(Object.assign(new Error(`${what} ${url.host} in ${ms} ms`), { code: "ETIMEDOUT" }));
    req.setTimeout(config.idleTimeoutMs, timeout("no answer from", config.idleTimeoutMs));
    req.once("socket", (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(
        timeout("could not connect to", config.connectTimeoutMs),
        config.connectTimeoutMs,
      );
      socket.once("connect", () => clearTimeout(timer));
      socket.once("close", () => clearTimeout(timer));
    });
    req.on("error", reject);
    if (body === undefined) req.end();
    else if (body instanceof Uint8Array) req.end(body);
    else {
      body.once("error", (error) => req.destroy(error));
      body.pipe(req);
    }
  });
}

/**
 * The request's host, path and query, path-style, as strings: a `new URL` per request (and
 * node:http turning it back into options) was ~5% of the main thread on a fetch of 4,000 small
 * objects (V8 profile, 186 of 3,600 ms busy for the URL alone).
 */
function requestTarget(
  endpoint: Endpoint,
  key: string | undefined,
  query: ReadonlyArray<readonly [string, string]>,
): SignTarget {
  const search = query
    .map(([name, value]) => (value === "" ? uriEncode(name) : `${uriEncode(name)}=${uriEncode(value)}`))
    .join("&");
  return {
    host: endpoint.host,
    pathname: key === undefined ? endpoint.bucketPath : `${endpoint.bucketPath}/${encodeKey(key)}`,
    search: search === "" ? "" : `?${search}`,
  };
}

function encryptionOf(res: IncomingMessage): string | undefined {
  const value = res.headers["x-amz-server-side-encryption"];
  return typeof value === "string" ? value : undefined;
}

function encodeKey(key: string): string {
  return key.split("/").map(uriEncode).join("/");
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Some answers (CopyObject, CompleteMultipartUpload) carry an error in a 200 body. */
function failOnErrorBody(text: string): void {
  if (!/<Error>/.test(text)) return;
  const { code, message } = parseS3ErrorXml(text);
  throw new S3ResponseError(code === "PreconditionFailed" ? 412 : 500, code ?? "InternalError", message);
}
