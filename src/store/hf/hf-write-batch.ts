/**
 * Writes many objects to a bucket: each distinct content is uploaded once through Xet, then
 * every path is registered with `addFile` in batches of at most 1000 operations. Outcomes are
 * per entry, so one refused path never fails the others.
 */
import { StoreError } from "../../errors.ts";
import { forEachConcurrent } from "../../local/for-each-concurrent.ts";
import type { RetryPolicy } from "../retry.ts";
import type { StoreObject, TransferProgress, WriteResult, WriteSource } from "../store.ts";
import { runHfBatch } from "./hf-batch.ts";
import type { HfBatchFailure } from "./hf-batch.ts";
import type { HfHttp } from "./hf-http.ts";
import type { ApiBatchOperation, ApiBucketFile } from "./hf-wire.ts";
import { uploadXetContents } from "./xet/xet-upload.ts";

/** Contents uploaded at once when a shared upload failed and each is retried alone. */
const SOLO_UPLOAD_CONCURRENCY = 4;

/** One object to write; `path` is the full bucket path. */
export interface HfWriteEntry {
  path: string;
  source: WriteSource;
  onProgress?: (progress: TransferProgress) => void;
}

export interface HfWriteContext {
  http: HfHttp;
  endpoint: string;
  /** `namespace/name`. */
  bucket: string;
  /** `/api/buckets/{ns}/{name}`. */
  apiPath: string;
  fetch: typeof fetch;
  timeoutMs: number;
  retry?: Partial<RetryPolicy>;
  /** `sha256:size → xetHash` of contents uploaded earlier by this store. */
  knownXetHashes: Map<string, string>;
  /** Full bucket paths → StoreObject (the key made relative to the store root). */
  toObject: (entry: ApiBucketFile) => StoreObject;
  /** paths-info lookup of full paths. */
  statPaths: (paths: readonly string[], signal?: AbortSignal) => Promise<Map<string, ApiBucketFile>>;
  /** Full path → store key, for messages. */
  relativeKey: (path: string) => string;
}

export interface HfWriteOptions {
  ifAbsent?: boolean;
  signal?: AbortSignal;
}

/**
 * Writes `entries` and returns, per entry, its result or the error that stopped it. Among
 * entries for one path, the last wins (the earlier ones report the winner's object), or with
 * `ifAbsent` the first wins and the others report `created: false`.
 */
export async function writeHfBatch(
  entries: readonly HfWriteEntry[],
  context: HfWriteContext,
  options: HfWriteOptions = {},
): Promise<Array<WriteResult | Error>> {
  const { signal } = options;
  signal?.throwIfAborted();
  const outcomes = new Array<WriteResult | Error | undefined>(entries.length);
  const winner = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (!options.ifAbsent || !winner.has(entry.path)) winner.set(entry.path, index);
  });
  let candidates = [...winner.values()];

  if (options.ifAbsent) {
    // Not atomic: another writer may add a key between this check and our add; the later add
    // wins. The Hub has no conditional add (`capabilities.conditionalCreate` is false).
    const existing = await context.statPaths(
      candidates.map((index) => (entries[index] as HfWriteEntry).path),
      signal,
    );
    candidates = candidates.filter((index) => {
      const entry = existing.get((entries[index] as HfWriteEntry).path);
      if (entry !== undefined) outcomes[index] = { object: context.toObject(entry), created: false };
      return entry === undefined;
    });
  }

  // One upload per distinct content: the same sha256, or the same local file.
  const groups = new Map<string, number[]>();
  for (const index of candidates) {
    const source = (entries[index] as HfWriteEntry).source;
    const identity =
      source.sha256 !== undefined
        ? `sha256:${source.sha256}:${source.size}`
        : source.filePath !== undefined
          ? `file:${source.filePath}:${source.size}`
          : `entry:${index}`;
    groups.set(identity, [...(groups.get(identity) ?? []), index]);
  }
  const first = (identity: string): HfWriteEntry =>
    entries[(groups.get(identity) as number[])[0] as number] as HfWriteEntry;
  const memoKey = (source: WriteSource): string | undefined =>
    source.sha256 === undefined ? undefined : `${source.sha256}:${source.size}`;

  const hashOf = new Map<string, string>();
  const upload = async (identities: readonly string[]): Promise<void> => {
    const byPath = new Map(identities.map((identity) => [first(identity).path, identity]));
    const hashes = await uploadXetContents(
      identities.map((identity) => ({ path: first(identity).path, source: first(identity).source })),
      {
        http: context.http,
        apiPath: context.apiPath,
        bucket: context.bucket,
        fetch: context.fetch,
        timeoutMs: context.timeoutMs,
        retry: context.retry,
        signal,
        onProgress: (path, bytes) => first(byPath.get(path) as string).onProgress?.({ bytes }),
      },
    );
    for (const identity of identities) {
      const entry = first(identity);
      const xetHash = hashes.get(entry.path) as string;
      hashOf.set(identity, xetHash);
      const memo = memoKey(entry.source);
      if (memo !== undefined) context.knownXetHashes.set(memo, xetHash);
    }
  };

  // One session for every content; when it fails, which content broke it is unknown, so each
  // is sent again alone and only the ones that still fail are refused.
  const uploadFailed = new Map<string, Error>();
  const uploadSettled = async (identities: readonly string[]): Promise<void> => {
    try {
      await upload(identities);
    } catch (error) {
      if (signal?.aborted) throw error;
      if (identities.length === 1) {
        uploadFailed.set(identities[0] as string, asError(error));
        return;
      }
      await forEachConcurrent(
        identities,
        SOLO_UPLOAD_CONCURRENCY,
        async (identity) => {
          try {
            await upload([identity]);
          } catch (soloError) {
            if (signal?.aborted) throw soloError;
            uploadFailed.set(identity, asError(soloError));
          }
        },
        signal,
      );
    }
  };

  const reused = new Set<string>();
  const toUpload: string[] = [];
  for (const identity of groups.keys()) {
    const memo = memoKey(first(identity).source);
    const known = memo === undefined ? undefined : context.knownXetHashes.get(memo);
    if (known !== undefined) {
      hashOf.set(identity, known);
      reused.add(identity);
    } else toUpload.push(identity);
  }
  await uploadSettled(toUpload);

  const identityOf = new Map<string, string>();
  for (const [identity, indexes] of groups) {
    for (const index of indexes) identityOf.set((entries[index] as HfWriteEntry).path, identity);
  }
  const register = (identities: Iterable<string>): Promise<HfBatchFailure[]> => {
    const mtime = Date.now();
    const operations: ApiBatchOperation[] = [];
    for (const identity of identities) {
      if (uploadFailed.has(identity)) continue;
      for (const index of groups.get(identity) as number[]) {
        const path = (entries[index] as HfWriteEntry).path;
        operations.push({ type: "addFile", path, xetHash: hashOf.get(identity) as string, mtime });
      }
    }
    return runHfBatch(operations, { http: context.http, apiPath: context.apiPath, signal });
  };

  let failures = await register(groups.keys());
  // A hash remembered from an earlier call may be unknown to the server by now (collected, or
  // another bucket's): upload those contents again and register them once more.
  const stale = new Set(
    failures
      .map((failure) => identityOf.get(failure.operation.path) as string)
      .filter((identity) => reused.has(identity)),
  );
  if (stale.size > 0) {
    for (const identity of stale) {
      const memo = memoKey(first(identity).source);
      if (memo !== undefined) context.knownXetHashes.delete(memo);
      reused.delete(identity);
    }
    await uploadSettled([...stale]);
    const again = await register(stale);
    failures = [...failures.filter((f) => !stale.has(identityOf.get(f.operation.path) as string)), ...again];
  }

  for (const [identity, error] of uploadFailed) {
    for (const index of groups.get(identity) as number[]) outcomes[index] = error;
  }
  const failed = new Map(failures.map((failure) => [failure.operation.path, failure.error]));
  for (const [identity, indexes] of groups) {
    if (uploadFailed.has(identity)) continue;
    for (const [position, index] of indexes.entries()) {
      const entry = entries[index] as HfWriteEntry;
      const error = failed.get(entry.path);
      if (error !== undefined) {
        outcomes[index] = new StoreError(
          `cannot write ${context.relativeKey(entry.path)} on hf://buckets/${context.bucket}: the server refused it (${error})`,
          { store: "hf", retryable: true, hint: "Retry; only the failed files are sent again." },
        );
        continue;
      }
      // Bytes that were not sent (already known, or shared with the entry that carried them)
      // count as done once registered.
      if (reused.has(identity) || position > 0) entry.onProgress?.({ bytes: entry.source.size });
      outcomes[index] = {
        created: true,
        object: {
          key: context.relativeKey(entry.path),
          size: entry.source.size,
          xetHash: hashOf.get(identity) as string,
          ...(entry.source.sha256 === undefined ? {} : { sha256: entry.source.sha256 }),
        },
      };
    }
  }
  // Entries that lost to another entry for the same path share its outcome.
  return entries.map((entry, index) => {
    const own = outcomes[index];
    if (own !== undefined) return own;
    const shared = outcomes[winner.get(entry.path) as number] as WriteResult | Error;
    if (shared instanceof Error) return shared;
    if (!options.ifAbsent) {
      entry.onProgress?.({ bytes: entry.source.size });
      return shared;
    }
    return { object: shared.object, created: false };
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
