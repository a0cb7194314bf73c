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
  /** Last entry of the previous page, from the decoded cursor. */
  after: TreeCursor | null;
}

/** Where a page ends: the last entry's path, and "directory" when that entry was one. */
export interface TreeCursor {
  path: string;
  type?: "directory";
}

/** One page of a listing. */
export interface TreePage {
  entries: TreeEntry[];
  /** Where to continue, or null on the last page. */
  next: TreeCursor | null;
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

/**
 * Opaque cursor: base64 of `{"path": last}`, the shape the real service uses, plus `"type":"directory"`
 * when a non-recursive page ends on a directory (a file may share its path).
 */
export function encodeCursor(cursor: TreeCursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64");
}

/** Decodes a cursor; null when it is not one of ours. */
export function decodeCursor(cursor: string): TreeCursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64").toString("utf8"));
    if (typeof value === "object" && value !== null) {
      const { path, type } = value as { path?: unknown; type?: unknown };
      if (typeof path === "string") return type === "directory" ? { path, type } : { path };
    }
  } catch {
    // fall through
  }
  return null;
}

const isAfter = (entry: TreeEntry, cursor: TreeCursor | null): boolean =>
  cursor === null ||
  entry.path > cursor.path ||
  (entry.path === cursor.path && cursor.type === "directory" && entry.type === "file");

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
    const start =
      after !== null && after.path >= prefix ? lowerBound(paths, after.path) : lowerBound(paths, prefix);
    const entries: TreeEntry[] = [];
    for (let i = start; i < paths.length && entries.length < limit; i++) {
      const path = paths[i] as string;
      if (!path.startsWith(prefix)) break;
      if (after !== null && path <= after.path) continue;
      entries.push(toFileEntry(bucket.files.get(path) as BucketFile));
    }
    const last = entries.at(-1);
    const more = last !== undefined && entries.length === limit && hasPathAfter(paths, prefix, last.path);
    return { entries, next: more && last !== undefined ? { path: last.path } : null };
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
      items.set(`f:${path}`, toFileEntry(file));
      continue;
    }
    const dir = base + rest.slice(0, slash);
    // Keyed by type too: an object store can hold both a file "x" and files below "x/".
    const existing = items.get(`d:${dir}`);
    const uploadedAt = new Date(file.uploadedAt).toISOString();
    if (existing === undefined) items.set(`d:${dir}`, { type: "directory", path: dir, uploadedAt });
    else if (existing.type === "directory" && uploadedAt > existing.uploadedAt)
      existing.uploadedAt = uploadedAt;
  }
  const ordered = [...items.values()]
    .filter((entry) => isAfter(entry, after))
    .sort(
      (a, b) => compareStrings(a.path, b.path) || (a.type === b.type ? 0 : a.type === "directory" ? -1 : 1),
    );
  const entries = ordered.slice(0, limit);
  const last = entries.at(-1);
  if (ordered.length <= limit || last === undefined) return { entries, next: null };
  return {
    entries,
    next: last.type === "directory" ? { path: last.path, type: "directory" } : { path: last.path },
  };
}

const hasPathAfter = (paths: readonly string[], prefix: string, last: string): boolean => {
  const index = lowerBound(paths, last) + 1;
  const path = paths[index];
  return path !== undefined && path.startsWith(prefix);
};
