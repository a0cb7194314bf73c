/**
 * sync: publishes local compile-cache entries to a store. Only success entries travel (never
 * failed, locked, empty or in-progress ones, never lock files or logs). Each file goes to the
 * flat area and, with a model id, to the model's area.
 *
 * Scan and hash the local entries, read what each area holds of them (listing, manifests, the
 * bytes of files no manifest vouches for), let `planSync` decide, then run its phases: files,
 * done markers, manifests, and the export record after every entry. Each entry stands alone: one
 * whose files all landed is completed even when others failed, failed files are sent again with
 * backoff within the run, and a later run repairs whatever a kill or a fault left behind
 * without sending again what is right.
 */
import { createReadStream } from "node:fs";
import { lstat, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleepFor } from "node:timers/promises";
import { PartialFailureError } from "../errors.ts";
import {
  compilerVersionDir,
  exportRecordKey,
  flatEntryKey,
  modelEntryKey,
  modelTaskPrefix,
  versionProblem,
} from "../layout/cache-layout.ts";
import { ENTRY_MANIFEST_FILE, FLAGS_FILE, entryFileProblem } from "../layout/entry-files.ts";
import { classifyEntry } from "../layout/classify-entry.ts";
import { buildManifest, hashHostName, MAX_MANIFEST_BYTES, parseManifest } from "../layout/entry-manifest.ts";
import type { ManifestFile } from "../layout/entry-manifest.ts";
import { exportRecordBody, exportRecordHash } from "../layout/export-record.ts";
import { entryKeyFactors } from "../layout/key-factors.ts";
import { validateModelId, validateTask } from "../layout/model-id.ts";
import type { PyJsonObject } from "../layout/py-json.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import type { ScannedEntry } from "../local/scan-cache.ts";
import { scanCache } from "../local/scan-cache.ts";
import { DEFAULT_RETRY_POLICY, isRetryableFailure, retryDelayMs } from "../store/retry.ts";
import type { ListItem, Store, WriteSource } from "../store/store.ts";
import { copyObject, settleWrite, textSource, writeObjects } from "../store/store-ops.ts";
import { readStoreText } from "../transfer/read-store-text.ts";
import { sha256File } from "../transfer/hash-file.ts";
import type {
  AreaListing,
  LocalEntryToPublish,
  PlannedTransfer,
  SyncArea,
  SyncPhase,
} from "../transfer/plan-sync.ts";
import { planSync } from "../transfer/plan-sync.ts";
import { disputedFiles, readRemoteStates } from "../transfer/read-remote-states.ts";
import type { AreaSelector, RemoteEntry } from "../transfer/remote-entries.ts";
import { groupRemoteEntries } from "../transfer/remote-entries.ts";
import { allowManyListeners } from "../transfer/allow-many-listeners.ts";
import type { TransferListener } from "../transfer/transfer-progress.ts";
import { NEFF_CACHE_VERSION } from "../version.ts";
import { signatureName } from "../layout/signature-name.ts";
import type { ProducerSigningKey } from "../trust/producer-key.ts";
import { fingerprintId } from "../trust/producer-key.ts";
import type { ManifestToSign } from "../trust/sign-published.ts";
import { signPublished } from "../trust/sign-published.ts";
import { buildSignature, signatureKey } from "../trust/signature-file.ts";

export type { SyncArea } from "../transfer/plan-sync.ts";

/** Files uploaded at once. */
export const DEFAULT_SYNC_CONCURRENCY = 16;
/**
 * Rounds per phase, the first included, for files whose failure is worth retrying. Each store
 * call already retries a request; a round sends again what still failed after those retries
 * (a batch operation the Hub refused, a reset body). With 30% of batch operations refused and
 * the Hub store's own three rounds, a file fails a run with odds of 0.3^12.
 */
const PUBLISH_ROUNDS = 4;
/** Files up to this size are read into memory once when an entry is prepared. */
const SMALL_FILE_BYTES = 1024 * 1024;
/** Up to this many candidate entries, presence is checked entry by entry; above, by listing the area. */
const PER_ENTRY_CHECK_LIMIT = 64;

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
  /** Told when each phase starts (tests stop a run there, as a kill would). */
  onPhase?: (phase: SyncPhase) => void;
  /** Injectable clock for manifests. */
  now?: () => Date;
  /** Sign each entry's manifest in every area, and the export record, with this producer key. */
  signingKey?: ProducerSigningKey | null;
  /** What the manifests record beyond the files (the flags are read from each entry). */
  keyFactors?: PublishKeyFactors;
  /**
   * Read back every file of every entry already in the store and compare it with the local
   * bytes, instead of trusting a valid manifest and the listed size: finds bytes changed in the
   * store since they were published (same size, other content) and sends only those again.
   * Costs a download of the whole published set.
   */
  verify?: boolean;
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
  /** Areas the entry was published to or repaired in. */
  areas: SyncArea[];
  /** Per area, what the store held wrong or lacked ("flat area: not in the store", …). */
  reasons: string[];
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
  /** With a signing key: its fingerprint and the manifests and record signed by this run. */
  signatures?: { key: string; signed: string[] };
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

  const selectors: AreaSelector[] = [{ area: "flat", compilerVersion }];
  if (modelId !== null && task !== null) selectors.push({ area: "model", compilerVersion, modelId, task });
  const keyOf = (area: SyncArea, module: string, file: string): string =>
    area === "flat"
      ? flatEntryKey({ compilerVersion, module, file })
      : modelEntryKey({ compilerVersion, modelId: modelId ?? "", task: task ?? undefined, module, file });

  const failures = new Map<string, string>();
  const fail = (module: string, error: unknown): void => {
    if (!failures.has(module)) failures.set(module, error instanceof Error ? error.message : String(error));
  };
  const prepared = await prepareEntries(candidates, fail, signal);
  const local = prepared.filter((entry) => !failures.has(entry.module));

  if (local.length > 0) {
    const localByModule = new Map<string, LocalEntryToPublish>(local.map((entry) => [entry.module, entry]));
    const keptManifests = new Map<string, string>();
    for (const entry of local) {
      if (entry.keptManifest !== undefined) keptManifests.set(entry.module, entry.keptManifest);
    }
    const listings: RemoteEntry[][] = [];
    for (const selector of selectors) listings.push(await listArea(store, selector, local, signal));
    const disputed = disputedFiles(listings);
    const areas: AreaListing[] = [];
    for (const [index, selector] of selectors.entries()) {
      const entries = await readRemoteStates({
        store,
        compilerVersion,
        remote: listings[index] as RemoteEntry[],
        local: localByModule,
        keptManifests,
        verifyBytes: options.verify === true,
        disputed,
        signal,
      });
      areas.push({ area: selector.area, entries });
    }
    const plan = planSync({ local, areas, capabilities: store.capabilities });
    result.skipped.push(...plan.skipped);
    options.onProgress?.({
      type: "plan",
      entries: plan.entries.length,
      files: plan.phases.reduce((sum, phase) => sum + phase.transfers.length, 0),
      bytes: plan.bytes,
    });

    const sourceOf = new Map<string, WriteSource>();
    for (const entry of local)
      for (const file of entry.files) sourceOf.set(`${entry.module}/${file.name}`, file.source);
    const now = (options.now ?? (() => new Date()))();
    const manifestText = (module: string): string => {
      const entry = localByModule.get(module) as PreparedEntry;
      return buildManifest({
        module,
        compilerVersion,
        files: entry.files.map(({ name, size, sha256 }) => ({ name, size, sha256 })),
        producer: { tool: "neff-cache", version: NEFF_CACHE_VERSION, hostHash: hashHostName(hostname()) },
        createdAt: now,
        keyFactors: entryKeyFactors({
          flagsBytes: entry.files.find((file) => file.name === FLAGS_FILE)?.source.bytes,
          exportConfigHash:
            options.keyFactors?.exportConfigHash ??
            (options.exportConfig ? exportRecordHash(options.exportConfig) : undefined),
          compileMs: options.keyFactors?.compileMs?.get(module),
        }),
      });
    };
    const manifestSource = (module: string): WriteSource => textSource(manifestText(module));
    const context: PhaseContext = {
      store,
      keyOf,
      concurrency: options.concurrency ?? DEFAULT_SYNC_CONCURRENCY,
      signal,
      onBytes: (bytes) => options.onProgress?.({ type: "bytes", bytes }),
    };
    for (const { phase, transfers } of plan.phases) {
      options.onPhase?.(phase);
      signal?.throwIfAborted();
      const live = transfers.filter((transfer) => !failures.has(transfer.module));
      const sources = live.map((transfer) =>
        transfer.file === ENTRY_MANIFEST_FILE
          ? manifestSource(transfer.module)
          : (sourceOf.get(`${transfer.module}/${transfer.file}`) as WriteSource),
      );
      const outcome = await runPhase(live, sources, context);
      result.bytes += outcome.bytes;
      for (const [module, error] of outcome.failures) fail(module, error);
    }

    if (options.signingKey) {
      // Every area's manifest of every entry that stands: the ones written now, and the ones
      // already right that this key has not signed yet.
      const ownSignature = signatureName(ENTRY_MANIFEST_FILE, fingerprintId(options.signingKey.fingerprint));
      const rewritten = new Map(plan.entries.map((entry) => [entry.module, entry.areas]));
      const manifests: ManifestToSign[] = [];
      for (const entry of local) {
        if (failures.has(entry.module)) continue;
        for (const listing of areas) {
          const written = rewritten.get(entry.module)?.includes(listing.area) ?? false;
          if (!written && listing.entries.get(entry.module)?.files.has(ownSignature)) continue;
          manifests.push({
            module: entry.module,
            key: keyOf(listing.area, entry.module, ENTRY_MANIFEST_FILE),
            text: written ? manifestText(entry.module) : null,
            files: entry.files,
          });
        }
      }
      const signing = await signPublished({ store, signingKey: options.signingKey, manifests, now, signal });
      for (const [module, error] of signing.failures) fail(module, error);
      result.signatures = { key: options.signingKey.fingerprint, signed: signing.signed };
    }

    for (const entry of plan.entries) {
      const error = failures.get(entry.module);
      if (error !== undefined) continue;
      const { files, bytes } = localByModule.get(entry.module) as PreparedEntry;
      result.published.push({
        module: entry.module,
        files: files.length,
        bytes,
        areas: entry.areas,
        reasons: entry.reasons,
      });
      options.onProgress?.({ type: "entry-done", module: entry.module, bytes });
    }
    // The published manifest stays in each local entry whose hashes it does not hold yet, and in
    // each whose kept copy is not what this run published (an earlier sync to another store, with
    // another time): the next sync then finds the listing vouching for the kept copy and reads
    // no manifest.
    const rewrittenNow = new Set(plan.entries.map((entry) => entry.module));
    await Promise.all(
      local
        .filter(
          (entry) =>
            !failures.has(entry.module) &&
            (entry.rehashed ||
              (rewrittenNow.has(entry.module) && entry.keptManifest !== manifestText(entry.module))),
        )
        .map((entry) => keepLocalManifest(entry.path, manifestText(entry.module))),
    );
  }
  for (const [module, error] of failures) {
    result.failed.push({ module, error });
    options.onProgress?.({ type: "entry-failed", module, error });
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
      const body = exportRecordBody(options.exportConfig);
      const written = await store.write(key, textSource(body), { ifAbsent: true, signal });
      result.record = { key, created: written.created };
      if (options.signingKey) {
        const signing = await signRecord(store, key, body, written.created, options.signingKey, signal);
        if (signing !== null) {
          result.signatures ??= { key: options.signingKey.fingerprint, signed: [] };
          result.signatures.signed.push(signing);
        }
      }
    }
  }

  result.published.sort((a, b) => compare(a.module, b.module));
  result.skipped.sort((a, b) => compare(a.module, b.module));
  result.failed.sort((a, b) => compare(a.module, b.module));
  result.seconds = (performance.now() - started) / 1000;
  if (result.failed.length > 0) {
    // The first entry's own error, so a caller that only shows the message (exec's warning) still
    // says why.
    const [first] = result.failed as [SyncFailure, ...SyncFailure[]];
    throw new PartialFailureError(
      `${result.failed.length} of ${result.failed.length + result.published.length} entries could not be published (${result.failed.length > 1 ? "the first, " : ""}${first.module}: ${first.error}).`,
      result,
      { hint: "Run the sync again: complete entries are skipped, the others are published anew." },
    );
  }
  return result;
}

// --- internal ---

/**
 * Signs the export record at `key` unless this key already did: a record this run created has
 * our bytes; one that was there is signed only when its bytes are the same as ours. Returns the
 * key when it signed.
 */
async function signRecord(
  store: Store,
  key: string,
  body: string,
  created: boolean,
  signingKey: ProducerSigningKey,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  const sigKey = signatureKey(key, signingKey.fingerprint);
  if (!created) {
    if ((await store.stat(sigKey, { signal })) !== null) return null;
    const stored = await readStoreText(store, key, { signal, maxBytes: Buffer.byteLength(body) + 1 }).catch(
      () => null,
    );
    if (stored !== body) return null;
  }
  await store.write(sigKey, textSource(buildSignature(key, body, signingKey, new Date())), { signal });
  return key;
}

interface PreparedFile extends ManifestFile {
  source: WriteSource;
}

interface PreparedEntry extends LocalEntryToPublish {
  /** The local entry dir. */
  path: string;
  files: PreparedFile[];
  bytes: number;
  /** Some file's hash did not come from the entry's own manifest (there was none, or it is stale). */
  rehashed: boolean;
  /** The text of the entry's own manifest, when it has a valid one. */
  keptManifest?: string;
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
  const out: PreparedEntry[] = entries.map((entry) => ({
    module: entry.name,
    path: entry.path,
    files: [],
    bytes: 0,
    rehashed: false,
  }));
  await Promise.all(entries.map((entry) => removeAbandonedManifestCopies(entry)));
  const recorded = await Promise.all(entries.map((entry) => readLocalManifest(entry, signal)));
  recorded.forEach((kept, index) => {
    const target = out[index];
    if (kept !== null && target !== undefined) target.keptManifest = kept.text;
  });
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
          if (recorded[job.index]?.hashOf(job.name, info) !== sha256) target.rehashed = true;
          return;
        }
        // A large file unchanged since the entry's own manifest was written keeps that hash.
        const known = recorded[job.index]?.hashOf(job.name, info);
        if (known === undefined) target.rehashed = true;
        const sha256 = known ?? (await sha256File(job.path, signal));
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
 * The local entry's own manifest (fetch installs one; sync leaves one), as a source of hashes
 * for files that have not changed since it was written: same size, and not modified after it
 * (like rsync's quick check). A no-op sync then reads no NEFF: of 40 entries (184 MB) on S3 it
 * took 0.49 s of CPU with every file hashed, 0.19-0.25 s with the hashes kept.
 */
async function readLocalManifest(
  entry: ScannedEntry,
  signal: AbortSignal | undefined,
): Promise<{
  text: string;
  hashOf: (name: string, info: { size: number; mtimeMs: number }) => string | undefined;
} | null> {
  if (!entry.files.includes(ENTRY_MANIFEST_FILE)) return null;
  const path = join(entry.path, ENTRY_MANIFEST_FILE);
  try {
    const info = await lstat(path);
    if (!info.isFile() || info.size > MAX_MANIFEST_BYTES) return null;
    const text = await readFile(path, { encoding: "utf8", signal });
    const parsed = parseManifest(text);
    if (!parsed.ok || parsed.manifest.module !== entry.name) return null;
    const files = new Map(parsed.manifest.files.map((file) => [file.name, file]));
    return {
      text,
      hashOf: (name, file) => {
        const listed = files.get(name);
        return listed !== undefined && listed.size === file.size && file.mtimeMs < info.mtimeMs
          ? listed.sha256
          : undefined;
      },
    };
  } catch (error) {
    if (signal?.aborted) throw error;
    return null;
  }
}

/** The name a sync writes the kept manifest under before renaming it into place. */
const keptManifestTemporary = (pid: number): string => `.${ENTRY_MANIFEST_FILE}.${pid}.tmp`;
const KEPT_MANIFEST_TEMPORARY = new RegExp(
  `^\\.${ENTRY_MANIFEST_FILE.replaceAll(".", "\\.")}\\.(\\d+)\\.tmp$`,
);

/**
 * Removes the kept-manifest copies that syncs killed while writing them left in `entry` (seen
 * after kill -9 of a sync in its last moments), so they do not stay in the cache for good, nor
 * block a later sync with the same process id from keeping its manifest. A copy whose process
 * still runs here is left alone; one of a process on another machine sharing the cache may be
 * removed, which only makes that sync's rename fail, and it keeps no manifest this time.
 */
async function removeAbandonedManifestCopies(entry: ScannedEntry): Promise<void> {
  for (const name of entry.files) {
    const pid = KEPT_MANIFEST_TEMPORARY.exec(name)?.[1];
    if (pid === undefined || isRunning(Number(pid))) continue;
    await rm(join(entry.path, name), { force: true }).catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Leaves the published manifest in the local entry, so the next sync need not hash what did not
 * change. Written aside and renamed, so a reader never sees half of it; a cache that cannot be
 * written (read-only, gone) only costs the next sync its hashing.
 */
async function keepLocalManifest(entryPath: string, text: string): Promise<void> {
  const target = join(entryPath, ENTRY_MANIFEST_FILE);
  // Hidden, so neither a sync nor a fetch ever takes it for an entry file.
  const temporary = join(entryPath, keptManifestTemporary(process.pid));
  try {
    await writeFile(temporary, text, { flag: "wx" });
    await rename(temporary, target);
  } catch {
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}

/**
 * What `selector`'s area holds of the local entries. A model's own area is small: one listing.
 * The flat area holds every model's entries, so a few entries are listed one by one rather than
 * listing all of it.
 */
async function listArea(
  store: Store,
  selector: AreaSelector,
  local: readonly LocalEntryToPublish[],
  signal?: AbortSignal,
): Promise<RemoteEntry[]> {
  const items: ListItem[] = [];
  if (selector.area === "flat" && local.length <= PER_ENTRY_CHECK_LIMIT) {
    await forEachConcurrent(
      local,
      16,
      async (entry) => {
        const prefix = flatEntryKey({ compilerVersion: selector.compilerVersion, module: entry.module });
        for await (const item of store.list(prefix, { recursive: true, signal })) items.push(item);
      },
      signal,
    );
  } else {
    const prefix =
      selector.area === "flat" ? compilerVersionDir(selector.compilerVersion) : modelTaskPrefix(selector);
    for await (const item of store.list(prefix, { recursive: true, signal })) items.push(item);
  }
  return groupRemoteEntries(items, selector).entries;
}

/** The files of a local entry that travel: never locks or logs, and not an old manifest (rebuilt). */
function publishableFiles(entry: ScannedEntry): string[] {
  return entry.files.filter((name) => name !== ENTRY_MANIFEST_FILE && entryFileProblem(name) === null);
}

interface PhaseContext {
  store: Store;
  keyOf: (area: SyncArea, module: string, file: string) => string;
  concurrency: number;
  signal: AbortSignal | undefined;
  onBytes: (bytes: number) => void;
}

/**
 * What is left to do of one transfer: the writes not yet done, then the copies made from
 * `copyFrom` once its write (if it is one of them) has landed.
 */
interface Chain {
  transfer: PlannedTransfer;
  source: WriteSource;
  writes: SyncArea[];
  copies: SyncArea[];
  /** The last failure of this chain, kept until it succeeds. */
  error: unknown;
}

/**
 * Runs one phase: every transfer's writes and copies, and those that failed again, in rounds
 * with backoff, while their failure is worth retrying. Returns the bytes sent and, per entry,
 * the first error that still stands (its own, never another entry's).
 */
async function runPhase(
  transfers: readonly PlannedTransfer[],
  sources: readonly WriteSource[],
  context: PhaseContext,
): Promise<{ bytes: number; failures: Map<string, unknown> }> {
  const { store, signal } = context;
  // A write that copies depend on goes first in its chain.
  let pending: Chain[] = transfers.map((transfer, index) => ({
    transfer,
    source: sources[index] as WriteSource,
    writes:
      transfer.copyFrom !== null && transfer.write.includes(transfer.copyFrom)
        ? [transfer.copyFrom, ...transfer.write.filter((area) => area !== transfer.copyFrom)]
        : [...transfer.write],
    copies: [...transfer.copy],
    error: null,
  }));
  let bytes = 0;
  const failedForGood: Chain[] = [];
  for (let round = 1; round <= PUBLISH_ROUNDS && pending.length > 0; round++) {
    if (round > 1) {
      await sleepFor(retryDelayMs(round - 1, DEFAULT_RETRY_POLICY, undefined, Math.random), undefined, {
        signal,
      });
    }
    for (const chain of pending) chain.error = null;
    bytes += store.capabilities.batchWrite
      ? await runBatchRound(pending, context)
      : await runSingleRound(pending, context);
    const failed = pending.filter((chain) => chain.error !== null);
    pending = [];
    for (const chain of failed) {
      if (round < PUBLISH_ROUNDS && isRetryableFailure(chain.error)) pending.push(chain);
      else failedForGood.push(chain);
    }
  }
  const failures = new Map<string, unknown>();
  for (const chain of failedForGood) {
    if (!failures.has(chain.transfer.module)) failures.set(chain.transfer.module, chain.error);
  }
  return { bytes, failures };
}

/** A batch-writing store: every write of the round in one call, then the copies. */
async function runBatchRound(chains: readonly Chain[], context: PhaseContext): Promise<number> {
  const { store, keyOf, signal } = context;
  const writes = chains.flatMap((chain) =>
    chain.writes.map((area) => ({
      chain,
      area,
      key: keyOf(area, chain.transfer.module, chain.transfer.file),
    })),
  );
  const outcomes = await writeObjects(
    store,
    writes.map(({ key, chain }) => ({ key, source: chain.source })),
    { signal, onProgress: ({ bytes }) => context.onBytes(bytes) },
  );
  let bytes = 0;
  const sent = new Set<Chain>();
  outcomes.forEach((outcome, index) => {
    const { chain, area } = writes[index] as (typeof writes)[number];
    if (!outcome.ok) {
      chain.error ??= outcome.error;
      return;
    }
    chain.writes = chain.writes.filter((other) => other !== area);
    // One content, sent once for all its keys.
    if (!sent.has(chain)) bytes += chain.source.size;
    sent.add(chain);
  });
  await forEachConcurrent(
    chains.filter((chain) => chain.error === null && chain.copies.length > 0),
    context.concurrency,
    (chain) => runCopies(chain, context),
    signal,
  );
  return bytes;
}

/** A store without batch writes: each chain on its own, `concurrency` at once. */
async function runSingleRound(chains: readonly Chain[], context: PhaseContext): Promise<number> {
  const { store, keyOf, signal } = context;
  let bytes = 0;
  // Independent writes of one chain run side by side; only the copies wait for the first one.
  const tasks = chains.flatMap((chain) =>
    chain.writes.map((area, index) => ({ chain, area, thenCopy: index === 0 })),
  );
  const copyOnly = chains.filter((chain) => chain.writes.length === 0 && chain.copies.length > 0);
  await forEachConcurrent(
    [...tasks, ...copyOnly.map((chain) => ({ chain, area: null, thenCopy: true }))],
    context.concurrency,
    async ({ chain, area, thenCopy }) => {
      if (area !== null) {
        const outcome = await settleWrite(
          () =>
            store.write(keyOf(area, chain.transfer.module, chain.transfer.file), chain.source, {
              signal,
              onProgress: ({ bytes: moved }) => context.onBytes(moved),
            }),
          signal,
        );
        if (!outcome.ok) {
          chain.error ??= outcome.error;
          return;
        }
        chain.writes = chain.writes.filter((other) => other !== area);
        bytes += chain.source.size;
      }
      if (thenCopy && chain.copies.length > 0 && chain.error === null) await runCopies(chain, context);
    },
    signal,
  );
  return bytes;
}

/** Copies inside the store from the chain's `copyFrom` to each copy area still to do. */
async function runCopies(chain: Chain, context: PhaseContext): Promise<void> {
  const { transfer } = chain;
  if (transfer.copyFrom === null) return;
  if (chain.writes.includes(transfer.copyFrom)) return;
  const from = context.keyOf(transfer.copyFrom, transfer.module, transfer.file);
  for (const area of [...chain.copies]) {
    try {
      const copied = await copyObject(
        context.store,
        from,
        context.keyOf(area, transfer.module, transfer.file),
        {
          signal: context.signal,
        },
      );
      if (copied === null) throw new Error(`${from} vanished before it could be copied`);
      chain.copies = chain.copies.filter((other) => other !== area);
    } catch (error) {
      if (context.signal?.aborted) throw error;
      chain.error ??= error;
      return;
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
