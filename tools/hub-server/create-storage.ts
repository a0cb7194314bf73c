import { mkdir, open, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createBucketRecord } from "./bucket-record.ts";
import type { BucketFile, BucketRecord } from "./bucket-record.ts";
import type { XorbChunk } from "./parse-xorb.ts";
import type { ShardFileTerm } from "../../src/store/hf/xet/shard-reader.ts";

/** A xorb the CAS holds. */
export interface XorbRecord {
  hash: string;
  /** Serialized length of the stored chunk data. */
  size: number;
  chunks: XorbChunk[];
}

/** A file the CAS can reconstruct. */
export interface FileRecord {
  hash: string;
  size: number;
  terms: ShardFileTerm[];
}

/** Counters of what is stored. */
export interface StorageTotals {
  xorbs: number;
  xorbBytes: number;
  files: number;
  buckets: number;
}

/** Where the server keeps xorbs, file reconstructions and buckets. */
export interface Storage {
  getXorb(hash: string): XorbRecord | undefined;
  /** Stores a verified xorb; resolves false when it was already stored (nothing new is written). */
  putXorb(record: XorbRecord, bytes: Uint8Array): Promise<boolean>;
  /** Bytes `[start, end)` of a stored xorb. */
  readXorb(hash: string, start: number, end: number): Promise<Uint8Array>;
  /** Locates a chunk by hash in some stored xorb. */
  findChunk(chunkHash: string): { xorb: string; index: number } | undefined;
  getFile(hash: string): FileRecord | undefined;
  /** Hashes of the stored files with a term in this xorb. */
  filesUsingXorb(xorbHash: string): string[];
  /** Stores a verified file reconstruction; resolves false when it was already known. */
  putFile(record: FileRecord): Promise<boolean>;
  getBucket(id: string): BucketRecord | undefined;
  listBuckets(namespace: string): BucketRecord[];
  createBucket(namespace: string, name: string, isPrivate: boolean): Promise<BucketRecord | null>;
  deleteBucket(id: string): Promise<boolean>;
  /** Persists a bucket after its files changed. */
  saveBucket(bucket: BucketRecord): Promise<void>;
  totals(): StorageTotals;
}

/** Options of {@link createStorage}. */
export interface StorageOptions {
  /** Directory for persistence; in memory only when absent. */
  dataDir?: string;
  /** Clock in epoch milliseconds. */
  now: () => number;
}

interface SavedBucket {
  namespace: string;
  name: string;
  private: boolean;
  createdAt: number;
  updatedAt: number;
  files: BucketFile[];
}

/**
 * Creates the store. With a data directory, xorb bytes live only on disk (read by range on download) and
 * metadata is rewritten as small JSON files; without one, everything stays in memory.
 */
export async function createStorage(options: StorageOptions): Promise<Storage> {
  const { dataDir, now } = options;
  const xorbs = new Map<string, XorbRecord>();
  const xorbBytes = new Map<string, Uint8Array>();
  const chunkIndex = new Map<string, { xorb: string; index: number }>();
  const files = new Map<string, FileRecord>();
  const xorbFiles = new Map<string, Set<string>>();
  const buckets = new Map<string, BucketRecord>();
  const bucketWrites = new Map<string, Promise<void>>();
  let storedXorbBytes = 0;

  const dirs =
    dataDir === undefined
      ? null
      : {
          xorbs: join(dataDir, "xorbs"),
          files: join(dataDir, "files"),
          buckets: join(dataDir, "buckets"),
        };

  const indexXorb = (record: XorbRecord): void => {
    xorbs.set(record.hash, record);
    storedXorbBytes += record.size;
    record.chunks.forEach((chunk, index) => {
      if (!chunkIndex.has(chunk.hash)) chunkIndex.set(chunk.hash, { xorb: record.hash, index });
    });
  };

  const indexFile = (record: FileRecord): void => {
    files.set(record.hash, record);
    for (const term of record.terms) {
      let users = xorbFiles.get(term.xorb);
      if (users === undefined) xorbFiles.set(term.xorb, (users = new Set()));
      users.add(record.hash);
    }
  };

  const writeAtomic = async (path: string, data: string | Uint8Array): Promise<void> => {
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, path);
  };

  const bucketFileName = (id: string): string => `${encodeURIComponent(id)}.json`;

  if (dirs !== null) {
    for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
    for (const name of await readdir(dirs.xorbs)) {
      if (!name.endsWith(".json")) continue;
      indexXorb(JSON.parse(await readFile(join(dirs.xorbs, name), "utf8")) as XorbRecord);
    }
    for (const name of await readdir(dirs.files)) {
      if (!name.endsWith(".json")) continue;
      indexFile(JSON.parse(await readFile(join(dirs.files, name), "utf8")) as FileRecord);
    }
    for (const name of await readdir(dirs.buckets)) {
      if (!name.endsWith(".json")) continue;
      const saved = JSON.parse(await readFile(join(dirs.buckets, name), "utf8")) as SavedBucket;
      const bucket = createBucketRecord(saved.namespace, saved.name, saved.private, saved.createdAt);
      for (const file of saved.files) {
        bucket.files.set(file.path, file);
        bucket.size += file.size;
      }
      bucket.updatedAt = saved.updatedAt;
      buckets.set(bucket.id, bucket);
    }
  }

  const saveBucket = (bucket: BucketRecord): Promise<void> => {
    if (dirs === null) return Promise.resolve();
    const saved: SavedBucket = {
      namespace: bucket.namespace,
      name: bucket.name,
      private: bucket.private,
      createdAt: bucket.createdAt,
      updatedAt: bucket.updatedAt,
      files: [...bucket.files.values()],
    };
    const text = JSON.stringify(saved);
    const path = join(dirs.buckets, bucketFileName(bucket.id));
    // Writes of one bucket are chained so that an older snapshot never lands after a newer one.
    const previous = bucketWrites.get(bucket.id) ?? Promise.resolve();
    const next = previous.then(() => writeAtomic(path, text));
    bucketWrites.set(
      bucket.id,
      next.catch(() => undefined),
    );
    return next;
  };

  return {
    getXorb: (hash) => xorbs.get(hash),
    async putXorb(record, bytes) {
      if (xorbs.has(record.hash)) return false;
      if (dirs === null) {
        xorbBytes.set(record.hash, bytes.subarray(0, record.size));
      } else {
        await writeAtomic(join(dirs.xorbs, `${record.hash}.xorb`), bytes.subarray(0, record.size));
        await writeAtomic(join(dirs.xorbs, `${record.hash}.json`), JSON.stringify(record));
      }
      // A concurrent upload of the same xorb may have finished while this one was writing.
      if (xorbs.has(record.hash)) return false;
      indexXorb(record);
      return true;
    },
    async readXorb(hash, start, end) {
      if (dirs === null) {
        const bytes = xorbBytes.get(hash);
        if (bytes === undefined) throw new Error(`xorb ${hash} is not stored`);
        return bytes.subarray(start, end);
      }
      const handle = await open(join(dirs.xorbs, `${hash}.xorb`), "r");
      try {
        const out = Buffer.allocUnsafe(end - start);
        const { bytesRead } = await handle.read(out, 0, out.length, start);
        return out.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    findChunk: (chunkHash) => chunkIndex.get(chunkHash),
    getFile: (hash) => files.get(hash),
    filesUsingXorb: (xorbHash) => [...(xorbFiles.get(xorbHash) ?? [])],
    async putFile(record) {
      if (files.has(record.hash)) return false;
      indexFile(record);
      if (dirs !== null) await writeAtomic(join(dirs.files, `${record.hash}.json`), JSON.stringify(record));
      return true;
    },
    getBucket: (id) => buckets.get(id),
    listBuckets: (namespace) =>
      [...buckets.values()].filter((b) => b.namespace === namespace).sort((a, b) => (a.id < b.id ? -1 : 1)),
    async createBucket(namespace, name, isPrivate) {
      const id = `${namespace}/${name}`;
      if (buckets.has(id)) return null;
      const bucket = createBucketRecord(namespace, name, isPrivate, now());
      buckets.set(id, bucket);
      await saveBucket(bucket);
      return bucket;
    },
    async deleteBucket(id) {
      if (!buckets.delete(id)) return false;
      if (dirs !== null) {
        await (bucketWrites.get(id) ?? Promise.resolve());
        bucketWrites.delete(id);
        await rm(join(dirs.buckets, bucketFileName(id)), { force: true });
      }
      return true;
    },
    saveBucket,
    totals: () => ({
      xorbs: xorbs.size,
      xorbBytes: storedXorbBytes,
      files: files.size,
      buckets: buckets.size,
    }),
  };
}
