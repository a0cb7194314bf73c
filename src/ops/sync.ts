/**
 * sync: publishes local compile-cache entries to a store. Only success entries travel (never
 * failed, locked, empty or in-progress ones, never lock files or logs). Each file goes to the
 * flat area and, with a model id, to the model's area; the second copy is made inside the store
 * when it can (server-side copy, a deduplicated Xet add, a hard link). Each entry's manifest is
 * written after its files and the export record after every entry, so a reader never mistakes a
 * half-published entry for a complete one. Entries already complete in the store are skipped, so
 * a second run transfers nothing.
 */
import { createReadStream } from "node:fs";
import { lstat, readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { PartialFailureError } from "../errors.ts";
import {
  compilerVersionDir,
  exportRecordKey,
  flatEntryKey,
  modelEntryKey,
  modelTaskPrefix,
  versionProblem,
} from "../layout/cache-layout.ts";
import { DONE_FILE, ENTRY_MANIFEST_FILE, FLAGS_FILE, entryFileProblem } from "../layout/entry-files.ts";
import { classifyEntry } from "../layout/classify-entry.ts";
import { buildManifest, hashHostName } from "../layout/entry-manifest.ts";
import type { ManifestFile } from "../layout/entry-manifest.ts";
import { exportRecordBody, exportRecordHash } from "../layout/export-record.ts";
import { entryKeyFactors } from "../layout/key-factors.ts";
import { validateModelId, validateTask } from "../layout/model-id.ts";
import type { PyJsonObject } from "../layout/py-json.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import type { ScannedEntry } from "../local/scan-cache.ts";
import { scanCache } from "../local/scan-cache.ts";
import type { ListItem, Store, WriteItem, WriteSource } from "../store/store.ts";
import { writeObjects } from "../store/store-ops.ts";
import { sha256File } from "../sync/hash-file.ts";
import type { AreaSelector } from "../sync/remote-entries.ts";
import { groupRemoteEntries } from "../sync/remote-entries.ts";
import { allowManyListeners } from "../sync/allow-many-listeners.ts";
import type { TransferListener } from "../sync/transfer-progress.ts";
import { NEFF_CACHE_VERSION } from "../version.ts";

/** Files uploaded at once. */
export const DEFAULT_SYNC_CONCURRENCY = 16;
/** Files up to this size are read into memory once when an entry is prepared. */
const SMALL_FILE_BYTES = 1024 * 1024;
/** Files at least this large are copied inside the store for the second area rather than sent twice. */
const COPY_MIN_BYTES = 4 * 1024 * 1024;
/** Up to this many candidate entries, presence is checked entry by entry; above, by listing the area. */
const PER_ENTRY_CHECK_LIMIT = 64;

export type SyncArea = "flat" | "model";

export interface SyncOptions {
  store: Store;
  cacheDir: string;
  compilerVersion: string;
  /** Also publish to this model's per-model area (and write its export record). */
  modelId?: string;
  /** @default "default" */
  task?: string;
  /** Publish only these entries (what a wrapped compile produced); default every local entry. */
  modules?: readonly string[];
  /** The export configuration to record, written last. Needs `modelId` and `optimumNeuronVersion`. */
  exportConfig?: PyJsonObject;
  optimumNeuronVersion?: string;
  /** @default DEFAULT_SYNC_CONCURRENCY */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: TransferListener;
  /** Injectable clock for manifests. */
  now?: () => Date;
  /** What the manifests record beyond the files (the flags are read from each entry). */
  keyFactors?: PublishKeyFactors;
}

/** Key factors known to the publisher rather than to the entry itself. */
export interface PublishKeyFactors {
  /** The export configuration's record hash, when a config is known (default: `exportConfig`'s). */
  exportConfigHash?: string;
  /** How long each entry's compile took, by module, when the caller watched it happen. */
  compileMs?: ReadonlyMap<string, number>;
}

export interface PublishedEntry {
  module: string;
  files: number;
  bytes: number;
  areas: SyncArea[];
}

export interface SyncSkip {
  module: string;
  reason: "not-success" | "present";
  detail: string;
}

export interface SyncFailure {
  module: string;
  error: string;
}

export interface SyncResult {
  store: string;
  cacheDir: string;
  compilerVersion: string;
  modelId: string | null;
  task: string | null;
  published: PublishedEntry[];
  skipped: SyncSkip[];
  failed: SyncFailure[];
  /** The export record, when a config was given: its key, and whether this run created it. */
  record: { key: string; created: boolean } | null;
  /** Why a config was given but no record written (failed entries, no entries, no version). */
  recordSkipped?: string;
  /** Bytes sent to the store (copies made inside the store are not counted). */
  bytes: number;
  seconds: number;
}

/** Publishes and returns what happened; entry failures throw a PartialFailureError carrying the result. */
export async function sync(options: SyncOptions): Promise<SyncResult> {
  const started = performance.now();
  const { store, cacheDir, compilerVersion, signal } = options;
  allowManyListeners(signal);
  const modelId = options.modelId === undefined ? null : validateModelId(options.modelId);
  const task = modelId === null ? null : validateTask(options.task);
  if (options.exportConfig !== undefined && modelId === null) {
    throw new TypeError("sync: an export record needs a model id");
  }
  const versionDirName = compilerVersionDir(compilerVersion);

  const scan = await scanCache({
    cacheDir,
    onlyVersionDir: versionDirName,
    ...(options.modules ? { onlyModules: new Set(options.modules) } : {}),
    signal,
  });
  const result: SyncResult = {
    store: store.url,
    cacheDir,
    compilerVersion,
    modelId,
    task,
    published: [],
    skipped: [],
    failed: [],
    record: null,
    bytes: 0,
    seconds: 0,
  };
  const candidates: ScannedEntry[] = [];
  for (const entry of scan.entries) {
    if (entry.state === "success") candidates.push(entry);
    else
      result.skipped.push({
        module: entry.name,
        reason: "not-success",
        detail: `the local entry is ${entry.state}`,
      });
  }

  const areas: Array<{ area: SyncArea; selector: AreaSelector }> = [
    { area: "flat", selector: { area: "flat", compilerVersion } },
  ];
  if (modelId !== null && task !== null) {
    areas.push({ area: "model", selector: { area: "model", compilerVersion, modelId, task } });
  }
  const keyOf = (area: SyncArea, module: string, file: string): string =>
    area === "flat"
      ? flatEntryKey({ compilerVersion, module, file })
      : modelEntryKey({ compilerVersion, modelId: modelId ?? "", task: task ?? undefined, module, file });

  // What each area already holds, so that a second run transfers nothing.
  const missing = new Map<string, SyncArea[]>();
  for (const { area, selector } of areas) {
    const present = await completeRemoteEntries(store, selector, candidates, signal);
    for (const entry of candidates) {
      if (present.has(entry.name)) continue;
      const list = missing.get(entry.name) ?? [];
      list.push(area);
      missing.set(entry.name, list);
    }
  }
  const toPublish = candidates.filter((entry) => missing.has(entry.name));
  for (const entry of candidates) {
    if (!missing.has(entry.name)) {
      result.skipped.push({ module: entry.name, reason: "present", detail: "already complete in the store" });
    }
  }

  if (toPublish.length > 0) {
    const failures = new Map<string, string>();
    const fail = (module: string, error: unknown): void => {
      if (!failures.has(module)) failures.set(module, error instanceof Error ? error.message : String(error));
    };
    const prepared = await prepareEntries(toPublish, fail, signal);
    options.onProgress?.({
      type: "plan",
      entries: prepared.length,
      files: prepared.reduce((sum, entry) => sum + entry.files.length, 0),
      bytes: prepared.reduce((sum, entry) => sum + entry.bytes, 0),
    });
    const transfer = (transfers: Transfer[]): Promise<void> =>
      runTransfers(store, transfers, {
        concurrency: options.concurrency ?? DEFAULT_SYNC_CONCURRENCY,
        signal,
        fail,
        isFailed: (module) => failures.has(module),
        onBytes: (bytes) => options.onProgress?.({ type: "bytes", bytes }),
      });
    const transfersOf = (entry: PreparedEntry, name: string, source: WriteSource): Transfer => {
      const [first = "flat", ...others] = missing.get(entry.module) ?? [];
      return {
        module: entry.module,
        first: { key: keyOf(first, entry.module, name), source },
        others: others.map((area) => keyOf(area, entry.module, name)),
      };
    };
    const live = (): PreparedEntry[] => prepared.filter((entry) => !failures.has(entry.module));

    // The done marker makes an entry a success to the compiler and to readers without a
    // manifest, so it goes after every other file; the manifest goes after the marker.
    await transfer(
      live().flatMap((entry) =>
        entry.files
          .filter((file) => file.name !== DONE_FILE)
          .map((file) => transfersOf(entry, file.name, file.source)),
      ),
    );
    await transfer(
      live().flatMap((entry) =>
        entry.files
          .filter((file) => file.name === DONE_FILE)
          .map((file) => transfersOf(entry, file.name, file.source)),
      ),
    );
    const now = (options.now ?? (() => new Date()))();
    await transfer(
      live().map((entry) =>
        transfersOf(
          entry,
          ENTRY_MANIFEST_FILE,
          textSource(
            buildManifest({
              module: entry.module,
              compilerVersion,
              files: entry.files.map(({ name, size, sha256 }) => ({ name, size, sha256 })),
              producer: {
                tool: "neff-cache",
                version: NEFF_CACHE_VERSION,
                hostHash: hashHostName(hostname()),
              },
              createdAt: now,
              keyFactors: entryKeyFactors({
                flagsBytes: entry.files.find((file) => file.name === FLAGS_FILE)?.source.bytes,
                exportConfigHash:
                  options.keyFactors?.exportConfigHash ??
                  (options.exportConfig ? exportRecordHash(options.exportConfig) : undefined),
                compileMs: options.keyFactors?.compileMs?.get(entry.module),
              }),
            }),
          ),
        ),
      ),
    );

    for (const entry of prepared) {
      const error = failures.get(entry.module);
      if (error !== undefined) {
        result.failed.push({ module: entry.module, error });
        options.onProgress?.({ type: "entry-failed", module: entry.module, error });
        continue;
      }
      const entryAreas = missing.get(entry.module) ?? [];
      result.published.push({
        module: entry.module,
        files: entry.files.length,
        bytes: entry.bytes,
        areas: entryAreas,
      });
      for (const file of entry.files) {
        const sentOnce =
          store.capabilities.batchWrite || (store.capabilities.serverSideCopy && file.size >= COPY_MIN_BYTES);
        result.bytes += file.size * (sentOnce ? 1 : entryAreas.length);
      }
      options.onProgress?.({ type: "entry-done", module: entry.module, bytes: entry.bytes });
    }
  }

  if (options.exportConfig !== undefined && modelId !== null && task !== null) {
    const present = result.skipped.some((skip) => skip.reason === "present");
    const recordProblem =
      result.failed.length > 0
        ? "some entries could not be published"
        : result.published.length === 0 && !present
          ? "the model has no successful entries to describe"
          : versionProblem(options.optimumNeuronVersion ?? "") !== null
            ? "no valid optimum-neuron version was given"
            : null;
    if (recordProblem !== null) result.recordSkipped = recordProblem;
    else {
      const key = exportRecordKey({
        compilerVersion,
        modelId,
        task,
        optimumNeuronVersion: options.optimumNeuronVersion ?? "",
        hash: exportRecordHash(options.exportConfig),
      });
      const written = await store.write(key, textSource(exportRecordBody(options.exportConfig)), {
        ifAbsent: true,
        signal,
      });
      result.record = { key, created: written.created };
    }
  }

  result.published.sort((a, b) => compare(a.module, b.module));
  result.skipped.sort((a, b) => compare(a.module, b.module));
  result.failed.sort((a, b) => compare(a.module, b.module));
  result.seconds = (performance.now() - started) / 1000;
  if (result.failed.length > 0) {
    throw new PartialFailureError(
      `${result.failed.length} of ${result.failed.length + result.published.length} entries could not be published.`,
      result,
      { hint: "Run the sync again: complete entries are skipped, the others are published anew." },
    );
  }
  return result;
}

// --- internal ---

interface PreparedFile extends ManifestFile {
  source: WriteSource;
}

interface PreparedEntry {
  module: string;
  files: PreparedFile[];
  bytes: number;
}

/**
 * Hashes the files that travel (never locks, logs, or an old manifest, which is rebuilt). An
 * entry whose files vanish, cannot be read, or whose NEFF or done marker is not a regular file
 * (a symlink could publish bytes from outside the cache) fails alone.
 */
async function prepareEntries(
  entries: readonly ScannedEntry[],
  fail: (module: string, error: unknown) => void,
  signal?: AbortSignal,
): Promise<PreparedEntry[]> {
  const out: PreparedEntry[] = entries.map((entry) => ({ module: entry.name, files: [], bytes: 0 }));
  const jobs = entries.flatMap((entry, index) =>
    publishableFiles(entry).map((name) => ({
      index,
      module: entry.name,
      path: join(entry.path, name),
      name,
    })),
  );
  await forEachConcurrent(
    jobs,
    4,
    async (job) => {
      try {
        const info = await lstat(job.path);
        if (!info.isFile()) return;
        const target = out[job.index];
        if (!target) return;
        if (info.size <= SMALL_FILE_BYTES) {
          // Read once, hashed and sent from memory to every area: for many small files the
          // opens and reads cost more than the bytes.
          const bytes = await readFile(job.path, { signal });
          const sha256 = createHash("sha256").update(bytes).digest("hex");
          target.files.push({
            name: job.name,
            size: bytes.length,
            sha256,
            source: {
              size: bytes.length,
              filePath: job.path,
              sha256,
              bytes,
              open: () => Readable.from([bytes]),
            },
          });
          target.bytes += bytes.length;
          return;
        }
        const sha256 = await sha256File(job.path, signal);
        target.files.push({
          name: job.name,
          size: info.size,
          sha256,
          source: { size: info.size, filePath: job.path, sha256, open: () => createReadStream(job.path) },
        });
        target.bytes += info.size;
      } catch (error) {
        if (signal?.aborted) throw error;
        fail(
          job.module,
          new Error(`cannot read ${job.name}: ${error instanceof Error ? error.message : String(error)}`),
        );
      }
    },
    signal,
  );
  for (const entry of out) {
    entry.files.sort((a, b) => compare(a.name, b.name));
    if (classifyEntry(entry.files.map((file) => file.name)) !== "success") {
      fail(entry.module, new Error("model.neff or model.done is not a regular file; the entry stays local"));
    }
  }
  return out;
}

/**
 * Entries of `candidates` that `selector`'s area already holds complete: with our manifest, or
 * (published by another tool) a success holding every file the local entry would publish.
 */
async function completeRemoteEntries(
  store: Store,
  selector: AreaSelector,
  candidates: readonly ScannedEntry[],
  signal?: AbortSignal,
): Promise<Set<string>> {
  const items: ListItem[] = [];
  if (candidates.length === 0) return new Set();
  // A model's own area is small: one listing. The flat area holds every model's entries, so
  // a few candidates are checked one by one rather than by listing all of it.
  if (selector.area === "flat" && candidates.length <= PER_ENTRY_CHECK_LIMIT) {
    await forEachConcurrent(
      candidates,
      16,
      async (entry) => {
        const prefix = flatEntryKey({ compilerVersion: selector.compilerVersion, module: entry.name });
        for await (const item of store.list(prefix, { recursive: true, signal })) items.push(item);
      },
      signal,
    );
  } else {
    const prefix =
      selector.area === "flat" ? compilerVersionDir(selector.compilerVersion) : modelTaskPrefix(selector);
    for await (const item of store.list(prefix, { recursive: true, signal })) items.push(item);
  }
  const { entries } = groupRemoteEntries(items, selector);
  const remote = new Map(entries.map((entry) => [entry.module, entry]));
  const complete = new Set<string>();
  for (const local of candidates) {
    const entry = remote.get(local.name);
    if (!entry) continue;
    const hasAllFiles = publishableFiles(local).every((name) => entry.files.has(name));
    if (entry.files.has(ENTRY_MANIFEST_FILE) || (entry.state === "success" && hasAllFiles))
      complete.add(local.name);
  }
  return complete;
}

/** The files of a local entry that travel: never locks or logs, and not an old manifest (rebuilt). */
function publishableFiles(entry: ScannedEntry): string[] {
  return entry.files.filter((name) => name !== ENTRY_MANIFEST_FILE && entryFileProblem(name) === null);
}

interface Transfer {
  module: string;
  /** The first area's key, written from the source. */
  first: WriteItem;
  /** The other areas' keys: copied inside the store when it can, else written again. */
  others: string[];
}

interface TransferOptions {
  concurrency: number;
  signal: AbortSignal | undefined;
  fail: (module: string, error: unknown) => void;
  isFailed: (module: string) => boolean;
  onBytes: (bytes: number) => void;
}

/** Writes one phase of files; a failure marks its entry failed and never stops the others. */
async function runTransfers(
  store: Store,
  transfers: readonly Transfer[],
  options: TransferOptions,
): Promise<void> {
  const { signal } = options;
  if (transfers.length === 0) return;
  if (store.capabilities.batchWrite) {
    // One registration for the phase: the store uploads each distinct content once.
    const items = transfers.flatMap((transfer) => [
      transfer.first,
      ...transfer.others.map((key) => ({ key, source: transfer.first.source })),
    ]);
    try {
      await writeObjects(store, items, { signal, onProgress: ({ bytes }) => options.onBytes(bytes) });
    } catch (error) {
      if (signal?.aborted) throw error;
      for (const transfer of transfers) options.fail(transfer.module, error);
    }
    return;
  }
  // Small files go to every area as independent writes (a copy costs a request like a write and
  // would wait for the first write); large ones are written once and copied inside the store.
  const useCopy = (transfer: Transfer): boolean =>
    store.copy !== undefined &&
    store.capabilities.serverSideCopy &&
    transfer.first.source.size >= COPY_MIN_BYTES;
  const tasks = transfers.flatMap((transfer) =>
    useCopy(transfer) || transfer.others.length === 0
      ? [{ transfer, key: transfer.first.key, copies: transfer.others }]
      : [transfer.first.key, ...transfer.others].map((key) => ({ transfer, key, copies: [] as string[] })),
  );
  await forEachConcurrent(
    tasks,
    options.concurrency,
    async ({ transfer, key, copies }) => {
      if (options.isFailed(transfer.module)) return;
      try {
        await store.write(key, transfer.first.source, {
          signal,
          onProgress: ({ bytes }) => options.onBytes(bytes),
        });
        for (const copy of copies) await store.copy?.(key, copy, { signal });
      } catch (error) {
        if (signal?.aborted) throw error;
        options.fail(transfer.module, error);
      }
    },
    signal,
  );
}

function textSource(text: string): WriteSource {
  const bytes = Buffer.from(text, "utf8");
  return {
    size: bytes.length,
    open: () => Readable.from([bytes]),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
