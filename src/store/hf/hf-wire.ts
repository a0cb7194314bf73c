/**
 * Wire shapes of the Hugging Face bucket API and the pure helpers that read and write them.
 * No I/O here: everything is table-tested.
 *
 * https://huggingface.co/docs/hub/storage-buckets
 */

/** A file entry of `GET /api/buckets/{ns}/{name}/tree` and `POST …/paths-info`. */
export interface ApiBucketFile {
  type: "file";
  path: string;
  size: number;
  xetHash: string;
  /** ISO-8601; the client-supplied modification time. */
  mtime?: string;
  /** ISO-8601; server time of the upload. */
  uploadedAt?: string;
}

/** A directory entry; only non-recursive tree listings carry them. */
export interface ApiBucketDirectory {
  type: "directory";
  path: string;
  uploadedAt?: string;
}

export type ApiBucketTreeEntry = ApiBucketFile | ApiBucketDirectory;

/** One NDJSON line of `POST /api/buckets/{ns}/{name}/batch`. */
export type ApiBatchOperation =
  | { type: "addFile"; path: string; xetHash: string; mtime?: number; size?: number }
  | {
      type: "copyFile";
      path: string;
      xetHash: string;
      sourceRepoType: "bucket";
      sourceRepoId: string;
      mtime?: number;
      size?: number;
    }
  | { type: "deleteFile"; path: string };

/** The report of a batch call, sent on 200 (possibly with `success: false`) and on 422. */
export interface ApiBatchReport {
  success: boolean;
  processed: number;
  succeeded: number;
  failed: Array<{ path: string; error: string }>;
}

/** The bucket API limits one batch to this many operations by convention (official clients do). */
export const MAX_BATCH_OPERATIONS = 1000;
/** `paths-info` takes at most this many paths per call by convention. */
export const MAX_PATHS_INFO = 1000;
/** Largest tree page the server serves. */
export const MAX_TREE_PAGE = 5000;

/** Encodes batch operations as NDJSON, adds and copies before deletes (the server requires it). */
export function encodeBatch(operations: readonly ApiBatchOperation[]): string {
  const rank = (op: ApiBatchOperation): number => (op.type === "deleteFile" ? 1 : 0);
  return (
    [...operations]
      .sort((a, b) => rank(a) - rank(b))
      .map((op) => JSON.stringify(op))
      .join("\n") + "\n"
  );
}

/**
 * Reads a batch report. Returns null when the body is not one, so the caller can treat the
 * response as an ordinary HTTP failure instead of trusting an empty `failed` list.
 */
export function parseBatchReport(body: unknown): ApiBatchReport | null {
  if (typeof body !== "object" || body === null) return null;
  const record = body as Record<string, unknown>;
  if (!Array.isArray(record.failed)) return null;
  const failed: ApiBatchReport["failed"] = [];
  for (const item of record.failed as unknown[]) {
    if (typeof item !== "object" || item === null) return null;
    const entry = item as Record<string, unknown>;
    if (typeof entry.path !== "string") return null;
    failed.push({ path: entry.path, error: typeof entry.error === "string" ? entry.error : "unknown error" });
  }
  return {
    success: record.success !== false,
    processed: typeof record.processed === "number" ? record.processed : 0,
    succeeded: typeof record.succeeded === "number" ? record.succeeded : 0,
    failed,
  };
}

/** The `rel="next"` URL of a `Link` header, or null. */
export function parseLinkNext(header: string | null | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match === null) continue;
    const params = match[2] ?? "";
    if (/(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(params)) {
      return match[1] ?? null;
    }
  }
  return null;
}

/**
 * The wait, in milliseconds, that an IETF `RateLimit` header asks for (`"api";r=0;t=55` →
 * 55 000). Only a policy with no remaining quota (`r=0`, or no `r`) imposes a wait.
 */
export function parseRateLimitReset(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  let longest: number | undefined;
  for (const item of header.split(",")) {
    const params = new Map<string, string>();
    for (const piece of item.split(";").slice(1)) {
      const [name, value] = piece.split("=");
      if (name !== undefined && value !== undefined) params.set(name.trim().toLowerCase(), value.trim());
    }
    const remaining = params.get("r");
    if (remaining !== undefined && Number(remaining) > 0) continue;
    const seconds = Number(params.get("t"));
    if (params.has("t") && Number.isFinite(seconds) && seconds >= 0) {
      longest = Math.max(longest ?? 0, seconds * 1000);
    }
  }
  return longest;
}

/** Percent-encodes each segment of a path, keeping the "/" separators. */
export function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** True for an object that looks like a bucket file entry. */
export function isApiBucketFile(value: unknown): value is ApiBucketFile {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    entry.type === "file" &&
    typeof entry.path === "string" &&
    typeof entry.size === "number" &&
    typeof entry.xetHash === "string"
  );
}

/** Splits `items` into consecutive groups of at most `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
