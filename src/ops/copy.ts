/**
 * copy: moves every complete entry copy (both areas) and export record from one store to
 * another: image baking into a directory, carrying a bundle into an air-gapped cluster,
 * mirroring a public bucket into a private one, promoting from staging to trusted. One listing
 * of each end, the pure `planCopy`, then the writes in three phases (files, `model.done`,
 * manifests) and the records last, so a destination entry looks complete only once it is.
 * Bytes that pass through this process are verified against the source manifest's sha256 (else
 * the listed size) before the write is kept; a mismatch deletes the written object and fails
 * that entry alone. Killed at any point, a second run writes only what is missing; after a
 * complete run, another writes nothing. When both ends are one store (one bucket, two
 * prefixes), objects are copied inside it and never pass through this process.
 */
import { createHash } from "node:crypto";
import { PassThrough, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PartialFailureError } from "../errors.ts";
import { compilerVersionDir, flatEntryKey } from "../layout/cache-layout.ts";
import { ENTRY_MANIFEST_FILE } from "../layout/entry-files.ts";
import { parseManifest } from "../layout/entry-manifest.ts";
import type { ListedObject } from "../layout/group-store-listing.ts";
import { validateModelId, validateTask } from "../layout/model-id.ts";
import type { CopyFilter, CopySkip, PlannedCopy } from "../layout/plan-copy.ts";
import { planCopy } from "../layout/plan-copy.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import type { Store, StoreObject, WriteSource } from "../store/store.ts";
import { copyObject } from "../store/store-ops.ts";
import { readStoreText } from "../transfer/read-store-text.ts";
import type { TransferListener } from "../transfer/transfer-progress.ts";

/** Objects written at once. */
export const DEFAULT_COPY_CONCURRENCY = 8;
/** Manifests list a handful of files; anything larger is not one of ours. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Both ends in one store: keys are copied inside `store`, from under one prefix to another. */
export interface SameStore {
  /** The store opened at the root both ends share. */
  store: Store;
  /** Key prefixes of the two ends below that root ("" for the root itself). */
  fromPrefix: string;
  toPrefix: string;
}

export interface CopyOptions extends CopyFilter {
  from: Store;
  to: Store;
  /** Set when both ends are one store, so the copy runs inside it. */
  sameStore?: SameStore;
  /**
   * A store holding the same entries in the flat layout (a directory store on a local compile
   * cache). A file the source manifest gives a sha256 for is read from here when this store
   * has it with that hash, and from the source only when not: a tier backfill then sends the
   * bytes the fetch just installed from local disk, and takes only the manifest, its
   * signatures and the records from the slower store.
   */
  localCopies?: Store;
  /** @default DEFAULT_COPY_CONCURRENCY */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: TransferListener;
}

export interface CopiedEntry {
  /** `neuronxcc-<cv>/[<model>/<task>/]<MODULE>`. */
  what: string;
  files: number;
  bytes: number;
  /** Checked against the source manifest's sha256 (else by size); "store" when copied inside one store. */
  verifiedBy: "manifest" | "size" | "store";
}

export interface CopyFailure {
  what: string;
  error: string;
}

export interface CopyResult {
  from: string;
  to: string;
  /** The objects were copied inside one store. */
  serverSide: boolean;
  copied: CopiedEntry[];
  records: string[];
  skipped: CopySkip[];
  failed: CopyFailure[];
  /** Bytes written to the destination. */
  bytes: number;
  seconds: number;
}

export async function copy(options: CopyOptions): Promise<CopyResult> {
  const started = performance.now();
  const { from, to, signal } = options;
  const filter: CopyFilter = {
    ...(options.compilerVersion === undefined ? {} : { compilerVersion: options.compilerVersion }),
    ...(options.modelId === undefined ? {} : { modelId: validateModelId(options.modelId) }),
    ...(options.task === undefined || options.modelId === undefined
      ? {}
      : { task: validateTask(options.task) }),
    ...(options.modules === undefined ? {} : { modules: options.modules }),
  };
  const prefix = filter.compilerVersion === undefined ? "" : compilerVersionDir(filter.compilerVersion);
  const [source, destination] = await Promise.all([
    listFiles(from, prefix, signal),
    listFiles(to, prefix, signal),
  ]);
  const plan = planCopy(source, destination, filter);
  const result: CopyResult = {
    from: from.url,
    to: to.url,
    serverSide: options.sameStore !== undefined,
    copied: [],
    records: [],
    skipped: plan.skipped,
    failed: [],
    bytes: 0,
    seconds: 0,
  };
  options.onProgress?.({
    type: "plan",
    entries: plan.copies.length,
    files: plan.copies.reduce((sum, copy) => sum + copy.write.length, 0) + plan.records.length,
    bytes: plan.bytes,
  });

  const failures = new Map<PlannedCopy, string>();
  const fail = (job: PlannedCopy, error: unknown): void => {
    if (!failures.has(job)) failures.set(job, error instanceof Error ? error.message : String(error));
  };
  // The sha256 of every file, from each source manifest, read and checked before any write.
  const expected = new Map<PlannedCopy, Map<string, string>>();
  await forEachConcurrent(
    plan.copies.filter((job) => job.hasManifest && options.sameStore === undefined),
    options.concurrency ?? DEFAULT_COPY_CONCURRENCY,
    async (job) => {
      try {
        expected.set(job, await readExpectedHashes(from, job, signal));
      } catch (error) {
        if (signal?.aborted) throw error;
        fail(job, error);
      }
    },
    signal,
  );

  const write = async (source: WriteSource, key: string): Promise<void> => {
    try {
      await to.write(key, source, {
        signal,
        onProgress: ({ bytes }) => options.onProgress?.({ type: "bytes", bytes }),
      });
    } catch (error) {
      // A rejected write must not leave bytes a resumed copy would take for done.
      if (!signal?.aborted) await to.delete(key, { signal }).catch(() => undefined);
      throw error;
    }
  };
  const transfer = async (
    object: ListedObject,
    sha256: string | undefined,
    flatKey?: string,
  ): Promise<number> => {
    if (options.sameStore) {
      const { store, fromPrefix, toPrefix } = options.sameStore;
      const copied = await copyObject(store, join(fromPrefix, object.key), join(toPrefix, object.key), {
        signal,
      });
      if (copied === null) throw new Error(`${object.key} vanished from the source`);
      return 0;
    }
    if (options.localCopies && sha256 !== undefined && flatKey !== undefined) {
      const local = { ...object, key: flatKey };
      try {
        await write(verifiedSource(options.localCopies, local, sha256, signal), object.key);
        return object.size;
      } catch (error) {
        // Missing or different locally: the source's bytes, verified the same way, are the truth.
        if (signal?.aborted) throw error;
      }
    }
    await write(verifiedSource(from, object, sha256, signal), object.key);
    return object.size;
  };
  const phases: Array<(name: string) => boolean> = [
    (name) => name !== "model.done" && name !== ENTRY_MANIFEST_FILE,
    (name) => name === "model.done",
    (name) => name === ENTRY_MANIFEST_FILE,
  ];
  for (const inPhase of phases) {
    const writes = plan.copies.flatMap((job) =>
      job.write
        .filter(inPhase)
        .map((name) => ({ job, object: job.files.find((file) => basename(file.key) === name) })),
    );
    await forEachConcurrent(
      writes,
      options.concurrency ?? DEFAULT_COPY_CONCURRENCY,
      async ({ job, object }) => {
        if (failures.has(job)) return;
        try {
          if (object === undefined) throw new Error("a planned file is missing from the source listing");
          const name = basename(object.key);
          const flatKey = flatEntryKey({
            compilerVersion: job.compilerVersion,
            module: job.module,
            file: name,
          });
          result.bytes += await transfer(object, expected.get(job)?.get(name), flatKey);
        } catch (error) {
          if (signal?.aborted) throw error;
          fail(job, error);
        }
      },
      signal,
    );
  }
  for (const job of plan.copies) {
    const what = describe(job);
    const error = failures.get(job);
    if (error !== undefined) {
      result.failed.push({ what, error });
      options.onProgress?.({ type: "entry-failed", module: job.module, error });
      continue;
    }
    result.copied.push({
      what,
      files: job.write.length,
      bytes: job.bytes,
      verifiedBy: options.sameStore ? "store" : job.hasManifest ? "manifest" : "size",
    });
    options.onProgress?.({ type: "entry-done", module: job.module, bytes: job.bytes });
  }

  // Records last, and only for areas whose every planned entry arrived.
  const failedAreas = new Set(
    [...failures.keys()]
      .filter((job) => job.area === "model")
      .map((job) => `${job.compilerVersion}/${job.modelId}/${job.task}/`),
  );
  await forEachConcurrent(
    plan.records.filter(
      (record) => ![...failedAreas].some((area) => record.key.startsWith(`neuronxcc-${area}`)),
    ),
    options.concurrency ?? DEFAULT_COPY_CONCURRENCY,
    async (record) => {
      try {
        result.bytes += await transfer(record, undefined);
        result.records.push(record.key);
      } catch (error) {
        if (signal?.aborted) throw error;
        result.failed.push({
          what: record.key,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    },
    signal,
  );
  result.records.sort();
  result.copied.sort((a, b) => (a.what < b.what ? -1 : a.what > b.what ? 1 : 0));
  result.seconds = (performance.now() - started) / 1000;
  if (result.failed.length > 0) {
    throw new PartialFailureError(`${result.failed.length} entries or records could not be copied.`, result, {
      hint: "Run the copy again: what arrived is kept, the rest is copied anew.",
    });
  }
  return result;
}

// --- internal ---

async function listFiles(
  store: Store,
  prefix: string,
  signal: AbortSignal | undefined,
): Promise<StoreObject[]> {
  const objects: StoreObject[] = [];
  for await (const item of store.list(prefix, { recursive: true, signal })) {
    if (item.type === "file") objects.push(item);
  }
  return objects;
}

/** The source manifest's hashes, after checking it describes exactly the listed files. */
async function readExpectedHashes(
  store: Store,
  job: PlannedCopy,
  signal: AbortSignal | undefined,
): Promise<Map<string, string>> {
  const manifestObject = job.files.find((file) => basename(file.key) === ENTRY_MANIFEST_FILE);
  const text = manifestObject
    ? await readStoreText(store, manifestObject.key, { signal, maxBytes: MAX_MANIFEST_BYTES })
    : null;
  const parsed = text === null ? null : parseManifest(text);
  if (parsed === null || !parsed.ok || parsed.manifest.module !== job.module) {
    throw new Error(
      `its manifest is unreadable or belongs elsewhere (${parsed && !parsed.ok ? parsed.reason : "missing"})`,
    );
  }
  const hashes = new Map<string, string>();
  for (const file of parsed.manifest.files) {
    const listed = job.files.find((object) => basename(object.key) === file.name);
    if (!listed) throw new Error(`${file.name} is in its manifest but not in the source`);
    if (listed.size !== file.size)
      throw new Error(`${file.name} is listed with ${listed.size} bytes, its manifest says ${file.size}`);
    hashes.set(file.name, file.sha256);
  }
  return hashes;
}

/** Streams a source object, failing the stream (so the write) unless size and sha256 match. */
function verifiedSource(
  store: Store,
  object: ListedObject,
  sha256: string | undefined,
  signal: AbortSignal | undefined,
): WriteSource {
  return {
    size: object.size,
    // Known from the source manifest: an S3 destination signs it, so bytes damaged on the way
    // are refused by the server instead of being checked after the upload.
    ...(sha256 !== undefined ? { sha256 } : {}),
    open: () => {
      const out = new PassThrough();
      const hash = createHash("sha256");
      let size = 0;
      const check = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          hash.update(chunk);
          done(null, chunk);
        },
        flush(done) {
          if (size !== object.size)
            done(new Error(`${object.key}: read ${size} bytes, listed ${object.size}`));
          else if (sha256 !== undefined && hash.digest("hex") !== sha256)
            done(new Error(`${object.key}: sha256 does not match the entry manifest`));
          else done();
        },
      });
      store.read(object.key, { signal }).then(
        (body) => {
          if (body === null) out.destroy(new Error(`${object.key} vanished from the source`));
          else pipeline(body, check, out).catch((error: unknown) => out.destroy(error as Error));
        },
        (error: unknown) => out.destroy(error as Error),
      );
      return out;
    },
  };
}

function describe(job: PlannedCopy): string {
  return `neuronxcc-${job.compilerVersion}/${job.area === "model" ? `${job.modelId}/${job.task}/` : ""}${job.module}`;
}

function basename(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

function join(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}/${key}`;
}
