/**
 * AWS Signature Version 4 in the Authorization header, as S3 checks it. Pure: the caller gives
 * the clock. Checked against AWS's published vectors and, on generated requests, against
 * `@smithy/signature-v4` (sigv4.test.ts).
 *
 * Why not `@smithy/signature-v4` itself: loading it pulls in `@smithy/core` and costs 25–45 ms
 * (75 ms bundled, first run) on this 2-core machine, a whole warm `exec` budget, while both sign
 * one request in ~31–35 µs. This file is that difference.
 *
 * Why SHA-256 and HMAC in JavaScript (`@noble/hashes`, bundled into the CLI) and not node:crypto:
 * a warm `exec` on an S3 store signs one to sixteen listing requests and hashes nothing else, and
 * loading node:crypto is most of that cost on Node 24. From a fresh process to the 1st / 4th /
 * 16th signature: 16.4 / 17.1 / 18.5 ms with node:crypto, 9.9 / 13.1 / 16.2 ms with these
 * (medians of 15 alternated runs; interpreted JavaScript hashes slower until the JIT warms up,
 * which is why the lead shrinks). The build aliases the package to its folder, so that esbuild
 * bundles it while other npm packages stay external: it is ESM only, which `require()` loads
 * only from Node 20.19 on.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The parts of a request URL that are signed: `search` is empty or starts with "?". */
export interface SignTarget {
  host: string;
  pathname: string;
  search: string;
}

export interface SignOptions {
  method: string;
  /**
   * The request's host and its path and query as sent (a URL, or the same three parts without
   * building one); the path and query are signed as S3 reads them.
   */
  url: SignTarget;
  /**
   * Further headers to send and sign (lower-case names), e.g. `content-md5`, `range`,
   * `if-none-match`. Host, x-amz-date, x-amz-content-sha256 and the token are added.
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` for a streamed body whose bytes are checked
   * another way. @default the hash of an empty body
   */
  payloadHash?: string;
  region: string;
  /** @default "s3" */
  service?: string;
  /** Send and sign x-amz-content-sha256, which S3 requires and other services do not. @default true */
  contentSha256Header?: boolean;
  credentials: SigV4Credentials;
  now: Date;
  /** Where the day's signing key is kept between requests (see `createSigningKeyCache`). */
  keyCache?: SigningKeyCache;
}

/**
 * The last derived signing key. It depends on the secret, day, region and service only, and
 * deriving it is four of the five HMACs of a signature; a transport keeps one cache.
 */
export interface SigningKeyCache {
  scope: string;
  secret: string;
  key: Uint8Array | null;
}

export function createSigningKeyCache(): SigningKeyCache {
  return { scope: "", secret: "", key: null };
}

/** SHA-256 of an empty body, the payload hash of every GET. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** Payload hash for streamed uploads: the bytes are not part of the signature. */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** Every header to send for a signed request: the given ones, the signing ones and Authorization. */
export function signRequest(options: SignOptions): Record<string, string> {
  const { url, region, credentials } = options;
  const service = options.service ?? "s3";
  const payloadHash = options.payloadHash ?? EMPTY_SHA256;
  const amzDate = options.now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const dateStamp = amzDate.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  headers.host = url.host;
  if (options.contentSha256Header ?? true) headers["x-amz-content-sha256"] = payloadHash;
  headers["x-amz-date"] = amzDate;
  if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((name) => `${name}:${canonicalValue(headers[name] ?? "")}\n`).join("");
  const signedHeaders = names.join(";");
  const canonicalRequest = [
    options.method,
    canonicalPath(url.pathname),
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join("\n");
  const scope = `${dateStamp}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const key = signingKey(credentials.secretAccessKey, dateStamp, region, service, scope, options.keyCache);
  const signature = bytesToHex(hmac(key, stringToSign));
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

// --- internal ---

function signingKey(
  secret: string,
  dateStamp: string,
  region: string,
  service: string,
  scope: string,
  cache: SigningKeyCache | undefined,
): Uint8Array {
  if (cache?.key && cache.scope === scope && cache.secret === secret) return cache.key;
  let key = hmac(`AWS4${secret}`, dateStamp);
  for (const part of [region, service, "aws4_request"]) key = hmac(key, part);
  if (cache) Object.assign(cache, { scope, secret, key });
  return key;
}

/** Trimmed, inner runs of spaces folded to one, as the canonical form wants. */
function canonicalValue(value: string): string {
  return value.trim().replace(/\s+/g, " ");
}

function canonicalPath(pathname: string): string {
  // S3 signs the path as sent, segment by segment, without normalising or double-encoding.
  return pathname
    .split("/")
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join("/");
}

/**
 * The query sorted by encoded name, then value. Read from the raw search string rather than
 * URLSearchParams, which would turn "+" into a space that S3 does not see.
 */
function canonicalQuery(search: string): string {
  if (search === "" || search === "?") return "";
  return search
    .slice(1)
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const at = pair.indexOf("=");
      const name = at < 0 ? pair : pair.slice(0, at);
      const value = at < 0 ? "" : pair.slice(at + 1);
      return [uriEncode(decodeURIComponent(name)), uriEncode(decodeURIComponent(value))] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

function hmac(key: string | Uint8Array, data: string): Uint8Array {
  return nobleHmac(sha256, typeof key === "string" ? utf8ToBytes(key) : key, utf8ToBytes(data));
}
