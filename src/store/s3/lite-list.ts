/**
 * ListObjectsV2 without the AWS SDK, for custom endpoints with static keys: loading the SDK
 * costs ~100–200 ms, most of what a warm `exec` (one listing, nothing to transfer) would add to
 * a compile. Errors take the SDK's shape (`name`, `$metadata.httpStatusCode`, `$response.headers`)
 * so the store's retry and error mapping treat both paths alike.
 */
import { request as httpRequest } from "node:http";
import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import type { Agent as HttpsAgent } from "node:https";
import type { ListObjectsPage } from "./list-objects-xml.ts";
import { parseListObjectsV2, parseS3ErrorXml } from "./list-objects-xml.ts";
import type { SigV4Credentials } from "./sigv4.ts";
import { signGet, UNSIGNED_PAYLOAD, uriEncode } from "./sigv4.ts";

export interface LiteListOptions {
  /** Custom endpoint, e.g. http://127.0.0.1:7480 or https://s3.hf.co/<namespace> (path-style). */
  endpoint: string;
  region: string;
  credentials: SigV4Credentials;
  bucket: string;
  prefix: string | undefined;
  delimiter: string | undefined;
  continuationToken: string | undefined;
  agent: HttpAgent | HttpsAgent;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

export interface LiteGetOptions {
  endpoint: string;
  region: string;
  credentials: SigV4Credentials;
  bucket: string;
  key: string;
  range: { offset: number; length: number } | undefined;
  agent: HttpAgent | HttpsAgent;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

/**
 * GetObject without the SDK: the body as a stream once the headers say 200 or 206. The Range
 * header needs no signing (SigV4 signs host and x-amz-* headers only).
 */
export function liteGetObject(options: LiteGetOptions): Promise<IncomingMessage> {
  const url = objectUrl(options.endpoint, options.bucket, options.key);
  const headers: Record<string, string> = signGet({
    url,
    region: options.region,
    credentials: options.credentials,
    now: new Date(),
  });
  if (options.range)
    headers.range = `bytes=${options.range.offset}-${options.range.offset + options.range.length - 1}`;
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: "GET", headers, agent: options.agent, signal: options.signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 200 || status === 206) {
        resolve(res);
        return;
      }
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => reject(s3Error(status, Buffer.concat(chunks).toString("utf8"), res.headers)));
    });
    req.setTimeout(options.timeoutMs, () =>
      req.destroy(
        Object.assign(new Error(`no answer from ${url.host} in ${options.timeoutMs} ms`), {
          code: "ETIMEDOUT",
        }),
      ),
    );
    req.on("error", reject);
    req.end();
  });
}

export interface LitePutOptions extends Omit<LiteGetOptions, "range"> {
  /** A stream, or the bytes themselves (sent with the headers in one write). */
  body: Readable | Uint8Array;
  size: number;
  ifAbsent: boolean;
}

/** PutObject without the SDK: streams the body with its length; resolves to the ETag. */
export function litePutObject(options: LitePutOptions): Promise<{ etag: string | undefined }> {
  const url = objectUrl(options.endpoint, options.bucket, options.key);
  const headers: Record<string, string> = signGet({
    method: "PUT",
    payloadHash: UNSIGNED_PAYLOAD,
    url,
    region: options.region,
    credentials: options.credentials,
    now: new Date(),
  });
  headers["content-length"] = String(options.size);
  if (options.ifAbsent) headers["if-none-match"] = "*";
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: "PUT", headers, agent: options.agent, signal: options.signal }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        if (status === 200)
          resolve({ etag: typeof res.headers.etag === "string" ? res.headers.etag : undefined });
        else reject(s3Error(status, Buffer.concat(chunks).toString("utf8"), res.headers));
      });
    });
    req.setTimeout(options.timeoutMs, () =>
      req.destroy(
        Object.assign(new Error(`no answer from ${url.host} in ${options.timeoutMs} ms`), {
          code: "ETIMEDOUT",
        }),
      ),
    );
    req.on("error", reject);
    const body = options.body;
    if (body instanceof Uint8Array) {
      req.end(body);
      return;
    }
    body.on("error", (error) => req.destroy(error));
    body.pipe(req);
  });
}

/** One page of a listing. */
export async function liteListPage(options: LiteListOptions): Promise<ListObjectsPage> {
  const base = new URL(options.endpoint);
  const url = new URL(base.href);
  url.pathname = `${base.pathname.replace(/\/$/, "")}/${uriEncode(options.bucket)}`;
  const query: Array<[string, string]> = [["list-type", "2"]];
  if (options.prefix !== undefined) query.push(["prefix", options.prefix]);
  if (options.delimiter !== undefined) query.push(["delimiter", options.delimiter]);
  if (options.continuationToken !== undefined) query.push(["continuation-token", options.continuationToken]);
  url.search = query.map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`).join("&");
  const headers = signGet({ url, region: options.region, credentials: options.credentials, now: new Date() });
  const { status, body, responseHeaders } = await get(url, headers, options);
  if (status === 200) return parseListObjectsV2(body);
  throw s3Error(status, body, responseHeaders);
}

/** An S3 error in the SDK's shape, from a status and an error body. */
function s3Error(status: number, body: string, headers: IncomingHttpHeaders | Record<string, string>): Error {
  const { code, message } = parseS3ErrorXml(body);
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (typeof value === "string") responseHeaders[name] = value;
  return Object.assign(new Error(message ?? `HTTP ${status}`), {
    name: code ?? (status === 404 ? "NotFound" : `Http${status}`),
    $metadata: { httpStatusCode: status },
    $response: { headers: responseHeaders },
  });
}

function objectUrl(endpoint: string, bucket: string, key: string): URL {
  const base = new URL(endpoint);
  const url = new URL(base.href);
  url.pathname = `${base.pathname.replace(/\/$/, "")}/${uriEncode(bucket)}/${key.split("/").map(uriEncode).join("/")}`;
  url.search = "";
  return url;
}

function get(
  url: URL,
  headers: Record<string, string>,
  options: LiteListOptions,
): Promise<{ status: number; body: string; responseHeaders: Record<string, string> }> {
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: "GET", headers, agent: options.agent, signal: options.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (typeof value === "string") responseHeaders[name] = value;
        }
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          responseHeaders,
        });
      });
    });
    req.setTimeout(options.timeoutMs, () =>
      req.destroy(
        Object.assign(new Error(`no answer from ${url.host} in ${options.timeoutMs} ms`), {
          code: "ETIMEDOUT",
        }),
      ),
    );
    req.on("error", reject);
    req.end();
  });
}
