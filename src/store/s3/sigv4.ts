/**
 * AWS Signature Version 4 for simple S3 GET requests without a body. Pure: the caller gives the
 * clock. Used by the SDK-free listing (`lite-list.ts`); everything else goes through the SDK.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac } from "node:crypto";

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignGetOptions {
  /** @default "GET" */
  method?: "GET" | "PUT";
  /**
   * Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` for a streamed body whose bytes are checked
   * afterwards another way. @default the hash of an empty body
   */
  payloadHash?: string;
  /** The full request URL (its query is signed as given). */
  url: URL;
  region: string;
  credentials: SigV4Credentials;
  now: Date;
}

/** SHA-256 of an empty body, the payload hash of every GET. */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** Payload hash for streamed uploads: the bytes are not part of the signature. */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** The headers that sign a request (a GET by default) of `url`: Host, x-amz-date, x-amz-content-sha256, Authorization (and the session token). */
export function signGet(options: SignGetOptions): Record<string, string> {
  const { url, region, credentials } = options;
  const amzDate = options.now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const dateStamp = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    host: url.host,
    "x-amz-content-sha256": options.payloadHash ?? EMPTY_SHA256,
    "x-amz-date": amzDate,
  };
  if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((name) => `${name}:${(headers[name] ?? "").trim()}\n`).join("");
  const signedHeaders = names.join(";");
  const canonicalRequest = [
    options.method ?? "GET",
    canonicalPath(url.pathname),
    canonicalQuery(url.searchParams),
    canonicalHeaders,
    signedHeaders,
    options.payloadHash ?? EMPTY_SHA256,
  ].join("\n");
  const scope = `${dateStamp}/${region}/s3/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  let key: Buffer = hmac(`AWS4${credentials.secretAccessKey}`, dateStamp);
  for (const part of [region, "s3", "aws4_request"]) key = hmac(key, part);
  const signature = hmac(key, stringToSign).toString("hex");
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

// --- internal ---

function canonicalPath(pathname: string): string {
  // S3 signs the path as sent, segment by segment, without normalising or double-encoding.
  return pathname
    .split("/")
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join("/");
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params.entries()]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}
