/**
 * fetch: brings a model's compile-cache entries from a store into the local cache. One
 * listing of the model's per-model area (or, with `all`, of the compiler version's flat area),
 * of its folders only when the local cache is warm (see planFetchListing);
 * only remote successes that are missing or broken locally are downloaded; every file is
 * verified (size always; sha256 from the entry manifest, else the store's MD5 when it has one)
 * into a hidden staging dir on the same file system, and the entry appears by one rename.
 */
import { existsSync, constants as fsConstants, readdirSync } from "node:fs";
import { access, stat, statfs, writeFile } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { PartialFailureError, UsageError } from "../errors.ts";
import { compilerVersionDir, modelTaskPrefix } from "../layout/cache-layout.ts";
import type { EntryState } from "../layout/classify-entry.ts";
import { classifyEntry, SUCCESS_FILES } from "../layout/classify-entry.ts";
import { ENTRY_MANIFEST_FILE, entryFileRole, isModuleName } from "../layout/entry-files.ts";
import { parseSignatureName } from "../layout/signature-name.ts";
import type { EntryManifest } from "../layout/entry-manifest.ts";
import { MAX_MANIFEST_BYTES, parseManifest } from "../layout/entry-manifest.ts";
import { validateModelId, validateTask } from "../layout/model-id.ts";
import { formatBytes } from "../layout/format-bytes.ts";
import { errorCode } from "../local/error-code.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import {
  createStagingDir,
  discardStagingDir,
  installStagedEntry,
  removeAbandonedStaging,
  removeEmptyStagingRoot,
} from "../local/install-entry.ts";
import type { ListItem, Store } from "../store/store.ts";
import { listAll } from "../store/store-ops.ts";
import { downloadFile, IntegrityError } from "../transfer/download-file.ts";
import type { FetchListing, FetchSkip, PlannedDownload } from "../transfer/plan-fetch.ts";
import { planFetch, planFetchListing, readAreaFolders } from "../transfer/plan-fetch.ts";
import type { AreaSelector, RefusedKey, RemoteEntry } from "../transfer/remote-entries.ts";
import { groupRemoteEntries } from "../transfer/remote-entries.ts";
import { allowManyListeners } from "../transfer/allow-many-listeners.ts";
import type { TransferListener } from "../transfer/transfer-progress.ts";
import { readStoreText } from "../transfer/read-store-text.ts";
import { judgeStoredFile } from "../trust/read-signatures.ts";
import type { TrustPolicy } from "../trust/signature-file.ts";

/** Files downloaded at once, across entries. Chosen to match rclone's --transfers on the bench. */
export const DEFAULT_FETCH_CONCURRENCY = 16;

export interface FetchOptions {
  store: Store;
  /** The local compile cache root. */
  cacheDir: string;
  compilerVersion: string;
  /** The model whose per-model area is read. Required unless `all`. */
  modelId?: string;
  /** @default "default" */
  task?: string;
  /** Warm the whole compiler version from the flat area instead of one model's area. */
  all?: boolean;
  /** @default DEFAULT_FETCH_CONCURRENCY */
  concurrency?: number;
  /**
   * Install only entries whose manifest carries a valid signature by a key this trusts; others
   * are skipped as `untrusted`, with the reason. Null or absent: every verified entry is usable.
   */
  trust?: TrustPolicy | null;
  signal?: AbortSignal;
  onProgress?: TransferListener;
}

export interface FetchedEntry {
  module: string;
  files: number;
  bytes: number;
  /** A broken local entry (empty or failed) was replaced. */
  replaced: boolean;
  /** Verified against the entry manifest's sha256 (else by size and any store hash). */
  verifiedBy: "manifest" | "md5" | "size";
  /** With a trust policy: the fingerprint of the trusted key that signed the manifest. */
  signedBy?: string;
  /** How long the entry took to compile where it was built, when its manifest records it. */
  compileSeconds?: number;
}

export interface FetchFailure {
  module: string;
  error: string;
  /** Set when the local file system ran out of space: the bytes the entry needs. */
  noSpace?: { bytes: number };
}

export interface FetchResult {
  store: string;
  /** The store prefix that was listed. */
  prefix: string;
  cacheDir: string;
  compilerVersion: string;
  fetched: FetchedEntry[];
  skipped: FetchSkip[];
  failed: FetchFailure[];
  /** Listed keys that were not safe or not of the layout, never downloaded. */
  refusedKeys: RefusedKey[];
  bytes: number;
  seconds: number;
}

/**
 * Fetches and returns what happened. A failure of single entries is reported in `failed` and
 * thrown as a PartialFailureError carrying the result; store-level failures (listing) throw.
 */
export async function fetch(options: FetchOptions): Promise<FetchResult> {
  const started = performance.now();
  const { store, cacheDir, compilerVersion, signal } = options;
  allowManyListeners(signal);
  const selector: AreaSelector = options.all
    ? { area: "flat", compilerVersion }
    : {
        area: "model",
        compilerVersion,
        modelId: validateModelId(options.modelId ?? ""),
        task: validateTask(options.task),
      };
  const prefix = selector.area === "flat" ? compilerVersionDir(compilerVersion) : modelTaskPrefix(selector);
  const versionDir = join(cacheDir, compilerVersionDir(compilerVersion));

  const { entries, refused, present, localStates } = await listArea(
    store,
    prefix,
    selector,
    versionDir,
    signal,
  );
  const plan = planFetch(entries, localStates);
  const result: FetchResult = {
    store: store.url,
    prefix,
    cacheDir,
    compilerVersion,
    fetched: [],
    skipped: [...present, ...plan.skipped],
    failed: [],
    refusedKeys: refused,
    bytes: 0,
    seconds: 0,
  };

  // Leftovers of killed fetches go whether or not this one downloads anything (one readdir).
  if ((await removeAbandonedStaging(versionDir)) > 0 && plan.downloads.length === 0)
    await removeEmptyStagingRoot(versionDir);
  if (plan.downloads.length > 0) {
    const totals = plan.downloads.reduce(
      (sum, { entry }) => {
        for (const object of entry.files.values()) sum.bytes += object.size;
        sum.files += entry.files.size;
        return sum;
      },
      { files: 0, bytes: 0 },
    );
    options.onProgress?.({ type: "plan", entries: plan.downloads.length, ...totals });
    const outcomes = await fetchEntries(store, versionDir, plan.downloads, options);
    for (const outcome of outcomes) {
      if ("error" in outcome) result.failed.push(outcome);
      else if ("skip" in outcome) result.skipped.push(outcome.skip);
      else {
        result.fetched.push(outcome);
        result.bytes += outcome.bytes;
      }
    }
  }
  result.fetched.sort((a, b) => compare(a.module, b.module));
  result.skipped.sort((a, b) => compare(a.module, b.module));
  result.failed.sort((a, b) => compare(a.module, b.module));
  result.seconds = (performance.now() - started) / 1000;
  if (result.failed.length > 0) {
    const noSpace = result.failed.filter((failure) => failure.noSpace !== undefined);
    throw new PartialFailureError(
      noSpace.length > 0
        ? await noSpaceMessage(versionDir, noSpace, result.failed.length, plan.downloads.length)
        : `${result.failed.length} of ${plan.downloads.length} entries could not be fetched.`,
      result,
      { hint: "Run the fetch again; entries already installed are kept." },
    );
  }
  return result;
}

// --- internal ---

type EntryOutcome = FetchedEntry | FetchFailure | { skip: FetchSkip };

interface WantedFile {
  name: string;
  size: number;
  sha256?: string;
  md5?: string;
}

/** What one planned entry needs downloaded, once its manifest (if any) is read. */
interface EntryJob {
  entry: RemoteEntry;
  replacesLocal: boolean;
  wanted: WantedFile[];
  manifestText: string | null;
  /** The compile time the manifest records (a key factor), when it does. */
  compileMs: number | undefined;
  verifiedBy: FetchedEntry["verifiedBy"];
  signedBy?: string;
  /** Created by the first file that starts; shared by the entry's other files. */
  staging: Promise<string> | null;
  remaining: number;
  failed: boolean;
}

/**
 * Downloads planned entries in two global phases, so the file concurrency is always used in
 * full whatever the entry sizes: every manifest first, then one pool of every file (largest
 * first); an entry is installed the moment its last file is verified.
 */
async function fetchEntries(
  store: Store,
  versionDir: string,
  downloads: readonly PlannedDownload[],
  options: FetchOptions,
): Promise<EntryOutcome[]> {
  const { signal } = options;
  const concurrency = options.concurrency ?? DEFAULT_FETCH_CONCURRENCY;
  const outcomes: EntryOutcome[] = [];
  const jobs: EntryJob[] = [];
  const failEntry = (job: EntryJob, error: unknown): void => {
    if (job.failed) return;
    job.failed = true;
    const failure: FetchFailure = {
      module: job.entry.module,
      error: describe(error),
      ...(error instanceof NoSpaceError ? { noSpace: { bytes: error.bytes } } : {}),
    };
    outcomes.push(failure);
    options.onProgress?.({ type: "entry-failed", module: failure.module, error: failure.error });
  };
  try {
    await forEachConcurrent(
      downloads,
      concurrency,
      async ({ entry, localState }) => {
        const prepared = await planEntry(store, entry, options.trust ?? null, signal);
        if ("skip" in prepared) {
          outcomes.push(prepared);
          return;
        }
        if ("error" in prepared) {
          outcomes.push(prepared);
          options.onProgress?.({ type: "entry-failed", module: entry.module, error: prepared.error });
          return;
        }
        jobs.push({
          ...prepared,
          entry,
          replacesLocal: localState !== null,
          staging: null,
          remaining: prepared.wanted.length,
          failed: false,
        });
      },
      signal,
    );
    const files = jobs
      .flatMap((job) => job.wanted.map((file) => ({ job, file })))
      .sort((a, b) => b.file.size - a.file.size);
    // forEachConcurrent takes items in order as it goes, so the files not yet started can be
    // put in another order: once the disk is full, the smallest entries first, so as many
    // entries as the space left can hold are still installed.
    let started = 0;
    let spaceShort = false;
    // Entries the full disk stopped while others were writing too: each is tried once more, alone,
    // smallest first, once every other write has ended and given back what it could.
    const deferred = new Set<EntryJob>();
    let retrying = false;
    const onNoSpace = async (job: EntryJob, error: unknown): Promise<void> => {
      if (job.failed) return;
      if (retrying) failEntry(job, new NoSpaceError(versionDir, entryBytes(job), error));
      else {
        job.failed = true;
        deferred.add(job);
      }
      // Its partial files give their space back at once, to the entries still to come.
      const dir = await job.staging?.catch(() => null);
      job.staging = null;
      if (dir) await discardStagingDir(dir);
      if (spaceShort) return;
      spaceShort = true;
      const rest = files.slice(started).sort((a, b) => entryBytes(a.job) - entryBytes(b.job));
      files.splice(started, rest.length, ...rest);
    };
    /**
     * A failed download or install: an abort and a read-only cache end the fetch, a full disk
     * defers the entry, anything else fails that entry alone.
     */
    const onLocalFailure = async (job: EntryJob, error: unknown): Promise<void> => {
      if (signal?.aborted) throw error;
      if (await onReadOnlyFileSystem(versionDir, error)) throw await readOnlyCacheError(versionDir, error);
      if (errorCode(error) === "ENOSPC") await onNoSpace(job, error);
      else failEntry(job, error);
    };
    const fetchFile = async ({ job, file }: { job: EntryJob; file: WantedFile }): Promise<void> => {
      started += 1;
      if (job.failed) return;
      try {
        job.staging ??= createStagingDir(versionDir, job.entry.module);
        const dir = await job.staging;
        const listed = job.entry.files.get(file.name);
        if (!listed) throw new IntegrityError(`${file.name} vanished from the listing`);
        await downloadFile({
          store,
          key: listed.key,
          path: join(dir, file.name),
          expected: file,
          signal,
          onBytes: (bytes) => options.onProgress?.({ type: "bytes", bytes }),
        });
      } catch (error) {
        await onLocalFailure(job, error);
        return;
      }
      job.remaining -= 1;
      if (job.remaining === 0) {
        try {
          const outcome = await installEntry(versionDir, job);
          outcomes.push(outcome);
          if ("bytes" in outcome)
            options.onProgress?.({ type: "entry-done", module: job.entry.module, bytes: outcome.bytes });
        } catch (error) {
          await onLocalFailure(job, error);
        }
      }
    };
    await forEachConcurrent(files, concurrency, fetchFile, signal);
    retrying = true;
    for (const job of [...deferred].sort((a, b) => entryBytes(a) - entryBytes(b))) {
      Object.assign(job, { failed: false, staging: null, remaining: job.wanted.length });
      const again = job.wanted.map((file) => ({ job, file }));
      await forEachConcurrent(again, concurrency, fetchFile, signal);
    }
  } finally {
    // Whatever was not installed (failures, an abort) leaves nothing behind.
    for (const job of jobs) {
      const dir = await job.staging?.catch(() => null);
      if (dir) await discardStagingDir(dir);
    }
    await removeEmptyStagingRoot(versionDir);
  }
  return outcomes;
}

/** Reads and checks an entry's manifest; says which files to download and how to verify them. */
async function planEntry(
  store: Store,
  entry: RemoteEntry,
  trust: TrustPolicy | null,
  signal: AbortSignal | undefined,
): Promise<
  | Pick<EntryJob, "wanted" | "manifestText" | "verifiedBy" | "signedBy" | "compileMs">
  | FetchFailure
  | { skip: FetchSkip }
> {
  try {
    const manifestObject = entry.files.get(ENTRY_MANIFEST_FILE);
    let manifest: EntryManifest | null = null;
    let manifestText: string | null = null;
    if (manifestObject) {
      manifestText = await readStoreText(store, manifestObject.key, { signal, maxBytes: MAX_MANIFEST_BYTES });
      const parsed = manifestText === null ? null : parseManifest(manifestText);
      if (parsed === null || !parsed.ok || parsed.manifest.module !== entry.module) {
        return {
          module: entry.module,
          error: `its manifest is unreadable or belongs elsewhere (${parsed && !parsed.ok ? parsed.reason : "missing"})`,
        };
      }
      manifest = parsed.manifest;
    }
    let signedBy: string | undefined;
    if (trust !== null) {
      // The manifest lists every byte of the entry: a trusted signature over it, then the
      // sha256 check of each downloaded file against it, vouch for the whole entry.
      const verdict =
        manifestObject && manifestText !== null
          ? await judgeStoredFile({
              store,
              key: manifestObject.key,
              bytes: manifestText,
              signatureKeyIds: signatureKeyIds(entry),
              policy: trust,
              signal,
            })
          : ({
              trusted: false,
              reason: "unsigned",
              detail: "it has no neff-cache manifest to sign",
            } as const);
      if (!verdict.trusted) {
        return {
          skip: { module: entry.module, reason: "untrusted", detail: `${verdict.reason}: ${verdict.detail}` },
        };
      }
      signedBy = verdict.fingerprint;
    }
    const wanted: WantedFile[] = manifest
      ? manifest.files.map((file) => ({ name: file.name, size: file.size, sha256: file.sha256 }))
      : [...entry.files.values()]
          .filter((object) => {
            const role = entryFileRole(basename(object.key));
            return role !== "manifest" && role !== "signature";
          })
          .map((object) => ({
            name: basename(object.key),
            size: object.size,
            ...(object.md5 ? { md5: object.md5 } : {}),
          }));
    if (classifyEntry(wanted.map((file) => file.name)) !== "success") {
      return { module: entry.module, error: "its manifest does not list model.neff and model.done" };
    }
    for (const file of wanted) {
      const listed = entry.files.get(file.name);
      if (!listed)
        return { module: entry.module, error: `${file.name} is in its manifest but not in the store` };
      if (listed.size !== file.size) {
        return {
          module: entry.module,
          error: `${file.name} is listed with ${listed.size} bytes but its manifest says ${file.size}`,
        };
      }
    }
    const verifiedBy = manifest
      ? "manifest"
      : wanted.every((file) => file.md5 !== undefined)
        ? "md5"
        : "size";
    return {
      wanted,
      manifestText,
      verifiedBy,
      compileMs: manifest?.keyFactors?.compileMs,
      ...(signedBy !== undefined ? { signedBy } : {}),
    };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { module: entry.module, error: describe(error) };
  }
}

/** Moves a fully verified staging dir into place, unless a compile took the entry meanwhile. */
async function installEntry(versionDir: string, job: EntryJob): Promise<EntryOutcome> {
  const { entry } = job;
  job.staging ??= createStagingDir(versionDir, entry.module);
  const dir = await job.staging;
  if (job.manifestText !== null) {
    // Installed with the entry so later checks can verify the local bytes.
    await writeFile(join(dir, ENTRY_MANIFEST_FILE), job.manifestText, { flag: "wx" });
  }
  // A compile may have started (or finished) while we downloaded: installStagedEntry never
  // replaces its work (a success, or any entry with a lock), and only then is the local state
  // read, to say which it was. Not read before every install: one readdir per entry for the
  // rare case.
  const installed = await installStagedEntry(versionDir, entry.module, dir);
  job.staging = null;
  if (installed === "kept-existing") {
    return readLocalState(versionDir, entry.module) === "locked"
      ? {
          skip: {
            module: entry.module,
            reason: "compiling-locally",
            detail: "a compile took its lock during the fetch",
          },
        }
      : {
          skip: {
            module: entry.module,
            reason: "present",
            detail: "it appeared locally during the fetch (a compile or another fetch)",
          },
        };
  }
  // No markEntryUsed (utimes): the entry dir was made by this fetch, and its mtime, which
  // eviction ranks by, is the creation of its last file a moment ago. One call per entry less.
  return {
    module: entry.module,
    files: job.wanted.length,
    bytes: job.wanted.reduce((sum, file) => sum + file.size, 0),
    replaced: job.replacesLocal || installed === "replaced",
    verifiedBy: job.verifiedBy,
    ...(job.compileMs === undefined ? {} : { compileSeconds: job.compileMs / 1000 }),
    ...(job.signedBy !== undefined ? { signedBy: job.signedBy } : {}),
  };
}

/** What the listing part of a fetch found: the entries to plan, and those it knew present without listing. */
interface ListedArea {
  entries: RemoteEntry[];
  refused: RefusedKey[];
  present: FetchSkip[];
  localStates: Map<string, EntryState | null>;
}

/**
 * Lists what the fetch needs of the area. A warm cache asks for the area's folders first (one
 * request per 1,000 folders on S3, where the area's files took one page per 1,000 keys one after
 * another) and lists files only where planFetchListing says so; a cache holding no entry of the
 * compiler version lists the area's files at once, as the folders would all be missing.
 */
async function listArea(
  store: Store,
  prefix: string,
  selector: AreaSelector,
  versionDir: string,
  signal: AbortSignal | undefined,
): Promise<ListedArea> {
  const localStates = new Map<string, EntryState | null>();
  const localNames = readLocalNames(versionDir);
  /** Local entries already read while the folder listing was on its way. */
  const early = new Map<string, EntryState | null>();
  // An entry the version dir did not hold is not looked for (a cold fetch of 1,000 entries made
  // 1,000 failing opens); one that appears meanwhile is still never replaced, as installing
  // checks again.
  const stateOf = (module: string): EntryState | null => {
    const known = early.get(module);
    if (known !== undefined) return known;
    return localNames.has(module) ? readLocalState(versionDir, module) : null;
  };
  let listing: FetchListing = { kind: "area" };
  const localModules = [...localNames].filter(isModuleName);
  if (localModules.length > 0) {
    const listed = listAll(store, prefix, {
      recursive: false,
      // An empty store folder lists no file below, so it is skipped like an absent one.
      emptyFoldersAllowed: true,
      signal,
      ...(store.capabilities.parallelListing
        ? { parallelFrom: listingStartsFrom(prefix, localModules) }
        : {}),
    });
    // The local entries are read while the listing is on its way, time the process would
    // otherwise wait: on S3, 1,000 local entries took 13 ms after a 26 ms listing request.
    // Entries the listing turns out not to have cost a readdir each, within that wait only.
    let waiting = true;
    void listed.then(
      () => (waiting = false),
      () => (waiting = false),
    );
    for (let next = 0; waiting && next < localModules.length;) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const end = Math.min(next + LOCAL_READS_PER_TURN, localModules.length); next < end; next++) {
        const module = localModules[next] as string;
        try {
          early.set(module, readLocalState(versionDir, module));
        } catch {
          // Read again below if the listing has it, where the error stops the fetch as it should.
        }
      }
    }
    const folders = readAreaFolders(await listed, prefix, selector.area);
    if (folders.ok) {
      for (const module of folders.modules) localStates.set(module, stateOf(module));
    }
    listing = planFetchListing(folders, localStates);
  }
  if (listing.kind === "none") return { entries: [], refused: [], present: listing.present, localStates };
  let items: ListItem[];
  if (listing.kind === "folders") {
    const byFolder: ListItem[][] = [];
    await forEachConcurrent(
      listing.modules,
      DEFAULT_FETCH_CONCURRENCY,
      async (module, index) => {
        byFolder[index] = await listAll(store, `${prefix}/${module}`, { recursive: true, signal });
      },
      signal,
    );
    items = byFolder.flat();
  } else {
    items = await listAll(store, prefix, { recursive: true, signal });
  }
  const { entries, refused } = groupRemoteEntries(items, selector);
  // Synchronous, as the local-cache reads are (see LocalFs): 1,000 promise-based readdir calls
  // were a tenth of a warm exec's CPU on the many-small set.
  for (const entry of entries) {
    if (!localStates.has(entry.module)) localStates.set(entry.module, stateOf(entry.module));
  }
  return { entries, refused, present: listing.kind === "folders" ? listing.present : [], localStates };
}

/**
 * Local entries read between two looks at the event loop while a listing is awaited: few enough
 * that the listing's answer is taken up within a fraction of a millisecond.
 */
const LOCAL_READS_PER_TURN = 32;

/**
 * Entry folders between two starts of a parallel folder listing: about half a page (S3 pages
 * hold up to 1,000 keys; Ceph RGW gave 672 folders on its first), so that each start costs one
 * request and the area's pages come in one round trip instead of one after another.
 */
const FOLDERS_PER_LISTING_START = 500;

/** Where the area's folder listing may start requests: at every FOLDERS_PER_LISTING_START-th local entry. */
function listingStartsFrom(prefix: string, localModules: readonly string[]): string[] {
  const sorted = [...localModules].sort();
  const starts: string[] = [];
  for (let index = FOLDERS_PER_LISTING_START; index < sorted.length; index += FOLDERS_PER_LISTING_START) {
    starts.push(`${prefix}/${sorted[index] as string}`);
  }
  return starts;
}

/** The names in the local compiler version dir (none when it does not exist yet). */
function readLocalNames(versionDir: string): Set<string> {
  try {
    return new Set(readdirSync(versionDir));
  } catch (error) {
    if (errorCode(error) === "ENOENT") return new Set();
    throw error;
  }
}

/**
 * The local entry's state for fetch's purposes: any lock file means a compile holds the entry,
 * even one that also has `model.log` (a failed entry being compiled again), so it is never
 * replaced; a success with a stale lock is still a success.
 */
function readLocalState(versionDir: string, module: string): EntryState | null {
  // Both parts are normal already (a module name is one safe segment): path.join's
  // normalisation was a fifth of reading 1,000 local entries (V8 profile).
  const dir = `${versionDir}${sep}${module}`;
  // A success whatever else it holds: two existence checks took 3 ms for 1,000 entries where
  // reading each folder took 7-9 ms (Node 24).
  if (SUCCESS_FILES.every((name) => existsSync(`${dir}${sep}${name}`))) return "success";
  try {
    const names = readdirSync(dir);
    const state = classifyEntry(names);
    return state !== "success" && names.some((name) => name.endsWith(".lock")) ? "locked" : state;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw error;
  }
}

function signatureKeyIds(entry: RemoteEntry): string[] {
  const ids: string[] = [];
  for (const name of entry.files.keys()) {
    const signature = entryFileRole(name) === "signature" ? parseSignatureName(name) : null;
    if (signature) ids.push(signature.keyId);
  }
  return ids;
}

/** The local file system ran out of space while an entry was being written. */
class NoSpaceError extends Error {
  readonly bytes: number;
  constructor(versionDir: string, bytes: number, cause: unknown) {
    super(`no space left on the file system of ${versionDir} (the entry needs ${formatBytes(bytes)})`, {
      cause,
    });
    this.name = "NoSpaceError";
    this.bytes = bytes;
  }
}

function entryBytes(job: EntryJob): number {
  return job.wanted.reduce((sum, file) => sum + file.size, 0);
}

/** One message for every entry a full disk kept out: which file system, how much is free, how much more is needed. */
async function noSpaceMessage(
  versionDir: string,
  noSpace: readonly FetchFailure[],
  failed: number,
  planned: number,
): Promise<string> {
  const needed = noSpace.reduce((sum, failure) => sum + (failure.noSpace?.bytes ?? 0), 0);
  const [free, mount] = await Promise.all([
    statfs(versionDir).then(
      (info) => info.bavail * info.bsize,
      () => null,
    ),
    mountPointOf(versionDir),
  ]);
  const others = failed - noSpace.length;
  return (
    `${noSpace.length} of ${planned} entries did not fit on the file system mounted at ${mount} ` +
    `(${free === null ? "free space unknown" : `${formatBytes(free)} free`}; they need ${formatBytes(needed)})` +
    (others > 0 ? `, and ${others} more could not be fetched.` : ".")
  );
}

/**
 * Whether a local failure came from a read-only file system. Not always EROFS: a recursive mkdir
 * there fails with ENOENT (Node 24), so a local failure (one with a syscall) asks the nearest
 * existing directory, whose write access check answers EROFS on such a mount.
 */
async function onReadOnlyFileSystem(versionDir: string, error: unknown): Promise<boolean> {
  if (errorCode(error) === "EROFS") return true;
  if (typeof (error as { syscall?: unknown } | null)?.syscall !== "string") return false;
  for (let dir = versionDir; ; dir = dirname(dir)) {
    const answer = await access(dir, fsConstants.W_OK).then(
      () => "writable",
      (e: unknown) => errorCode(e),
    );
    if (answer !== "ENOENT" || dirname(dir) === dir) return answer === "EROFS";
  }
}

/**
 * A read-only cache dir fails every entry alike, so the fetch stops at the first refusal with one
 * error that says so, instead of one failure per entry.
 */
async function readOnlyCacheError(versionDir: string, cause: unknown): Promise<UsageError> {
  const cacheDir = dirname(versionDir);
  let existing = cacheDir;
  while ((await stat(existing).catch(() => null)) === null && dirname(existing) !== existing)
    existing = dirname(existing);
  const mount = await mountPointOf(existing);
  return new UsageError(
    `The cache dir ${cacheDir} is on a read-only file system (mounted at ${mount}); nothing can be installed there.`,
    {
      code: "E_CACHE_READ_ONLY",
      hint: `Remount ${mount} read-write, or fetch into a writable directory with --cache-dir.`,
      cause,
    },
  );
}

/** The mount point of the file system holding `dir`: the highest ancestor on the same device. */
async function mountPointOf(dir: string): Promise<string> {
  let current = dir;
  const device = (await stat(current).catch(() => null))?.dev;
  for (;;) {
    const parent = dirname(current);
    if (parent === current) return current;
    const info = await stat(parent).catch(() => null);
    if (info === null || info.dev !== device) return current;
    current = parent;
  }
}

function basename(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

function describe(error: unknown): string {
  if (error instanceof IntegrityError) return `verification failed: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
