/**
 * explain: a local cache against a store, after the fact. For one compiler version, which local
 * entries the store lacks and why (the reasons `exec` gives for its misses), and which of the
 * model's store entries the local cache lacks. Without a model, the store's flat area is compared.
 */
import { join } from "node:path";
import { compilerVersionDir } from "../layout/cache-layout.ts";
import type { CacheStoreComparison } from "../layout/compare-cache-with-store.ts";
import { compareCacheWithStore } from "../layout/compare-cache-with-store.ts";
import type { CompiledEntry, MissExplanation } from "../layout/explain-miss.ts";
import { explainMisses } from "../layout/explain-miss.ts";
import { validateModelId, validateTask } from "../layout/model-id.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import { readCompiledEntry } from "../local/read-compiled-entry.ts";
import { scanCache } from "../local/scan-cache.ts";
import type { Store } from "../store/store.ts";
import { scanStoreModel } from "./scan-store-model.ts";

export interface ExplainOptions {
  store: Store;
  cacheDir: string;
  compilerVersion: string;
  /** The model whose area is compared; without one, the flat area. */
  modelId?: string;
  /** @default "default" (with a model) */
  task?: string;
  signal?: AbortSignal;
}

export interface ExplainResult extends Omit<CacheStoreComparison, "localOnly"> {
  store: string;
  cacheDir: string;
  compilerVersion: string;
  modelId: string | null;
  task: string | null;
  /** Local successes the store lacks, each with why. */
  localOnly: MissExplanation[];
}

export async function explain(options: ExplainOptions): Promise<ExplainResult> {
  const { store, cacheDir, compilerVersion, signal } = options;
  const modelId = options.modelId === undefined ? null : validateModelId(options.modelId);
  const task = modelId === null ? null : validateTask(options.task);
  const versionDirName = compilerVersionDir(compilerVersion);
  const [scan, facts] = await Promise.all([
    scanCache({ cacheDir, onlyVersionDir: versionDirName, sizes: false, signal }),
    scanStoreModel({ store, modelId, compilerVersion, task, signal }),
  ]);
  const area = facts.entries.filter(
    (entry) => entry.compilerVersion === compilerVersion && entry.task === task,
  );
  const comparison = compareCacheWithStore(
    scan.entries.map((entry) => ({
      module: entry.name,
      state: entry.state,
      locked: entry.lockFiles.length > 0,
    })),
    area,
  );
  const misses: CompiledEntry[] = [];
  await forEachConcurrent(
    comparison.localOnly,
    8,
    async (module) => {
      const local = await readCompiledEntry(join(cacheDir, versionDirName, module), module, signal);
      misses.push({ ...local, fetchProblem: null });
    },
    signal,
  );
  misses.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : 0));
  return {
    store: store.url,
    cacheDir,
    compilerVersion,
    modelId,
    task,
    ...comparison,
    localOnly: explainMisses(misses, facts, { compilerVersion, modelId, task }),
  };
}
