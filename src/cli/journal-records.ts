/**
 * The stats journal record of each command's result. Pure: results in, records out; `main.ts`
 * appends them.
 */
import type { StatsRecord } from "../layout/stats-record.ts";
import type { FetchResult } from "../ops/fetch.ts";
import type { SyncResult } from "../ops/sync.ts";
import type { ExecResult } from "./exec-with-cache.ts";

/** A record with every count zero, to fill in. */
function emptyRecord(command: StatsRecord["command"], at: Date): StatsRecord {
  return {
    at: at.toISOString(),
    command,
    store: null,
    modelId: null,
    compilerVersion: null,
    hits: 0,
    misses: 0,
    entriesFetched: 0,
    bytesFetched: 0,
    entriesPublished: 0,
    bytesPublished: 0,
    failed: 0,
    compileSeconds: 0,
    savedSeconds: 0,
    savedUnknown: 0,
  };
}

export function fetchStatsRecord(result: FetchResult, modelId: string | null, at: Date): StatsRecord {
  const record = emptyRecord("fetch", at);
  addFetch(record, result);
  return { ...record, store: result.store, modelId, compilerVersion: result.compilerVersion };
}

export function syncStatsRecord(result: SyncResult, at: Date): StatsRecord {
  const record = emptyRecord("sync", at);
  addSync(record, result);
  return { ...record, store: result.store, modelId: result.modelId, compilerVersion: result.compilerVersion };
}

/**
 * An exec's record: the entries it fetched are hits, the entries its command produced are
 * misses, and the command's wall time counts as compile time when it built anything.
 */
export function execStatsRecord(result: ExecResult, modelId: string | null, at: Date): StatsRecord {
  const record = emptyRecord("exec", at);
  const cache = result.cache;
  if (cache?.fetch) addFetch(record, cache.fetch);
  if (cache?.sync) addSync(record, cache.sync);
  record.misses = cache?.changedEntries.length ?? 0;
  record.compileSeconds = record.misses > 0 ? result.commandSeconds : 0;
  return {
    ...record,
    store: cache?.fetch?.store ?? cache?.sync?.store ?? null,
    modelId,
    compilerVersion: result.compilerVersion,
  };
}

// --- internal ---

function addFetch(record: StatsRecord, result: FetchResult): void {
  record.hits += result.fetched.length;
  record.entriesFetched += result.fetched.length;
  record.bytesFetched += result.bytes;
  record.failed += result.failed.length;
  for (const entry of result.fetched) {
    if (entry.compileSeconds === undefined) record.savedUnknown += 1;
    else record.savedSeconds += entry.compileSeconds;
  }
}

function addSync(record: StatsRecord, result: SyncResult): void {
  record.entriesPublished += result.published.length;
  record.bytesPublished += result.bytes;
  record.failed += result.failed.length;
}
