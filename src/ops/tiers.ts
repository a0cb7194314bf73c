/**
 * Tiers: several stores in order, fastest first (an FSx directory, then S3; a private bucket,
 * then the public one), as sccache's multi-level cache reads them. A layer above fetch and sync:
 *   - fetch asks each tier in turn; an entry comes from the first tier that has it complete and
 *     verified (an entry that fails verification in one tier is taken from the next), and the
 *     entries a later tier supplied are then copied to the tiers before it (backfill) with their
 *     manifests, signatures and export records, the bytes read from the entries just installed,
 *     so the next machine finds them complete in the fast tier;
 *   - sync publishes to one tier: the one asked for, else the first that accepts the writes;
 *   - a tier that fails is a warning, never the run's failure, while another tier works.
 */
import { PartialFailureError } from "../errors.ts";
import type { FetchOptions, FetchResult } from "./fetch.ts";
import { fetch } from "./fetch.ts";
import type { CopyResult } from "./copy.ts";
import { copy } from "./copy.ts";
import type { SyncOptions, SyncResult } from "./sync.ts";
import { sync } from "./sync.ts";
import { createDirStore } from "../store/dir/dir-store.ts";
import type { Store } from "../store/store.ts";

export interface TierFetchOptions extends Omit<FetchOptions, "store"> {
  /** The tiers, fastest first. */
  tiers: readonly Store[];
  /** Publish what later tiers supplied to the tiers before them. @default true */
  backfill?: boolean;
  /** Told of every tier that failed. */
  onWarning?: (message: string) => void;
}

/** What one tier did for a fetch. */
export interface TierFetchOutcome {
  store: string;
  fetched: number;
  /** Why the tier could not be read at all, or null. */
  error: string | null;
}

/** What backfilling one tier did. */
export interface TierBackfillOutcome {
  store: string;
  published: number;
  error: string | null;
}

/** A fetch over tiers: the entries of every tier as one fetch result, and each tier's part. */
export interface TierFetchResult extends FetchResult {
  tiers: TierFetchOutcome[];
  backfilled: TierBackfillOutcome[];
}

/** Fetches over the tiers; throws only when no tier could be read (or on abort). */
export async function fetchFromTiers(options: TierFetchOptions): Promise<TierFetchResult> {
  const started = performance.now();
  const { tiers, signal, onWarning, backfill = true, ...fetchOptions } = options;
  const outcomes: TierFetchOutcome[] = [];
  const results: Array<FetchResult | null> = [];
  let firstError: unknown = null;
  for (const store of tiers) {
    try {
      const result = await fetch({ ...fetchOptions, store, signal }).catch((error: unknown) => {
        if (error instanceof PartialFailureError) return error.result as FetchResult;
        throw error;
      });
      results.push(result);
      outcomes.push({ store: store.url, fetched: result.fetched.length, error: null });
    } catch (error) {
      if (signal?.aborted) throw error;
      firstError ??= error;
      results.push(null);
      outcomes.push({ store: store.url, fetched: 0, error: messageOf(error) });
      onWarning?.(`tier ${store.url} could not be read, trying the next: ${messageOf(error)}`);
    }
  }
  const read = results.filter((result): result is FetchResult => result !== null);
  if (read.length === 0) throw firstError;

  const fetched = read.flatMap((result) => result.fetched);
  const got = new Set(fetched.map((entry) => entry.module));
  const failed = new Map<string, string>();
  for (const result of read) {
    for (const failure of result.failed)
      if (!got.has(failure.module)) failed.set(failure.module, failure.error);
  }
  const skipped = new Map<string, FetchResult["skipped"][number]>();
  for (const result of read) {
    for (const skip of result.skipped) {
      if (!got.has(skip.module) && !failed.has(skip.module) && !skipped.has(skip.module))
        skipped.set(skip.module, skip);
    }
  }

  const backfilled: TierBackfillOutcome[] = [];
  if (backfill) {
    const compilerVersion = (read[0] as FetchResult).compilerVersion;
    const localCopies = createDirStore({ root: options.cacheDir });
    try {
      for (let index = 0; index < tiers.length - 1; index += 1) {
        const store = tiers[index] as Store;
        if (results[index] === null) continue; // unreadable: writing to it would fail the same way
        const outcome = await backfillTier(store, index, {
          results,
          tiers,
          compilerVersion,
          model:
            options.modelId === undefined || options.all
              ? {}
              : {
                  modelId: options.modelId,
                  ...(options.task === undefined ? {} : { task: options.task }),
                },
          localCopies,
          signal,
          onWarning,
        });
        if (outcome !== null) backfilled.push(outcome);
      }
    } finally {
      await localCopies.close();
    }
  }

  const first = read[0] as FetchResult;
  const result: TierFetchResult = {
    ...first,
    store: tiers.map((store) => store.url).join(", "),
    fetched: fetched.sort((a, b) => compare(a.module, b.module)),
    skipped: [...skipped.values()].sort((a, b) => compare(a.module, b.module)),
    failed: [...failed.entries()]
      .map(([module, error]) => ({ module, error }))
      .sort((a, b) => compare(a.module, b.module)),
    refusedKeys: read.flatMap((one) => one.refusedKeys),
    bytes: read.reduce((sum, one) => sum + one.bytes, 0),
    seconds: (performance.now() - started) / 1000,
    tiers: outcomes,
    backfilled,
  };
  if (result.failed.length > 0) {
    throw new PartialFailureError(
      `${result.failed.length} entries could not be fetched from any tier.`,
      result,
      {
        hint: "Run the fetch again; entries already installed are kept.",
      },
    );
  }
  return result;
}

export interface TierSyncOptions extends Omit<SyncOptions, "store"> {
  /** Where to publish, in order: the first that accepts the writes takes them. */
  candidates: readonly Store[];
  onWarning?: (message: string) => void;
}

/** A sync to the first writable tier, saying which tiers refused. */
export interface TierSyncResult extends SyncResult {
  /** Tiers tried before the one published to, and why each refused. */
  refused: Array<{ store: string; error: string }>;
}

/**
 * Publishes to the first candidate that takes the writes: a store that refuses or fails as a
 * whole (read-only credentials, unreachable) is a warning and the next one is tried; entry
 * failures in a store that took writes are that store's result.
 */
export async function syncToTiers(options: TierSyncOptions): Promise<TierSyncResult> {
  const { candidates, onWarning, ...syncOptions } = options;
  const refused: TierSyncResult["refused"] = [];
  let lastError: unknown = new Error("no store to publish to");
  for (const store of candidates) {
    try {
      const result = await sync({ ...syncOptions, store });
      return { ...result, refused };
    } catch (error) {
      if (error instanceof PartialFailureError) {
        const partial = { ...(error.result as SyncResult), refused };
        if (partial.published.length > 0 || candidates.length === 1) {
          throw new PartialFailureError(error.message, partial, { hint: error.hint });
        }
        // Nothing went in: the tier refused every write (read-only credentials, say).
        lastError = error;
        refused.push({ store: store.url, error: partial.failed[0]?.error ?? error.message });
        onWarning?.(
          `tier ${store.url} did not take the entries, trying the next: ${partial.failed[0]?.error ?? error.message}`,
        );
        continue;
      }
      if (options.signal?.aborted) throw error;
      lastError = error;
      refused.push({ store: store.url, error: messageOf(error) });
      onWarning?.(`tier ${store.url} did not take the entries, trying the next: ${messageOf(error)}`);
    }
  }
  throw lastError;
}

// --- internal ---

interface BackfillContext {
  results: ReadonlyArray<FetchResult | null>;
  tiers: readonly Store[];
  compilerVersion: string;
  model: { modelId?: string; task?: string };
  localCopies: Store;
  signal: AbortSignal | undefined;
  onWarning: ((message: string) => void) | undefined;
}

/**
 * Copies into tier `index` the entries later tiers supplied; null when there was nothing to
 * carry. A copy, not a sync: the store's own manifests (compile flags and time), their
 * producers' signatures and the export records reach the faster tier as they are, and a damaged
 * copy there is rewritten; the bytes themselves come from the entries just installed.
 */
async function backfillTier(
  store: Store,
  index: number,
  context: BackfillContext,
): Promise<TierBackfillOutcome | null> {
  const { signal, onWarning } = context;
  const published = new Set<string>();
  let error: string | null = null;
  for (let from = index + 1; from < context.tiers.length; from += 1) {
    const modules = context.results[from]?.fetched.map((entry) => entry.module) ?? [];
    if (modules.length === 0) continue;
    try {
      const copied = await copy({
        from: context.tiers[from] as Store,
        to: store,
        compilerVersion: context.compilerVersion,
        ...context.model,
        modules,
        localCopies: context.localCopies,
        signal,
      }).catch((failure: unknown) => {
        if (failure instanceof PartialFailureError) return failure.result as CopyResult;
        throw failure;
      });
      for (const entry of copied.copied) published.add(entry.what.slice(entry.what.lastIndexOf("/") + 1));
      if (copied.failed.length > 0) {
        error ??= copied.failed[0]?.error ?? null;
        onWarning?.(
          `backfilling tier ${store.url}: ${copied.failed.length} entries or records could not be copied`,
        );
      }
    } catch (failure) {
      if (signal?.aborted) throw failure;
      error ??= messageOf(failure);
      onWarning?.(`backfilling tier ${store.url} failed: ${messageOf(failure)}`);
    }
  }
  if (published.size === 0 && error === null) return null;
  return { store: store.url, published: published.size, error };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
