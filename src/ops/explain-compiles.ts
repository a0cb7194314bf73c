/**
 * Why the cache did not serve what a command compiled: each compiled entry's key against what
 * the store holds for the model (see `explainMisses` for the reasons).
 */
import { join } from "node:path";
import { compilerVersionDir } from "../layout/cache-layout.ts";
import type { CompiledEntry, MissExplanation } from "../layout/explain-miss.ts";
import { explainMisses } from "../layout/explain-miss.ts";
import { exportRecordHash } from "../layout/export-record.ts";
import type { PyJsonObject } from "../layout/py-json.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import { readCompiledEntry } from "../local/read-compiled-entry.ts";
import type { Store } from "../store/store.ts";
import type { FetchResult } from "./fetch.ts";
import { scanStoreModel } from "./scan-store-model.ts";

export interface ExplainCompilesOptions {
  store: Store;
  cacheDir: string;
  compilerVersion: string;
  modelId: string;
  /** @default "default" */
  task?: string;
  /** The compiled entries (MODULE names). */
  modules: readonly string[];
  /** The fetch that ran before the command, if any: what it said about each store copy. */
  fetch: FetchResult | null;
  exportConfig?: PyJsonObject;
  signal?: AbortSignal;
}

export async function explainCompiles(options: ExplainCompilesOptions): Promise<MissExplanation[]> {
  const { signal } = options;
  const task = options.task ?? "default";
  const versionDir = join(options.cacheDir, compilerVersionDir(options.compilerVersion));
  const fetchProblems = new Map<string, string>();
  for (const skip of options.fetch?.skipped ?? []) {
    if (skip.reason === "remote-incomplete") fetchProblems.set(skip.module, skip.detail);
  }
  for (const failure of options.fetch?.failed ?? []) fetchProblems.set(failure.module, failure.error);

  const misses: CompiledEntry[] = [];
  await forEachConcurrent(
    options.modules,
    8,
    async (module) => {
      const local = await readCompiledEntry(join(versionDir, module), module, signal);
      misses.push({ ...local, fetchProblem: fetchProblems.get(module) ?? null });
    },
    signal,
  );
  misses.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : 0));
  const facts = await scanStoreModel({
    store: options.store,
    modelId: options.modelId,
    compilerVersion: options.compilerVersion,
    task,
    signal,
  });
  return explainMisses(misses, facts, {
    compilerVersion: options.compilerVersion,
    modelId: options.modelId,
    task,
    ...(options.exportConfig
      ? { exportConfig: options.exportConfig, exportConfigHash: exportRecordHash(options.exportConfig) }
      : {}),
  });
}
