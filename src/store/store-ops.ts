/**
 * The core's fallbacks for optional store methods: callers use these and never check
 * capabilities themselves.
 */
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import type {
  CallOptions,
  ListItem,
  ListOptions,
  Store,
  StoreObject,
  WriteItem,
  WriteOptions,
  WriteOutcome,
  WriteResult,
  WriteSource,
} from "./store.ts";

/** Every item of a listing, in the order it came. */
export async function collectListing(items: AsyncIterable<ListItem>): Promise<ListItem[]> {
  const all: ListItem[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** `store.list(prefix, options)`, whole. */
export function listAll(store: Store, prefix: string, options?: ListOptions): Promise<ListItem[]> {
  return collectListing(store.list(prefix, options));
}

/** Default number of requests in flight when a fallback fans out. */
export const FALLBACK_CONCURRENCY = 8;

/** Copies inside the store when it can, else streams the bytes through this process. */
export async function copyObject(
  store: Store,
  fromKey: string,
  toKey: string,
  options: CallOptions = {},
): Promise<StoreObject | null> {
  if (store.copy) return store.copy(fromKey, toKey, options);
  const source = await store.stat(fromKey, options);
  if (source === null) return null;
  const written = await store.write(toKey, storeReadSource(store, fromKey, source.size, options), options);
  return written.object;
}

/** A write source that streams another key of a store; each `open()` starts a fresh read. */
export function storeReadSource(
  store: Store,
  key: string,
  size: number,
  options: CallOptions = {},
): WriteSource {
  return {
    size,
    open: () => {
      const out = new PassThrough();
      store.read(key, options).then(
        (body) => {
          if (body === null) out.destroy(new Error(`${key} vanished while being copied`));
          else pipeline(body, out).catch((error: unknown) => out.destroy(error as Error));
        },
        (error: unknown) => out.destroy(error as Error),
      );
      return out;
    },
  };
}

/** Deletes many keys, in batches when the store supports it. Idempotent. */
export async function deleteObjects(
  store: Store,
  keys: readonly string[],
  options: CallOptions = {},
): Promise<void> {
  if (keys.length === 0) return;
  if (store.deleteMany) return store.deleteMany(keys, options);
  await mapLimit(keys, FALLBACK_CONCURRENCY, (key) => store.delete(key, options), options.signal);
}

/**
 * Writes many objects, in one registration when the store supports it, and returns one outcome
 * per item in order (see `Store.writeMany`): an item's failure is its own. Rejects only on abort.
 */
export async function writeObjects(
  store: Store,
  items: readonly WriteItem[],
  options: WriteOptions = {},
): Promise<WriteOutcome[]> {
  if (items.length === 0) return [];
  if (store.writeMany) return store.writeMany(items, options);
  return mapLimit(
    items,
    FALLBACK_CONCURRENCY,
    (item) => settleWrite(() => store.write(item.key, item.source, options), options.signal),
    options.signal,
  );
}

/**
 * The results of a batch whose items must all land (a caller with nothing to complete per item):
 * throws the first item's own error when any failed.
 */
export function requireWritten(outcomes: readonly WriteOutcome[]): WriteResult[] {
  return outcomes.map((outcome) => {
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  });
}

/** Runs one write and turns its failure into an outcome; an abort still rejects. */
export async function settleWrite(
  write: () => Promise<WriteResult>,
  signal?: AbortSignal,
): Promise<WriteOutcome> {
  try {
    return { ok: true, result: await write() };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/**
 * Runs `fn` over `items` with at most `limit` in flight and returns the results in order. The
 * first failure stops new work and is rethrown once the calls in flight have settled, so a
 * caller's clean-up (an aborted multipart upload) never races its own stragglers.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  await forEachConcurrent(
    items,
    limit,
    async (item, index) => {
      results[index] = await fn(item, index);
    },
    signal,
  );
  return results;
}

/** A write source for a small text (UTF-8), held in memory. */
export function textSource(text: string): WriteSource {
  const bytes = Buffer.from(text, "utf8");
  return { size: bytes.length, bytes, open: () => Readable.from([bytes]) };
}
