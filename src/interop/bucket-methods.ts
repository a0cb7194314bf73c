/**
 * The store work behind the bucket_server protocol: the same calls optimum-neuron's
 * `bucket_server.py` makes on `HfApi`, done on any store through the store contract.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { UsageError } from "../errors.ts";
import { storeKeyProblem } from "../layout/store-key.ts";
import type { PyJsonObject } from "../layout/py-json.ts";
import { deleteObjects, requireWritten, writeObjects } from "../store/store-ops.ts";
import type { Store, WriteItem, WriteSource } from "../store/store.ts";
import type {
  BatchBucketFilesParams,
  BucketMethodHandlers,
  DownloadBucketFilesParams,
  ListBucketTreeParams,
} from "./bucket-request.ts";

/** Opens the store a protocol `bucket_id` names (a Hub bucket id such as `org/name`, or a URL). */
export type OpenStoreFn = (reference: string, options: { signal?: AbortSignal }) => Promise<Store>;

export interface BucketMethodsOptions {
  openStore: OpenStoreFn;
  /** Aborts every call in flight. */
  signal?: AbortSignal;
  /** Downloads in flight at once within one request. @default 8 */
  downloadConcurrency?: number;
}

/** Handlers plus the release of the stores they opened. */
export interface BucketMethods extends BucketMethodHandlers {
  /** Closes every store opened so far. */
  close(): Promise<void>;
}

/** Prefix marking a literal body in `batch_bucket_files` sources. */
export const BYTES_SOURCE_PREFIX = "bytes:";

/** Creates the handlers; stores are opened on first use per `bucket_id` and kept until `close`. */
export function createBucketMethods(options: BucketMethodsOptions): BucketMethods {
  const stores = new Map<string, Promise<Store>>();
  const signal = options.signal;
  const concurrency = options.downloadConcurrency ?? 8;

  const storeFor = (bucketId: string): Promise<Store> => {
    let store = stores.get(bucketId);
    if (store === undefined) {
      store = options.openStore(bucketId, { signal });
      // A failed open is not cached, so the next request tries again.
      store.catch(() => stores.delete(bucketId));
      stores.set(bucketId, store);
    }
    return store;
  };

  return {
    async listBucketTree(params: ListBucketTreeParams): Promise<PyJsonObject> {
      const prefix = normalizePrefix(params.prefix);
      const store = await storeFor(params.bucketId);
      const items: PyJsonObject[] = [];
      // Our stores match the prefix by path segment; the Hub matches it lexically. Callers pass
      // directory prefixes, where both give the same answer.
      for await (const item of store.list(prefix, { recursive: params.recursive, signal })) {
        items.push(
          item.type === "file"
            ? { path: item.key, type: "file", size: item.size }
            : { path: item.key, type: "directory" },
        );
      }
      return { items };
    },

    async downloadBucketFiles(params: DownloadBucketFilesParams): Promise<PyJsonObject> {
      for (const [remote] of params.files) checkKey(remote);
      const targets = params.files.map(([remote, local]) => [remote, resolve(local)] as const);
      for (const [, local] of targets) await mkdir(dirname(local), { recursive: true });
      const store = await storeFor(params.bucketId);
      await forEachLimit(targets, concurrency, signal, ([remote, local]) =>
        downloadTo(store, remote, local, signal),
      );
      // Like huggingface_hub (raise_on_missing_files=False), a missing remote file is skipped and
      // the count is of the pairs asked for.
      return { downloaded: params.files.length };
    },

    async batchBucketFiles(params: BatchBucketFilesParams): Promise<PyJsonObject> {
      for (const [, destination] of params.add) checkKey(destination);
      for (const key of params.delete) checkKey(key);
      // Every local source is checked before anything is written, so a typo fails the batch whole.
      const items: WriteItem[] = [];
      for (const [source, destination] of params.add)
        items.push({ key: destination, source: await writeSource(source) });
      const store = await storeFor(params.bucketId);
      // The protocol answers for the batch as a whole, like huggingface_hub's batch call.
      requireWritten(await writeObjects(store, items, { signal }));
      await deleteObjects(store, params.delete, { signal });
      return { added: params.add.length, deleted: params.delete.length };
    },

    async close(): Promise<void> {
      const opened = [...stores.values()];
      stores.clear();
      const settled = await Promise.allSettled(opened);
      await Promise.allSettled(
        settled.flatMap((result) => (result.status === "fulfilled" ? [result.value.close()] : [])),
      );
    },
  };
}

// --- internal ---

function normalizePrefix(prefix: string | null): string {
  const trimmed = (prefix ?? "").replace(/\/+$/, "");
  if (trimmed !== "") checkKey(trimmed);
  return trimmed;
}

function checkKey(key: string): void {
  const problem = storeKeyProblem(key);
  if (problem !== null) throw new UsageError(`Invalid bucket path ${JSON.stringify(key)}: ${problem}.`);
}

async function writeSource(source: string): Promise<WriteSource> {
  if (source.startsWith(BYTES_SOURCE_PREFIX)) {
    const bytes = Buffer.from(source.slice(BYTES_SOURCE_PREFIX.length), "utf8");
    return { size: bytes.length, open: () => Readable.from([bytes]) };
  }
  const path = resolve(source);
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      const missing = new Error(`[Errno 2] No such file or directory: '${source}'`);
      missing.name = "FileNotFoundError";
      throw missing;
    }
    throw error;
  }
  if (!info.isFile()) {
    const notFile = new Error(`[Errno 21] Is a directory: '${source}'`);
    notFile.name = "IsADirectoryError";
    throw notFile;
  }
  return { size: info.size, filePath: path, open: () => createReadStream(path) };
}

/** Streams one object into `local` through a temporary sibling, so no half file is ever visible. */
async function downloadTo(
  store: Store,
  remote: string,
  local: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const body = await store.read(remote, { signal });
  if (body === null) return;
  const temp = `${local}.${randomBytes(6).toString("hex")}.incomplete`;
  try {
    await pipeline(body, createWriteStream(temp), { signal });
    await rename(temp, local);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length && failures.length === 0) {
      signal?.throwIfAborted();
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
