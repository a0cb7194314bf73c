/**
 * The seed's context manager as a library call: fetch a model's entries before a compile, run
 * it, and publish what it produced. A store failure is a warning (the compile never waits on a
 * bucket) unless `strict`.
 */
import { join } from "node:path";
import { DeadlineError, PartialFailureError } from "../errors.ts";
import { compilerVersionDir } from "../layout/cache-layout.ts";
import type { MissExplanation } from "../layout/explain-miss.ts";
import { exportRecordHash } from "../layout/export-record.ts";
import { compileDurationMs } from "../layout/key-factors.ts";
import type { PyJsonObject } from "../layout/py-json.ts";
import { entriesChangedSince, takeEntrySnapshot } from "../local/entry-snapshot.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import { readEntryTimes } from "../local/read-compiled-entry.ts";
import type { CompileWatch } from "../local/watch-compile-starts.ts";
import { releaseStoppedLocks, watchCompileStarts } from "../local/watch-compile-starts.ts";
import type { Store } from "../store/store.ts";
import type { TransferListener } from "../transfer/transfer-progress.ts";
import type { FetchResult } from "./fetch.ts";
import { fetch } from "./fetch.ts";
import type { ProducerSigningKey } from "../trust/producer-key.ts";
import type { TrustPolicy } from "../trust/signature-file.ts";
import type { SyncOptions, SyncResult } from "./sync.ts";
import { fetchFromTiers, syncToTiers } from "./tiers.ts";
import { sync } from "./sync.ts";

export interface NeuronCacheOptions {
  /** The model whose per-model area is fetched and published to. Without one, nothing is fetched and only the flat area is published. */
  modelId?: string;
  /** @default "default" */
  task?: string;
  /** Export configuration recorded after publishing (can also be set on the context inside `fn`). */
  exportConfig?: PyJsonObject;
  /**
   * optimum-neuron version the export record is filed under, or how to find it (called only
   * when a record is about to be written). Without one the record is skipped with a warning.
   */
  optimumNeuronVersion?: string | (() => Promise<string | null>);
  cacheDir: string;
  compilerVersion: string;
  /** The store, or how to open it (opened only when needed, so a broken store cannot block the compile). */
  store: Store | (() => Promise<Store>);
  /**
   * Tiers after `store`, slower ones later (see `tiers.ts`): the fetch takes each entry from the
   * first tier that has it and backfills the tiers before it (unless `readOnly`); publishing goes
   * to `publishTo`, else to the first tier that takes the writes. Opened with `store`.
   */
  moreTiers?: () => Promise<Store[]>;
  /** Where to publish instead of the first writable tier. */
  publishTo?: () => Promise<Store | null>;
  /** Never publish (pull-request builds). @default false */
  readOnly?: boolean;
  /** Store failures fail the call instead of being warnings. @default false */
  strict?: boolean;
  /** The cache dir is a mounted store: skip the fetch. @default false */
  mounted?: boolean;
  /** Fetch only entries signed by a key this trusts; an untrusted entry is simply a miss. */
  trust?: TrustPolicy | null;
  /** Sign what is published with this producer key. */
  signingKey?: ProducerSigningKey | null;
  /**
   * The cache must serve every compile: the moment one starts (a new entry or lock the fetch did
   * not serve), `context.compileStarted` aborts so `fn` can stop, and nothing is published.
   * @default false
   */
  requireHit?: boolean;
  /** Explain what `fn` compiled instead of fetching (costs store listings only when it compiled). @default true */
  explainMisses?: boolean;
  signal?: AbortSignal;
  /** The fetch stops after this long (a warning, or the failure when `strict`). */
  fetchTimeoutMs?: number;
  /** Publishing stops after this long (a warning, or the failure when `strict`); the results stay local. */
  publishTimeoutMs?: number;
  onProgress?: TransferListener;
  /** Told of store failures that were not fatal. */
  onWarning?: (message: string) => void;
}

/** Mutable during `fn`: set `exportConfig` once the export configuration is known. */
export interface NeuronCacheContext {
  exportConfig: PyJsonObject | undefined;
  /** Aborted when `requireHit` is set and a compile the cache did not serve starts; never otherwise. */
  compileStarted: AbortSignal;
}

/** The entries a run compiled instead of fetching, and why. */
export interface MissReport {
  modules: string[];
  /** One per module, in module order; empty when they could not be explained (see `unexplained`). */
  explanations: MissExplanation[];
  unexplained: string | null;
}

export interface NeuronCacheReport {
  fetch: FetchResult | null;
  /** Why there was no fetch, when there was none. */
  fetchSkipped: string | null;
  sync: SyncResult | null;
  syncSkipped: string | null;
  /** Entries that appeared or changed while `fn` ran. */
  changedEntries: string[];
  /** What was compiled rather than fetched, and why; null when nothing was. */
  misses: MissReport | null;
  /** With `requireHit`: whether a compile started (then `fn` was told to stop and nothing was published). */
  requireHit: { compileStarted: boolean; modules: string[] } | null;
  warnings: string[];
}

export interface NeuronCacheOutcome<T> {
  value: T;
  report: NeuronCacheReport;
}

/**
 * Runs `fn` between a fetch and a sync. When `fn` throws, nothing is published and the error
 * propagates. `shouldPublish` lets a caller (exec) publish only after a successful command.
 */
export async function withNeuronCache<T>(
  options: NeuronCacheOptions,
  fn: (context: NeuronCacheContext) => Promise<T>,
  shouldPublish: (value: T) => boolean = () => true,
): Promise<NeuronCacheOutcome<T>> {
  const report: NeuronCacheReport = {
    fetch: null,
    fetchSkipped: null,
    sync: null,
    syncSkipped: null,
    changedEntries: [],
    misses: null,
    requireHit: null,
    warnings: [],
  };
  const warn = (message: string): void => {
    report.warnings.push(message);
    options.onWarning?.(message);
  };
  let store: Store | null = null;
  const openStore = async (): Promise<Store> => {
    store ??= typeof options.store === "function" ? await options.store() : options.store;
    return store;
  };
  let lowerTiers: Store[] | null = null;
  let publishTo: Store | null | undefined;
  /** Every tier, fastest first (just `store` without tiers). */
  const openTiers = async (): Promise<Store[]> => {
    const first = await openStore();
    lowerTiers ??= (await options.moreTiers?.()) ?? [];
    return [first, ...lowerTiers];
  };
  const { signal } = options;
  try {
    if (options.mounted) report.fetchSkipped = "the cache dir is a mounted store";
    else if (options.modelId === undefined) report.fetchSkipped = "no model id given";
    else {
      const bounded = withDeadline(signal, options.fetchTimeoutMs, "the fetch");
      try {
        const tiers = await openTiers();
        const fetchOptions = {
          cacheDir: options.cacheDir,
          compilerVersion: options.compilerVersion,
          modelId: options.modelId,
          task: options.task,
          trust: options.trust ?? null,
          signal: bounded.signal,
          onProgress: options.onProgress,
        };
        report.fetch =
          tiers.length === 1
            ? await fetch({ ...fetchOptions, store: tiers[0] as Store })
            : await fetchFromTiers({ ...fetchOptions, tiers, backfill: !options.readOnly, onWarning: warn });
      } catch (caught) {
        const error = bounded.reason() ?? caught;
        if (signal?.aborted || options.strict) throw error;
        if (error instanceof PartialFailureError) report.fetch = error.result as FetchResult;
        warn(`fetch failed, compiling without it: ${messageOf(error)}`);
      }
    }

    const versionDir = join(options.cacheDir, compilerVersionDir(options.compilerVersion));
    const compileStarted = new AbortController();
    // Started before the snapshot, so no compile can slip in between the two.
    const watch: CompileWatch | null = options.requireHit
      ? await watchCompileStarts({
          versionDir,
          onStart: () =>
            compileStarted.abort(
              Object.assign(new Error("A compile started that the cache did not serve."), {
                name: "AbortError",
              }),
            ),
        })
      : null;
    // Taken after the fetch, so fetched entries are never published back.
    const snapshot = await takeEntrySnapshot(versionDir, completeAfterFetch(report.fetch));
    const context: NeuronCacheContext = {
      exportConfig: options.exportConfig,
      compileStarted: compileStarted.signal,
    };
    let value: T;
    try {
      value = await fn(context);
    } finally {
      await watch?.stop();
    }
    report.changedEntries = await entriesChangedSince(snapshot);
    const missed = [...new Set([...report.changedEntries, ...(watch?.started ?? [])])].sort();
    if (watch) report.requireHit = { compileStarted: watch.started.length > 0, modules: [...watch.started] };
    if (missed.length > 0 && options.explainMisses !== false) {
      report.misses = await explainMissed(missed, options, report.fetch, context.exportConfig, openStore);
    }

    if (report.requireHit?.compileStarted) {
      // Only entries that appeared during this run: a lock in an older one may be another compile's.
      const created = report.requireHit.modules.filter((module) => !snapshot.names.has(module));
      await releaseStoppedLocks(versionDir, created).catch((error: unknown) =>
        warn(`cannot remove the stopped compile's lock files: ${messageOf(error)}`),
      );
      report.syncSkipped = "require-hit: a compile started that the cache did not serve";
      return { value, report };
    }
    if (options.readOnly) report.syncSkipped = "read-only";
    else if (!shouldPublish(value)) report.syncSkipped = "the command failed";
    else if (report.changedEntries.length === 0) {
      // As optimum-neuron does: no new entries, no record either, and not one store request.
      report.syncSkipped = "nothing new";
    } else {
      let recordVersion: string | undefined;
      if (context.exportConfig !== undefined && options.modelId !== undefined) {
        const given = options.optimumNeuronVersion;
        try {
          recordVersion = (typeof given === "function" ? await given() : given) ?? undefined;
        } catch (error) {
          warn(`cannot tell the optimum-neuron version: ${messageOf(error)}`);
        }
        if (recordVersion === undefined) {
          warn("the export record is not written: no optimum-neuron version (pass --optimum-neuron-version)");
        }
      }
      const bounded = withDeadline(signal, options.publishTimeoutMs, "publishing");
      try {
        publishTo ??= (await options.publishTo?.()) ?? null;
        const candidates = publishTo ? [publishTo] : await openTiers();
        const publish = (syncOptions: Omit<SyncOptions, "store">): Promise<SyncResult> =>
          candidates.length === 1
            ? sync({ ...syncOptions, store: candidates[0] as Store })
            : syncToTiers({ ...syncOptions, candidates, onWarning: warn });
        report.sync = await publish({
          cacheDir: options.cacheDir,
          compilerVersion: options.compilerVersion,
          modelId: options.modelId,
          task: options.task,
          modules: report.changedEntries,
          exportConfig:
            options.modelId === undefined || recordVersion === undefined ? undefined : context.exportConfig,
          optimumNeuronVersion: recordVersion,
          signingKey: options.signingKey ?? null,
          keyFactors: {
            ...(context.exportConfig ? { exportConfigHash: exportRecordHash(context.exportConfig) } : {}),
            compileMs: await compileDurations(versionDir, report.changedEntries, snapshot.takenAtMs),
          },
          signal: bounded.signal,
          onProgress: options.onProgress,
        });
        if (report.sync.recordSkipped) warn(`the export record is not written: ${report.sync.recordSkipped}`);
      } catch (caught) {
        const error = bounded.reason() ?? caught;
        if (signal?.aborted || options.strict) throw error;
        if (error instanceof PartialFailureError) report.sync = error.result as SyncResult;
        warn(`publishing failed; the compile's results stay local: ${messageOf(error)}`);
      }
    }
    return { value, report };
  } finally {
    await (store as Store | null)?.close().catch(() => undefined);
    for (const other of [...((lowerTiers as Store[] | null) ?? []), ...(publishTo ? [publishTo] : [])]) {
      await other.close().catch(() => undefined);
    }
  }
}

/**
 * `signal` bounded by a deadline of `timeoutMs` (none when undefined). `reason()` is the
 * DeadlineError once the deadline, not the caller, stopped the work.
 */
function withDeadline(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  what: string,
): { signal: AbortSignal | undefined; reason: () => DeadlineError | undefined } {
  if (timeoutMs === undefined) return { signal, reason: () => undefined };
  const timer = AbortSignal.timeout(timeoutMs);
  const bounded = signal === undefined ? timer : AbortSignal.any([signal, timer]);
  return {
    signal: bounded,
    reason: () =>
      timer.aborted && !signal?.aborted
        ? new DeadlineError(
            `${what} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.`,
          )
        : undefined,
  };
}

/** Explains the misses; a store that cannot be read leaves them unexplained, never fails the run. */
async function explainMissed(
  modules: string[],
  options: NeuronCacheOptions,
  fetched: FetchResult | null,
  exportConfig: PyJsonObject | undefined,
  openStore: () => Promise<Store>,
): Promise<MissReport> {
  if (options.modelId === undefined) {
    return {
      modules,
      explanations: [],
      unexplained: "no model id given, so no model's entries to compare with",
    };
  }
  try {
    const { explainCompiles } = await import("./explain-compiles.ts");
    const explanations = await explainCompiles({
      store: await openStore(),
      cacheDir: options.cacheDir,
      compilerVersion: options.compilerVersion,
      modelId: options.modelId,
      task: options.task,
      modules,
      fetch: fetched,
      exportConfig,
      signal: options.signal,
    });
    return { modules, explanations, unexplained: null };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { modules, explanations: [], unexplained: `the store could not be read: ${messageOf(error)}` };
  }
}

/** The entries a fetch left complete: those it installed and those it found present. */
function completeAfterFetch(fetched: FetchResult | null): Set<string> {
  const complete = new Set<string>();
  for (const entry of fetched?.fetched ?? []) complete.add(entry.module);
  for (const skip of fetched?.skipped ?? []) if (skip.reason === "present") complete.add(skip.module);
  return complete;
}

/** How long each compiled success took, from the times its files carry. */
async function compileDurations(
  versionDir: string,
  modules: readonly string[],
  notBeforeMs: number,
): Promise<Map<string, number>> {
  const durations = new Map<string, number>();
  await forEachConcurrent(modules, 16, async (module) => {
    try {
      const ms = compileDurationMs(await readEntryTimes(join(versionDir, module)), notBeforeMs);
      if (ms !== null) durations.set(module, ms);
    } catch {
      // A vanished entry is not published either; sync reports it.
    }
  });
  return durations;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
