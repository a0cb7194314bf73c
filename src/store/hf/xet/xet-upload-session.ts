/**
 * What an upload sends, decided as the bytes go by (xet-core `spec/upload_protocol.md`): chunks,
 * deduplicated within the session, packed into xorbs, and the shard that maps every file onto
 * xorb chunk ranges. Pure and synchronous: the caller reads sources, sends the xorbs it is handed,
 * and posts the shard once they are all stored.
 */
import { MAX_CHUNK_BYTES } from "./xet-chunker.ts";
import { createXetChunkStream } from "./xet-chunk-stream.ts";
import type { ChunkVisitor, XetChunkStream } from "./xet-chunk-stream.ts";
import { hashToHex } from "./xet-hash.ts";
import type { HashedRange, XetHasher } from "./xet-hash.ts";
import { serializeShard, shardBytes } from "./shard-format.ts";
import type { ShardFile, ShardTerm, ShardXorb } from "./shard-format.ts";

/** Bytes in front of every chunk of a serialized xorb. */
export const CHUNK_HEADER_BYTES = 8;
/** The CAS limit, on chunk data as hf_xet counts it (headers come on top). */
export const MAX_XORB_DATA_BYTES = 64 * 1024 * 1024;
/** Most chunks in one xorb, as xet-core caps them. */
export const MAX_XORB_CHUNKS = 8 * 1024;

/** Options of {@link createXetUploadSession}. */
export interface XetUploadSessionOptions {
  hasher: XetHasher;
  /**
   * Chunk data at which a xorb is closed; at most {@link MAX_XORB_DATA_BYTES}. Each xorb is held
   * in memory from its first byte until it is stored, so this times the uploads in flight bounds
   * the memory of an upload.
   */
  xorbDataBytes: number;
}

/** A closed xorb, ready to send. */
export interface ReadyXorb {
  /** Xet hex of the xorb hash (the upload URL's last segment). */
  hash: string;
  /** The serialized xorb: chunk headers and uncompressed chunk bytes. */
  bytes: Uint8Array;
}

/** The upload of many files, one at a time. */
export interface XetUploadSession {
  /** Starts the next file; the previous one must have ended. */
  beginFile(): void;
  /** Feeds the current file's next bytes; may close xorbs (see {@link takeReadyXorbs}). */
  push(piece: Uint8Array): void;
  /** Ends the current file and returns its Xet hash; the file goes into the next shard. */
  endFile(sha256: Uint8Array): string;
  /** Closes the xorb being filled, if it holds any chunk. */
  closeXorb(): void;
  /** Xorbs closed since the previous call, in order. */
  takeReadyXorbs(): ReadyXorb[];
  /** Hands back the bytes of a stored xorb, for the next xorb to fill (saves allocations and GC). */
  recycle(xorb: ReadyXorb): void;
  /** An upper bound of the size of the shard {@link takeShard} would return now. */
  pendingShardBytes(): number;
  /**
   * The shard of every file ended since the previous call, or null when there is none. Call it
   * between files, after {@link closeXorb} and once every xorb handed out is stored.
   */
  takeShard(): Uint8Array | null;
}

/** Creates a session. */
export function createXetUploadSession(options: XetUploadSessionOptions): XetUploadSession {
  const { hasher } = options;
  if (!(options.xorbDataBytes > MAX_CHUNK_BYTES && options.xorbDataBytes <= MAX_XORB_DATA_BYTES)) {
    throw new RangeError(
      `xorbDataBytes must be above 128 KiB and at most 64 MiB, not ${options.xorbDataBytes}`,
    );
  }
  // A chunk is written before its length is known, so a xorb closes while a whole largest chunk
  // still fits under the target.
  const closeAt = options.xorbDataBytes - MAX_CHUNK_BYTES;
  const capacity = options.xorbDataBytes + MAX_XORB_CHUNKS * CHUNK_HEADER_BYTES;

  const known = new Map<string, ChunkRef>();
  const spare: Uint8Array[] = [];
  let ready: ReadyXorb[] = [];
  let shardFiles: PendingFile[] = [];
  const shardFileHashes = new Set<string>();
  let shardXorbs: ShardXorb[] = [];

  // The xorb being filled.
  let slot: XorbSlot = { hash: null, chunks: [] };
  let buffer: Uint8Array | null = null;
  let written = 0;
  let dataBytes = 0;
  let chunkStart = -1;

  // The file being read.
  let stream: XetChunkStream | null = null;
  let fileChunks: HashedRange[] = [];
  let fileRefs: ChunkRef[] = [];

  const closeXorb = (): void => {
    if (slot.chunks.length === 0 || buffer === null) return;
    slot.hash = hasher.merkleRoot(slot.chunks);
    const hash = hashToHex(slot.hash);
    ready.push({ hash, bytes: buffer.subarray(0, written) });
    shardXorbs.push({ xorbHash: slot.hash, chunks: slot.chunks, serializedBytes: written });
    slot = { hash: null, chunks: [] };
    buffer = null;
    written = 0;
    dataBytes = 0;
  };

  const visitor: ChunkVisitor = {
    bytes(piece) {
      if (chunkStart < 0) {
        buffer ??= spare.pop() ?? new Uint8Array(capacity);
        chunkStart = written;
        written += CHUNK_HEADER_BYTES;
      }
      (buffer as Uint8Array).set(piece, written);
      written += piece.length;
    },
    chunk(range) {
      fileChunks.push(range);
      const key = hashToHex(range.hash);
      const seen = known.get(key);
      if (seen !== undefined) {
        // Already in a xorb of this session: refer to it, drop the copy.
        written = chunkStart;
        chunkStart = -1;
        fileRefs.push(seen);
        return;
      }
      writeChunkHeader(buffer as Uint8Array, chunkStart, range.size);
      chunkStart = -1;
      const ref = { slot, index: slot.chunks.length };
      slot.chunks.push(range);
      dataBytes += range.size;
      known.set(key, ref);
      fileRefs.push(ref);
      if (dataBytes > closeAt || slot.chunks.length >= MAX_XORB_CHUNKS) closeXorb();
    },
  };

  return {
    beginFile() {
      if (stream !== null) throw new Error("beginFile: the previous file has not ended");
      stream = createXetChunkStream(hasher);
      fileChunks = [];
      fileRefs = [];
    },
    push(piece) {
      if (stream === null) throw new Error("push: no file begun");
      stream.push(piece, visitor);
    },
    endFile(sha256) {
      if (stream === null) throw new Error("endFile: no file begun");
      stream.end(visitor);
      stream = null;
      const fileHash = hasher.fileHash(fileChunks);
      const hex = hashToHex(fileHash);
      if (!shardFileHashes.has(hex)) {
        shardFileHashes.add(hex);
        shardFiles.push({ fileHash, sha256, refs: fileRefs, chunks: fileChunks });
      }
      return hex;
    },
    closeXorb,
    takeReadyXorbs() {
      const out = ready;
      ready = [];
      return out;
    },
    recycle(xorb) {
      const whole = new Uint8Array(xorb.bytes.buffer, xorb.bytes.byteOffset, capacity);
      if (
        xorb.bytes.byteOffset === 0 &&
        xorb.bytes.buffer.byteLength === capacity &&
        spare.length < MAX_SPARE_BUFFERS
      ) {
        spare.push(whole);
      }
    },
    pendingShardBytes() {
      // Terms are not grouped yet: one per chunk is an upper bound.
      return shardBytes(
        shardFiles.map((file) => file.refs.length),
        shardXorbs.map((xorb) => xorb.chunks.length),
      );
    },
    takeShard() {
      if (stream !== null) throw new Error("takeShard: a file is still being read");
      if (shardFiles.length === 0 && shardXorbs.length === 0) return null;
      const files = shardFiles.map((file): ShardFile => ({
        fileHash: file.fileHash,
        sha256: file.sha256,
        terms: groupTerms(file.refs, file.chunks, hasher),
      }));
      const shard = serializeShard(files, shardXorbs);
      shardFiles = [];
      shardFileHashes.clear();
      shardXorbs = [];
      return shard;
    },
  };
}

// --- internal ---

/** Xorb buffers kept for reuse: enough for the uploads in flight and the one filling. */
const MAX_SPARE_BUFFERS = 4;

/** A xorb of the session; its hash is set when it closes. */
interface XorbSlot {
  hash: Uint8Array | null;
  chunks: HashedRange[];
}

/** Where a chunk lives: its xorb and its index there. */
interface ChunkRef {
  slot: XorbSlot;
  index: number;
}

function writeChunkHeader(buffer: Uint8Array, at: number, size: number): void {
  buffer[at] = 0; // version
  writeU24(buffer, at + 1, size); // stored length: uncompressed
  buffer[at + 4] = 0; // compression scheme: none
  writeU24(buffer, at + 5, size);
}

function writeU24(buffer: Uint8Array, at: number, value: number): void {
  buffer[at] = value & 0xff;
  buffer[at + 1] = (value >>> 8) & 0xff;
  buffer[at + 2] = (value >>> 16) & 0xff;
}

/** A file ended since the last shard. */
interface PendingFile {
  fileHash: Uint8Array;
  sha256: Uint8Array;
  refs: ChunkRef[];
  chunks: HashedRange[];
}

/** A file's terms: runs of chunks that sit one after another in one closed xorb. */
function groupTerms(
  refs: readonly ChunkRef[],
  chunks: readonly HashedRange[],
  hasher: XetHasher,
): ShardTerm[] {
  const runs: Array<{ slot: XorbSlot; start: number; end: number; first: number }> = [];
  refs.forEach((ref, position) => {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.slot === ref.slot && last.end === ref.index) last.end += 1;
    else runs.push({ slot: ref.slot, start: ref.index, end: ref.index + 1, first: position });
  });
  return runs.map((run) => {
    if (run.slot.hash === null) throw new Error("takeShard: a file refers to a xorb still open");
    const termChunks = chunks.slice(run.first, run.first + (run.end - run.start));
    return {
      xorbHash: run.slot.hash,
      chunkStart: run.start,
      chunkEnd: run.end,
      unpackedBytes: termChunks.reduce((sum, chunk) => sum + chunk.size, 0),
      verificationHash: hasher.verificationHash(termChunks.map((chunk) => chunk.hash)),
    };
  });
}
