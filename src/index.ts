/**
 * neff-cache as a library: the same operations as the CLI, returning data.
 * Named re-exports only; no logic here.
 */
export {
  EXIT_CODES,
  NeffCacheError,
  UsageError,
  NotFoundError,
  StoreError,
  BusyError,
  PartialFailureError,
} from "./errors.ts";
export type { ExitCode } from "./errors.ts";

export { fetch, DEFAULT_FETCH_CONCURRENCY } from "./ops/fetch.ts";
export type { FetchOptions, FetchResult, FetchedEntry, FetchFailure } from "./ops/fetch.ts";
export { sync, DEFAULT_SYNC_CONCURRENCY } from "./ops/sync.ts";
export type { SyncOptions, SyncResult, PublishedEntry, SyncSkip, SyncFailure, SyncArea } from "./ops/sync.ts";
export { lookup } from "./ops/lookup.ts";
export type { LookupOptions, LookupResult, LookupRecord } from "./ops/lookup.ts";
export { withNeuronCache } from "./ops/with-neuron-cache.ts";
export type {
  NeuronCacheOptions,
  NeuronCacheContext,
  NeuronCacheReport,
  NeuronCacheOutcome,
} from "./ops/with-neuron-cache.ts";
export { status } from "./ops/status.ts";
export type { StatusOptions, StatusResult } from "./ops/status.ts";
export { cleanup } from "./ops/cleanup.ts";
export type { CleanupOptions, CleanupResult } from "./ops/cleanup.ts";
export { stats } from "./ops/stats.ts";
export type { StatsOptions, StatsResult } from "./ops/stats.ts";
export { prune } from "./ops/prune.ts";
export type { PruneOptions, PruneResult } from "./ops/prune.ts";
export { copy } from "./ops/copy.ts";
export type { CopyOptions, CopyResult } from "./ops/copy.ts";
export { fetchFromTiers, syncToTiers } from "./ops/tiers.ts";
export type { TierFetchOptions, TierFetchResult, TierSyncOptions, TierSyncResult } from "./ops/tiers.ts";
export { createStore } from "./ops/create.ts";
export { listStore } from "./ops/ls.ts";
export { setBucketCommand as setBucket } from "./ops/set.ts";

export { openStore } from "./store/open-store.ts";
export type { OpenStoreOptions } from "./store/open-store.ts";
export type {
  Store,
  StoreKind,
  StoreObject,
  StoreCapabilities,
  ListItem,
  ListOptions,
  ReadOptions,
  WriteOptions,
  WriteResult,
  WriteSource,
  CallOptions,
} from "./store/store.ts";
export { createDirStore } from "./store/dir/dir-store.ts";
export { createHfStore } from "./store/hf/hf-store.ts";

export { parseStoreUrl, formatStoreUrl } from "./layout/store-url.ts";
export type { StoreLocation } from "./layout/store-url.ts";
export { resolveBucket } from "./local/bucket-config.ts";
export { resolveCacheDir, DEFAULT_CACHE_DIR } from "./layout/resolve-cache-dir.ts";
export { findCompilerVersion } from "./local/find-compiler-version.ts";
export { classifyEntry } from "./layout/classify-entry.ts";
export type { EntryState } from "./layout/classify-entry.ts";
export {
  flatEntryKey,
  modelEntryKey,
  modelTaskPrefix,
  exportRecordKey,
  compilerVersionDir,
} from "./layout/cache-layout.ts";
export { exportRecordHash, exportRecordBody, parseExportRecord } from "./layout/export-record.ts";
export { pyJsonDumps, parsePyJson, pyFloat, PyFloat } from "./layout/py-json.ts";
export type { PyJsonObject, PyJsonValue } from "./layout/py-json.ts";
export type { TransferEvent, TransferListener } from "./transfer/transfer-progress.ts";
export { startBucketServer } from "./interop/bucket-server.ts";
