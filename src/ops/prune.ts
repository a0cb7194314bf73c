/**
 * prune: removes entries, export records and junk from a store. One recursive listing (of the
 * compiler version's dir when one is given, else of the whole store), the pure `planPrune`,
 * then deletes in an order that keeps every reader safe:
 *   1. the export records, so `lookup` stops advertising configs first;
 *   2. every removed copy's markers (`model.done` and the manifest): from then on no reader
 *      takes the copy for a complete entry, and a fetch that already listed it fails that entry
 *      (its manifest or files are gone) instead of installing half of it;
 *   3. the copies' other files, only for copies whose markers are gone;
 *   4. junk.
 * A failed batch marks its keys failed and the rest goes on; what was removed is reported
 * whatever happens, and a failure is thrown as a PartialFailureError carrying the result.
 */
import { PartialFailureError } from "../errors.ts";
import { compilerVersionDir } from "../layout/cache-layout.ts";
import type { PrunePlan, PruneSelectors } from "../layout/plan-prune.ts";
import { planPrune } from "../layout/plan-prune.ts";
import { validateModelId } from "../layout/model-id.ts";
import type { Store, StoreObject } from "../store/store.ts";
import { deleteObjects } from "../store/store-ops.ts";

/** Keys per delete batch: S3's DeleteObjects takes at most 1,000. */
const DELETE_BATCH = 1000;

export interface PruneOptions extends PruneSelectors {
  store: Store;
  /** Plan only; delete nothing. */
  dryRun: boolean;
  signal?: AbortSignal;
  /** Injectable clock (for `olderThanMs`). */
  now?: () => Date;
}

export interface PruneFailure {
  key: string;
  error: string;
}

export interface PruneResult {
  store: string;
  dryRun: boolean;
  plan: PrunePlan;
  /** Keys deleted (0 on a dry run). */
  removedKeys: number;
  removedBytes: number;
  failed: PruneFailure[];
  seconds: number;
}

export async function prune(options: PruneOptions): Promise<PruneResult> {
  const started = performance.now();
  const { store, signal } = options;
  if (options.modelId !== undefined) validateModelId(options.modelId);
  const prefix = options.compilerVersion === undefined ? "" : compilerVersionDir(options.compilerVersion);
  const objects: StoreObject[] = [];
  for await (const item of store.list(prefix, { recursive: true, signal })) {
    if (item.type === "file") objects.push(item);
  }
  const plan = planPrune(objects, options, (options.now ?? (() => new Date()))());
  const result: PruneResult = {
    store: store.url,
    dryRun: options.dryRun,
    plan,
    removedKeys: 0,
    removedBytes: 0,
    failed: [],
    seconds: 0,
  };
  if (!options.dryRun) {
    const sizes = new Map(objects.map((object) => [object.key, object.size]));
    const remove = async (keys: readonly string[]): Promise<Set<string>> => {
      const failed = new Set<string>();
      for (let start = 0; start < keys.length; start += DELETE_BATCH) {
        const batch = keys.slice(start, start + DELETE_BATCH);
        try {
          await deleteObjects(store, batch, { signal });
          result.removedKeys += batch.length;
          for (const key of batch) result.removedBytes += sizes.get(key) ?? 0;
        } catch (error) {
          if (signal?.aborted) throw error;
          const message = error instanceof Error ? error.message : String(error);
          for (const key of batch) {
            failed.add(key);
            result.failed.push({ key, error: message });
          }
        }
      }
      return failed;
    };
    await remove(plan.records.map((record) => record.key));
    const markersFailed = await remove(plan.entries.flatMap((entry) => entry.markerKeys));
    await remove(
      plan.entries
        .filter((entry) => !entry.markerKeys.some((key) => markersFailed.has(key)))
        .flatMap((entry) => entry.fileKeys),
    );
    await remove(plan.junk.map((key) => key.key));
  }
  result.seconds = (performance.now() - started) / 1000;
  if (result.failed.length > 0) {
    throw new PartialFailureError(
      `${result.failed.length} of ${plan.keys} keys could not be removed.`,
      result,
      {
        hint: "Run the prune again: what is gone stays gone, and the rest is planned anew.",
      },
    );
  }
  return result;
}
