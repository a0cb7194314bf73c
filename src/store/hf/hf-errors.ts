/**
 * How Hugging Face bucket failures become `StoreError`s: one message per cause, naming the fix,
 * and never a token (the Hub token, a Xet access token, or a signed transfer URL).
 */
import { NotFoundError, StoreError } from "../../errors.ts";

/** What a failed call was doing, for the message. */
export interface HfErrorContext {
  /** `namespace/name`. */
  bucket: string;
  /** The Hub endpoint, e.g. `https://huggingface.co`. */
  endpoint: string;
  /** Whether the call needed write access; decides the 403 wording. */
  access: "read" | "write";
  /** A short verb phrase, e.g. `list "a/b"`. */
  action: string;
}

/** What the server said besides the status. */
export interface HfErrorDetails {
  /** `X-Error-Code`, e.g. `RepoNotFound`, `EntryNotFound`. */
  errorCode?: string | null;
  /** The server's own message (`error` of the JSON body or `X-Error-Message`). */
  serverMessage?: string;
  cause?: unknown;
}

const STORE = "hf";

/** Maps an HTTP failure status to a StoreError whose message names the problem and the fix. */
export function hfStatusError(
  status: number,
  context: HfErrorContext,
  details: HfErrorDetails = {},
): StoreError | NotFoundError {
  const prefix = `cannot ${context.action} on hf://buckets/${context.bucket}`;
  const server = details.serverMessage ? ` (server said: ${details.serverMessage})` : "";
  const cause = details.cause;
  switch (true) {
    case status === 401:
      return new StoreError(`${prefix}: token rejected or missing; set HF_TOKEN or run \`hf auth login\``, {
        store: STORE,
        status,
        retryable: false,
        code: "E_STORE_AUTH",
        hint: "Create a token at https://huggingface.co/settings/tokens, then export HF_TOKEN=<token>.",
        cause,
      });
    case status === 403:
      return new StoreError(
        context.access === "write"
          ? `${prefix}: token lacks write access to ${context.bucket}`
          : `${prefix}: token lacks read access to ${context.bucket}`,
        {
          store: STORE,
          status,
          retryable: false,
          code: "E_STORE_FORBIDDEN",
          hint:
            context.access === "write"
              ? `Use a token with write permission on ${context.bucket.split("/")[0]} (a "write" or fine-grained token scoped to this bucket).`
              : `Use a token that can read ${context.bucket}.`,
          cause,
        },
      );
    case status === 404 && details.errorCode !== "EntryNotFound":
      return bucketMissing(context, cause);
    case status === 429:
      return new StoreError(`${prefix}: rate limited by ${context.endpoint}; wait a few minutes and retry`, {
        store: STORE,
        status,
        retryable: true,
        hint: "Hub API calls are limited per 5-minute window; a PRO or Enterprise account has higher limits.",
        cause,
      });
    case status >= 500 || status === 408:
      return new StoreError(`${prefix}: ${context.endpoint} answered HTTP ${status}${server}; retry later`, {
        store: STORE,
        status,
        retryable: true,
        cause,
      });
    default:
      return new StoreError(`${prefix}: HTTP ${status}${server}`, {
        store: STORE,
        status,
        retryable: false,
        cause,
      });
  }
}

/** The bucket does not exist (or is private to another account, which the Hub reports the same way). */
export function bucketMissing(context: HfErrorContext, cause?: unknown): NotFoundError {
  // "Not found" like a missing S3 bucket or store folder: same exit code, same fix.
  return new NotFoundError(
    `[hf] bucket ${context.bucket} does not exist; create it with \`neff-cache create ${context.bucket}\``,
    {
      code: "E_STORE_MISSING",
      hint: `If it exists but is private, use a token of an account that can read it.`,
      cause,
    },
  );
}

/** The endpoint could not be reached (DNS, refused, reset, timeout) after the retries. */
export function hfNetworkError(
  context: HfErrorContext,
  error: unknown,
  secrets: ReadonlyArray<string | undefined> = [],
): StoreError {
  const code = networkCode(error);
  const timedOut = error instanceof Error && error.name === "TimeoutError";
  const reason = timedOut ? "timed out" : code !== undefined ? `failed with ${code}` : "failed";
  return new StoreError(
    `cannot ${context.action} on hf://buckets/${context.bucket}: request to ${context.endpoint} ${reason}`,
    {
      store: STORE,
      retryable: true,
      code: "E_STORE_UNREACHABLE",
      hint: `Check the network and HF_ENDPOINT (now ${context.endpoint}).`,
      cause: redactedCause(error, secrets),
    },
  );
}

/** The Node network error code of a fetch failure (`ECONNREFUSED`, `UND_ERR_SOCKET`…), if any. */
export function networkCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Replaces every known secret and anything shaped like a token or a signed URL query.
 * `secrets` are exact values to remove (the Hub token in use).
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) out = out.split(secret).join("***");
  }
  return out
    .replace(/\bhf_[A-Za-z0-9_-]{4,}/g, "hf_***")
    .replace(/\b(Bearer|Basic)\s+[^\s"',;]+/gi, "$1 ***")
    .replace(/(https?:\/\/[^\s"'?#]+)\?[^\s"'#]*/g, "$1?***");
}

/** A copy of an error fit to travel as `cause`: same name and code, redacted message, no stack of secrets. */
export function redactedCause(error: unknown, secrets: ReadonlyArray<string | undefined> = []): Error {
  const message = error instanceof Error ? error.message : String(error);
  const copy = new Error(redactSecrets(message, secrets));
  copy.name = error instanceof Error ? error.name : "Error";
  const code = networkCode(error);
  if (code !== undefined) (copy as Error & { code?: string }).code = code;
  return copy;
}
