/**
 * How S3 failures are judged (retry or not) and what the user is told. Pure, table-tested
 * without a server. Both transports report a server's answer as an `S3ResponseError`; network
 * failures stay Node errors (with their `code`), and the SDK's own local failures (no
 * credentials, a socket timeout) keep their `name`.
 */
import { type NeffCacheError, NotFoundError, StoreError } from "../../errors.ts";
import { isRetryableStatus, parseRetryAfter, RETRYABLE_NETWORK_CODES, type RetryDecision } from "../retry.ts";

/** An S3 server's refusal: the HTTP status, the S3 error code and what is needed to retry. */
export class S3ResponseError extends Error {
  override readonly name = "S3ResponseError";
  readonly status: number;
  /** The S3 error code (`NoSuchKey`, `SlowDown`, …), or `Http<status>` when the body named none. */
  readonly code: string;
  /** The Retry-After header, when the server sent one. */
  readonly retryAfter: string | undefined;

  constructor(status: number, code: string | undefined, message: string | undefined, retryAfter?: string) {
    const named = code || (status === 404 ? "NotFound" : `Http${status}`);
    super(message || `HTTP ${status} ${named}`);
    this.status = status;
    this.code = named;
    this.retryAfter = retryAfter;
  }
}

/** Where a failed request was going; never holds a secret. */
export interface S3ErrorContext {
  bucket: string;
  /** The key inside the bucket, when the request was about one object. */
  key?: string;
  /** The endpoint URL, or undefined for AWS itself. */
  endpoint?: string;
  /** What was being done, e.g. "read", "list", "write". */
  action: string;
}

/** Error names S3 and its look-alikes use for "slow down, try again". */
const THROTTLING = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestThrottled",
  "TooManyRequests",
  "RequestTimeout",
  "RequestTimeTooSkewed",
  "InternalError",
  "ServiceUnavailable",
  "ConditionalRequestConflict",
]);

/**
 * Error names of a body the server received other than it was sent (a checksum the body no
 * longer matched): damaged on the way, so sending it again is worth it.
 */
const DAMAGED_IN_TRANSIT = new Set(["XAmzContentSHA256Mismatch", "BadDigest"]);

const AUTH_FAILURES = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidToken",
  "ExpiredToken",
  "TokenRefreshRequired",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
]);

/** The HTTP status, when the server answered. */
export function s3Status(error: unknown): number | undefined {
  return error instanceof S3ResponseError ? error.status : undefined;
}

/** The S3 error code (`NoSuchKey`, `SlowDown`, …) or the error's name. */
export function s3ErrorName(error: unknown): string {
  if (error instanceof S3ResponseError) return error.code;
  const name = field(error, "name");
  return typeof name === "string" ? name : "";
}

/** Whether the server said "this object (or bucket) is not there". */
export function isS3NotFound(error: unknown): boolean {
  const name = s3ErrorName(error);
  return name === "NoSuchKey" || name === "NotFound" || name === "NoSuchBucket" || s3Status(error) === 404;
}

/** Whether the failure was the bucket itself missing. */
export function isNoSuchBucket(error: unknown): boolean {
  return s3ErrorName(error) === "NoSuchBucket";
}

/**
 * Error names of a session token the server found expired: with credentials a provider renews
 * (instance role, SSO, assumed role), a request signed just before the token's end can arrive
 * after it, and the retry is signed with the renewed token.
 */
const EXPIRED_SESSION = new Set(["ExpiredToken", "TokenRefreshRequired"]);

export interface S3ErrorClassifyOptions {
  /** The credentials come from a provider that renews them (not static keys). */
  renewingCredentials?: boolean;
}

/**
 * Retry on 408/429/5xx, throttling codes, timeouts and connection resets; honour Retry-After.
 * An expired session token is retried only when the credentials renew themselves.
 */
export function classifyS3Error(
  error: unknown,
  now: number = Date.now(),
  options: S3ErrorClassifyOptions = {},
): RetryDecision {
  const status = s3Status(error);
  const name = s3ErrorName(error);
  if (options.renewingCredentials === true && EXPIRED_SESSION.has(name)) return { retry: true };
  const retryAfterMs = parseRetryAfter(error instanceof S3ResponseError ? error.retryAfter : undefined, now);
  if (status !== undefined && isRetryableStatus(status)) return { retry: true, retryAfterMs };
  if (THROTTLING.has(name)) return { retry: true, retryAfterMs };
  if (DAMAGED_IN_TRANSIT.has(name)) return { retry: true };
  if (name === "TimeoutError") return { retry: true };
  if (status === undefined && RETRYABLE_NETWORK_CODES.has(networkCode(error))) return { retry: true };
  return { retry: false };
}

/** Turns an SDK or network failure into an error that names the problem and the fix. */
export function mapS3Error(error: unknown, context: S3ErrorContext): NeffCacheError {
  const status = s3Status(error);
  const name = s3ErrorName(error);
  const where = `s3://${context.bucket}${context.key === undefined ? "" : `/${context.key}`}`;
  const endpoint = context.endpoint ?? "AWS S3";
  const base = { store: "s3", status, cause: error };

  if (name === "NoSuchBucket" || (status === 404 && context.key === undefined)) {
    return new NotFoundError(`The S3 bucket "${context.bucket}" does not exist at ${endpoint}.`, {
      hint: `Create it with \`neff-cache create s3://${context.bucket}\`, or check the bucket name and AWS_ENDPOINT_URL_S3.`,
      code: "E_STORE_MISSING",
      cause: error,
    });
  }
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message(error))) {
    return new StoreError(`No AWS credentials were found to ${context.action} ${where}.`, {
      ...base,
      retryable: false,
      code: "E_STORE_AUTH",
      hint: "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (see `aws configure`).",
    });
  }
  if (AUTH_FAILURES.has(name) || status === 401 || (status === 403 && name !== "AccessDenied")) {
    return new StoreError(
      `The credentials were rejected by ${endpoint} while trying to ${context.action} ${where} (${name || status}).`,
      {
        ...base,
        retryable: false,
        code: "E_STORE_AUTH",
        hint: "Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and that they belong to this endpoint.",
      },
    );
  }
  if (name === "AccessDenied") {
    return new StoreError(`Access denied while trying to ${context.action} ${where} at ${endpoint}.`, {
      ...base,
      retryable: false,
      code: "E_STORE_AUTH",
      hint: "The credentials are valid but may not do this: check the bucket policy or the IAM permissions.",
    });
  }
  const code = networkCode(error);
  if (status === undefined && (code !== "" || name === "TimeoutError")) {
    const what = name === "TimeoutError" ? "timed out" : `failed (${code})`;
    const connect = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"].includes(code);
    return new StoreError(
      connect
        ? `Cannot reach the S3 endpoint ${endpoint} to ${context.action} ${where} (${code}).`
        : `The request to ${endpoint} to ${context.action} ${where} ${what}.`,
      {
        ...base,
        retryable: true,
        hint: connect
          ? "Check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and that the server is running and reachable."
          : "Check the network and try again.",
      },
    );
  }
  const retryable = classifyS3Error(error).retry;
  if (status === undefined && name === "Error") {
    // Not an answer from S3 at all: the body being sent failed (a source that broke off or
    // failed its verification), and that failure is the message.
    const why = message(error).replace(/\.$/, "") || "unknown error";
    return new StoreError(`Could not ${context.action} ${where}: ${why}.`, { ...base, retryable });
  }
  return new StoreError(
    `S3 refused to ${context.action} ${where}: ${name || "error"}${status === undefined ? "" : ` (HTTP ${status})`}.`,
    { ...base, retryable },
  );
}

// --- internal ---

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : "";
}

/** A Node network code, also from inside an AggregateError (IPv4 + IPv6 connection attempts). */
function networkCode(error: unknown): string {
  const code = field(error, "code");
  if (typeof code === "string" && code !== "") return code;
  const errors = field(error, "errors");
  if (Array.isArray(errors))
    for (const inner of errors) if (networkCode(inner) !== "") return networkCode(inner);
  const cause = field(error, "cause");
  return cause !== undefined && cause !== error ? networkCode(cause) : "";
}
