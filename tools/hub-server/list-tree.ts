import { compareStrings, sortedBucketPaths } from "./bucket-record.ts";
import type { BucketFile, BucketRecord } from "./bucket-record.ts";

/** Default and largest page sizes of the tree endpoint. */
export const DEFAULT_TREE_LIMIT = 1000;
export const MAX_TREE_LIMIT = 5000;

/** A file entry as the Hub serializes it. */
export interface TreeFileEntry {
  type: "file";
  path: string;
  size: number;
  xetHash: string;
  mtime: string;
  uploadedAt: string;
  contentType?: string;
}

/** A directory entry (non-recursive listings only). */
export interface TreeDirectoryEntry {
  type: "directory";
  path: string;
  uploadedAt: string;
}

export type TreeEntry = TreeFileEntry | TreeDirectoryEntry;

/** Options of {@link listTree}. */
export interface ListTreeOptions {
  /** Raw string prefix; "" for the whole bucket. */
  prefix: string;
  recursive: boolean;
  limit: number;
  /** Path of the last entry of the previous page, from the decoded cursor. */
  after: string | null;
}

/** One page of a listing. */
export interface TreePage {
  entries: TreeEntry[];
  /** Path to continue after, or null on the last page. */
  next: string | null;
}

/** Serializes a bucket file the way tree and paths-info return it. */
export function toFileEntry(file: BucketFile): TreeFileEntry {
  const entry: TreeFileEntry = {
    type: "file",
    path: file.path,
    size: file.size,
    xetHash: file.xetHash,
    mtime: new Date(file.mtime).toISOString(),
    uploadedAt: new Date(file.uploadedAt).toISOString(),
  };
  if (file.contentType !== undefined) entry.contentType = file.contentType;
  return entry;
}

/** Opaque cursor: base64 of `{"path": last}`, the shape the real service uses. */
export function encodeCursor(path: string): string {
  return Buffer.from(JSON.stringify({ path }), "utf8").toString("base64");
}

/** Decodes a cursor; null when it is not one of ours. */
export function decodeCursor(cursor: string): string | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64").toString("utf8"));
    if (
      typeof value === "object" &&
      value !== null &&
      typeof (value as { path?: unknown }).path === "string"
    ) {
      return (value as { path: string }).path;
    }
  } catch {
    // fall through
  }
  return null;
}

const lowerBound = (sorted: readonly string[], value: string): number => {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/**
 * Lists one page of a bucket.
 *
 * Matching is by raw string prefix, as on the real service (`tree/logs` also returns `logs_existing/…`):
 * a client wanting path-segment semantics filters `path === p || path.startsWith(p + "/")` itself.
 * Non-recursive listings group what lies below the prefix by its next path segment. For a prefix that does
 * not end in "/", a matching path that continues with "/" is grouped below the prefix (`a` → `a/x`,
 * directory `a/sub`), and a sibling such as `ab/c` is grouped relative to the prefix's parent (directory
 * `ab`). The real service's grouping of such siblings is not documented; this is our assumption.
 */
export function listTree(bucket: BucketRecord, options: ListTreeOptions): TreePage {
  const { prefix, recursive, limit, after } = options;
  const paths = sortedBucketPaths(bucket);
  if (recursive) {
    const start = after !== null && after >= prefix ? lowerBound(paths, after) : lowerBound(paths, prefix);
    const entries: TreeEntry[] = [];
    for (let i = start; i < paths.length && entries.length < limit; i++) {
      const path = paths[i] as string;
      if (!path.startsWith(prefix)) break;
      if (after !== null && path <= after) continue;
      entries.push(toFileEntry(bucket.files.get(path) as BucketFile));
    }
    const last = entries.at(-1);
    const more = last !== undefined && entries.length === limit && hasPathAfter(paths, prefix, last.path);
    return { entries, next: more ? (last?.path ?? null) : null };
  }

  const parent = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/") + 1) : "";
  const items = new Map<string, TreeEntry>();
  for (let i = lowerBound(paths, prefix); i < paths.length; i++) {
    const path = paths[i] as string;
    if (!path.startsWith(prefix)) break;
    const file = bucket.files.get(path) as BucketFile;
    let base: string;
    if (prefix === "" || prefix.endsWith("/")) base = prefix;
    else if (path === prefix) base = parent;
    else if (path[prefix.length] === "/") base = `${prefix}/`;
    else base = parent;
    const rest = path.slice(base.length);
    const slash = rest.indexOf("/");
    if (slash < 0) {
      items.set(path, toFileEntry(file));
      continue;
    }
    const dir = base + rest.slice(0, slash);
    const existing = items.get(dir);
    const uploadedAt = new Date(file.uploadedAt).toISOString();
    if (existing === undefined) items.set(dir, { type: "directory", path: dir, uploadedAt });
    else if (existing.type === "directory" && uploadedAt > existing.uploadedAt)
      existing.uploadedAt = uploadedAt;
  }
  const ordered = [...items.values()]
    .filter((entry) => after === null || entry.path > after)
    .sort((a, b) => compareStrings(a.path, b.path));
  const entries = ordered.slice(0, limit);
  const last = entries.at(-1);
  return { entries, next: ordered.length > limit && last !== undefined ? last.path : null };
}

const hasPathAfter = (paths: readonly string[], prefix: string, last: string): boolean => {
  const index = lowerBound(paths, last) + 1;
  const path = paths[index];
  return path !== undefined && path.startsWith(prefix);
};
