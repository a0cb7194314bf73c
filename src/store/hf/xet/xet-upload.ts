/**
 * Uploads bytes to the Xet storage of a bucket and returns each file's Xet hash WITHOUT
 * registering any path: the store registers paths itself, in batches, with per-entry outcomes.
 * Sources are read once, as streams; chunks are hashed as they pass and packed into xorbs that
 * are sent while the next ones fill, so memory is bounded by the xorbs in flight, whatever the
 * file sizes.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { addAbortSignal } from "node:stream";
import { StoreError } from "../../../errors.ts";
import type { RetryPolicy } from "../../retry.ts";
import type { WriteSource } from "../../store.ts";
import type { HfHttp } from "../hf-http.ts";
import { createXetCasClient } from "./xet-cas-client.ts";
import { ShardFormatError, parseShard } from "./shard-reader.ts";
import { createKeyedChunkHash, createXetHasher } from "./xet-hash.ts";
import { createXetUploadSession } from "./xet-upload-session.ts";
import type { DedupAnswer } from "./xet-upload-session.ts";

export interface XetUploadItem {
  /** Full bucket path; names the file in messages and progress. */
  path: string;
  source: WriteSource;
}

export interface UploadXetOptions {
  /** The store's Hub client (for the Xet write token). */
  http: HfHttp;
  /** `/api/buckets/{ns}/{name}`. */
  apiPath: string;
  /** `namespace/name`, for messages. */
  bucket: string;
  fetch: typeof fetch;
  timeoutMs: number;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Bytes of one item read and chunked since its previous event. */
  onProgress?: (path: string, bytes: number) => void;
  /** Chunk data per xorb. @default XORB_DATA_BYTES */
  xorbDataBytes?: number;
  /** Xorb uploads at once. @default XORB_UPLOADS */
  xorbUploads?: number;
  /** Ask the CAS which chunks it holds already, and send none of those. @default true */
  globalDedup?: boolean;
}

/**
 * Chunk data per xorb: 8 MiB, an eighth of the 64 MiB limit. A xorb stays in memory from its
 * first byte until it is stored, and up to four exist at once (two in flight, one waiting, one
 * filling): 32 MiB. Measured on a 256 MiB streamed upload to the local Hub in another process,
 * resident memory grew by 71 MB with 8 MiB xorbs and by 117 MB with 16 MiB ones; the library
 * upload this replaced, with whole 64 MiB xorbs, grew by 250-400 MiB.
 */
export const XORB_DATA_BYTES = 8 * 1024 * 1024;
/** Xorb uploads in flight while the next xorb fills. */
export const XORB_UPLOADS = 2;
/** A shard is sent between files once it grows past this (the CAS takes up to 64 MiB). */
const SHARD_FLUSH_BYTES = 8 * 1024 * 1024;
/** Pieces larger than this are fed in parts, so a xorb never waits long to be sent. */
const PIECE_BYTES = 1024 * 1024;
/**
 * Chunk bytes held back for unanswered dedup queries before reading waits for the answers: a query
 * is one round trip, so this much reading overlaps it, at the cost of this much memory.
 */
const MAX_HELD_BYTES = 8 * 1024 * 1024;

/**
 * Uploads the items' bytes and resolves with `path → xetHash`. Identical chunks inside one call
 * are stored once; the caller passes each distinct content once.
 */
export async function uploadXetContents(
  items: readonly XetUploadItem[],
  options: UploadXetOptions,
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  if (items.length === 0) return hashes;
  const { signal } = options;
  signal?.throwIfAborted();
  const hubToken = await options.http.token();
  if (hubToken !== undefined && !hubToken.startsWith("hf_")) {
    // The Hub issues no other kind; a pasted key of another service would only meet a bare 401.
    throw new StoreError(
      `cannot upload to hf://buckets/${options.bucket}: the token is not a Hugging Face access token (they start with "hf_"); set HF_TOKEN or run \`hf auth login\``,
      { store: "hf", retryable: false, code: "E_STORE_AUTH" },
    );
  }
  const session = createXetUploadSession({
    hasher: await createXetHasher(),
    xorbDataBytes: options.xorbDataBytes ?? XORB_DATA_BYTES,
    globalDedup: options.globalDedup ?? true,
  });
  const cas = createXetCasClient(options);
  const maxUploads = options.xorbUploads ?? XORB_UPLOADS;

  // A failed xorb stops the others at once; the first failure is the one reported.
  const stop = new AbortController();
  const uploadSignal = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const check = (): void => {
    if (failure !== undefined) throw failure.error;
    signal?.throwIfAborted();
  };
  const sendReady = async (): Promise<void> => {
    for (const xorb of session.takeReadyXorbs()) {
      while (inFlight.size >= maxUploads) await Promise.race(inFlight);
      check();
      const upload: Promise<void> = cas
        .uploadXorb(xorb.hash, xorb.bytes, uploadSignal)
        .then(() => session.recycle(xorb))
        .catch((error: unknown) => {
          failure ??= { error };
          stop.abort(error);
        })
        .finally(() => inFlight.delete(upload));
      inFlight.add(upload);
    }
  };
  const queries = new Set<Promise<void>>();
  const keyedHashes: KeyedHashes = new Map();
  const sendQueries = (): void => {
    for (const hash of session.takeQueries()) {
      const query: Promise<void> = cas
        .queryChunk(hash, uploadSignal)
        .then((bytes) => readDedupAnswer(bytes, keyedHashes))
        .then((found) => session.answer(hash, found))
        .catch((error: unknown) => {
          failure ??= { error };
          stop.abort(error);
        })
        .finally(() => queries.delete(query));
      queries.add(query);
    }
  };
  const awaitQueries = async (): Promise<void> => {
    while (queries.size > 0) await Promise.all(queries);
    check();
  };
  const flushShard = async (): Promise<void> => {
    await awaitQueries();
    session.closeXorb();
    await sendReady();
    await Promise.all(inFlight);
    check();
    const shard = session.takeShard();
    if (shard !== null) await cas.uploadShard(shard, signal);
  };

  try {
    for (const item of items) {
      session.beginFile();
      const sha256 = item.source.sha256 === undefined ? createHash("sha256") : undefined;
      let read = 0;
      for await (const piece of readSource(item.source, signal)) {
        for (let at = 0; at < piece.length; at += PIECE_BYTES) {
          const part = piece.subarray(at, at + PIECE_BYTES);
          session.push(part);
          sha256?.update(part);
          read += part.length;
          options.onProgress?.(item.path, part.length);
          sendQueries();
          if (session.heldBytes() > MAX_HELD_BYTES) await awaitQueries();
          await sendReady();
        }
      }
      if (read !== item.source.size) {
        throw new StoreError(
          `cannot upload ${item.path} to hf://buckets/${options.bucket}: expected ${item.source.size} bytes, read ${read} (did the file change while being uploaded?)`,
          { store: "hf", retryable: true },
        );
      }
      const digest = sha256?.digest() ?? Buffer.from(item.source.sha256 as string, "hex");
      hashes.set(item.path, session.endFile(digest));
      sendQueries();
      await sendReady();
      if (session.pendingShardBytes() > SHARD_FLUSH_BYTES) await flushShard();
    }
    await flushShard();
  } catch (error) {
    stop.abort(error);
    await Promise.allSettled([...inFlight, ...queries]);
    throw failure?.error ?? error;
  }
  return hashes;
}

// --- internal ---

/** Keyed chunk hashes by key (hex) within one upload, so answers under one key share one. */
type KeyedHashes = Map<string, Promise<(rawChunkHash: Uint8Array) => Uint8Array>>;

/** A dedup query's shard as the session takes it; a shard that cannot be read counts as no match. */
async function readDedupAnswer(
  bytes: Uint8Array | null,
  keyedHashes: KeyedHashes,
): Promise<DedupAnswer | null> {
  if (bytes === null) return null;
  try {
    const shard = parseShard(bytes);
    const key = shard.chunkHashKey;
    let keyedHash: Awaited<ReturnType<typeof createKeyedChunkHash>> | null = null;
    if (key !== null) {
      const id = Buffer.from(key).toString("hex");
      const known = keyedHashes.get(id) ?? createKeyedChunkHash(key);
      keyedHashes.set(id, known);
      keyedHash = await known;
    }
    return { xorbs: shard.xorbs, keyedHash };
  } catch (error) {
    if (error instanceof ShardFormatError) return null;
    throw error;
  }
}

/**
 * Reads of a local file. A stream's default 64 KiB cost a third more CPU in chunking and hashing
 * (256 MiB: 500-660 ms against 360-380 ms with 1 MiB reads, 3 runs each); 4 MiB saved no more.
 */
const FILE_READ_BYTES = 1024 * 1024;

/**
 * The source's bytes: from memory when it holds them, from its file in large reads when it is
 * one, else its stream (stopped by `signal`).
 */
function readSource(
  source: WriteSource,
  signal: AbortSignal | undefined,
): Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
  if (source.bytes !== undefined) return [source.bytes];
  const stream =
    source.filePath === undefined
      ? source.open()
      : createReadStream(source.filePath, { highWaterMark: FILE_READ_BYTES });
  // A source that stalls after an abort would otherwise keep the upload waiting forever.
  if (signal !== undefined) addAbortSignal(signal, stream);
  return stream;
}
