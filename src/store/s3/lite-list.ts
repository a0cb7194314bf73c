/**
 * ListObjectsV2 without the AWS SDK, for custom endpoints with static keys: loading the SDK
 * costs ~100–200 ms, most of what a warm `exec` (one listing, nothing to transfer) would add to
 * a compile. Errors take the SDK's shape (`name`, `$metadata.httpStatusCode`, `$response.headers`)
 * so the store's retry and error mapping treat both paths alike.
 */
import { request as httpRequest } from "node:http";
import type { Agent as HttpAgent } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Agent as HttpsAgent } from "node:https";
import type { ListObjectsPage } from "./list-objects-xml.ts";
import { parseListObjectsV2, parseS3ErrorXml } from "./list-objects-xml.ts";
import type { SigV4Credentials } from "./sigv4.ts";
import { signGet, uriEncode } from "./sigv4.ts";

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
  const { code, message } = parseS3ErrorXml(body);
  throw Object.assign(new Error(message ?? `HTTP ${status}`), {
    name: code ?? (status === 404 ? "NotFound" : `Http${status}`),
    $metadata: { httpStatusCode: status },
    $response: { headers: responseHeaders },
  });
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
