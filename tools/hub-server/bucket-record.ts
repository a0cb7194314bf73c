/** One file of a bucket, as the tree and paths-info endpoints describe it. */
export interface BucketFile {
  path: string;
  xetHash: string;
  size: number;
  /** Client-supplied modification time, epoch milliseconds. */
  mtime: number;
  /** Server time of the add, epoch milliseconds. */
  uploadedAt: number;
  contentType?: string;
}

/** A bucket: metadata plus its flat path → file map. Directories are implicit. */
export interface BucketRecord {
  /** `namespace/name`. */
  id: string;
  namespace: string;
  name: string;
  private: boolean;
  createdAt: number;
  updatedAt: number;
  /** Sum of file sizes (logical bytes, each path counted). */
  size: number;
  files: Map<string, BucketFile>;
  /** Paths in ascending order; rebuilt lazily after a change. */
  sortedPaths: string[] | null;
}

/** Creates an empty bucket record. */
export function createBucketRecord(
  namespace: string,
  name: string,
  isPrivate: boolean,
  now: number,
): BucketRecord {
  return {
    id: `${namespace}/${name}`,
    namespace,
    name,
    private: isPrivate,
    createdAt: now,
    updatedAt: now,
    size: 0,
    files: new Map(),
    sortedPaths: null,
  };
}

/** Adds or replaces a file; keeps size and the path order consistent. */
export function putBucketFile(bucket: BucketRecord, file: BucketFile, now: number): void {
  const previous = bucket.files.get(file.path);
  if (previous === undefined) bucket.sortedPaths = null;
  else bucket.size -= previous.size;
  bucket.files.set(file.path, file);
  bucket.size += file.size;
  bucket.updatedAt = now;
}

/** Removes a file; returns whether it existed. */
export function removeBucketFile(bucket: BucketRecord, path: string, now: number): boolean {
  const previous = bucket.files.get(path);
  if (previous === undefined) return false;
  bucket.files.delete(path);
  bucket.size -= previous.size;
  bucket.sortedPaths = null;
  bucket.updatedAt = now;
  return true;
}

/** Paths in ascending code-unit order. */
export function sortedBucketPaths(bucket: BucketRecord): string[] {
  if (bucket.sortedPaths === null) bucket.sortedPaths = [...bucket.files.keys()].sort(compareStrings);
  return bucket.sortedPaths;
}

/** Plain code-unit comparison, the order of every listing. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
