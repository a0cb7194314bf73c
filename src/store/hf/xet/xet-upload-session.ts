/**
 * What an upload sends, decided as the bytes go by (xet-core `spec/upload_protocol.md`): chunks,
 * deduplicated within the session and, with global dedup, against the xorbs the CAS already holds,
 * packed into xorbs, and the shard that maps every file onto xorb chunk ranges. Pure and
 * synchronous: the caller reads sources, sends the xorbs and dedup queries it is handed, hands
 * back the queries' answers, and posts the shard once every xorb is stored.
 */
import { MAX_CHUNK_BYTES } from "./xet-chunker.ts";
import { createXetChunkStream } from "./xet-chunk-stream.ts";
import type { ChunkVisitor, XetChunkStream } from "./xet-chunk-stream.ts";
import { hashToHex, hexToHash } from "./xet-hash.ts";
import type { HashedRange, XetHasher } from "./xet-hash.ts";
import { serializeShard, shardBytes } from "./shard-format.ts";
import type { ShardFile, ShardTerm, ShardXorb } from "./shard-format.ts";
import type { ReadShardXorb } from "./shard-reader.ts";

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
  /**
   * Asks the CAS which chunks it holds already (see {@link XetUploadSession.takeQueries}). Off, only
   * chunks seen earlier in the session are deduplicated. @default false
   */
  globalDedup?: boolean;
}

/** The CAS's answer to a global-dedup query: stored xorbs, chunk by chunk (a shard's CAS section). */
export interface DedupAnswer {
  xorbs: readonly ReadShardXorb[];
  /**
   * The keyed hash the answer's chunk hashes were made with (the footer's HMAC key), or null when
   * they are raw chunk hashes. Answers under one key should carry the same function: the session
   * then keeps their chunks together.
   */
  keyedHash: ((rawChunkHash: Uint8Array) => Uint8Array) | null;
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
  /** Ends the current file's bytes: its last chunk is cut, and may add a query. */
  endInput(): void;
  /**
   * Ends the current file (its input first, if {@link endInput} was not called) and returns its Xet
   * hash; the file goes into the next shard. Its chunks may still be held: the next file's chunks
   * queue behind them, so one file's query overlaps the next file's reading.
   */
  endFile(sha256: Uint8Array): string;
  /**
   * Chunk hashes (Xet hex) to ask the CAS about since the previous call: the first chunk of each
   * file and every chunk whose hash is 0 mod 1024, as xet-core picks them, unless the session knows
   * the chunk already. Chunks from a queried one on are held back until its answer comes.
   */
  takeQueries(): string[];
  /** The answer to a query: null when the CAS holds no xorb with the chunk. Releases held chunks. */
  answer(chunkHash: string, found: DedupAnswer | null): void;
  /** Bytes of the chunks held back for unanswered queries; the caller bounds it by waiting. */
  heldBytes(): number;
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
   * between files, once every query is answered, after {@link closeXorb} and once every xorb
   * handed out is stored.
   */
  takeShard(): Uint8Array | null;
}

/** Creates a session. */
export function createXetUploadSession(options: XetUploadSessionOptions): XetUploadSession {
  const { hasher } = options;
  const globalDedup = options.globalDedup ?? false;
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

  // Global dedup: chunks held back (bytes in `hold`, no headers), queries out and the xorbs answers named.
  let held: HeldChunk[] = [];
  let hold = new Uint8Array(0);
  let holdWritten = 0;
  let chunkHeld = false;
  let queries: string[] = [];
  const asked = new Set<string>();
  const unanswered = new Set<string>();
  const stored = new Map<string, StoredChunk>();
  const keyedStored: Array<{ keyedHash: (raw: Uint8Array) => Uint8Array; chunks: Map<string, StoredChunk> }> =
    [];

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

  /** Where the session or the CAS holds this chunk already, if anywhere. */
  const findChunk = (range: HashedRange, key: string): ChunkRef | undefined => {
    const seen = known.get(key);
    if (seen !== undefined) return seen;
    let found = stored.get(key);
    for (let i = 0; found === undefined && i < keyedStored.length; i++) {
      const keyed = keyedStored[i] as (typeof keyedStored)[number];
      found = keyed.chunks.get(hashToHex(keyed.keyedHash(range.hash)));
    }
    // A length that disagrees would make a term the CAS refuses: send the chunk instead.
    return found !== undefined && found.size === range.size ? found.ref : undefined;
  };

  /** Adds a chunk whose bytes end the xorb buffer, after room for its header at `at`. */
  const addWritten = (range: HashedRange, key: string, at: number, refs: ChunkRef[]): void => {
    writeChunkHeader(buffer as Uint8Array, at, range.size);
    const ref = { slot, index: slot.chunks.length };
    slot.chunks.push(range);
    dataBytes += range.size;
    known.set(key, ref);
    refs.push(ref);
    if (dataBytes > closeAt || slot.chunks.length >= MAX_XORB_CHUNKS) closeXorb();
  };

  /** Moves held chunks into the file, in order, up to the first whose query is unanswered. */
  const release = (): void => {
    let count = 0;
    for (const chunk of held) {
      if (chunk.query !== null && unanswered.has(chunk.query)) break;
      count += 1;
      const key = hashToHex(chunk.range.hash);
      const ref = findChunk(chunk.range, key);
      if (ref !== undefined) {
        chunk.refs.push(ref);
        continue;
      }
      // Not `chunkStart`: an answer can come while the next chunk arrives in the hold.
      buffer ??= spare.pop() ?? new Uint8Array(capacity);
      const at = written;
      buffer.set(hold.subarray(chunk.at, chunk.at + chunk.range.size), at + CHUNK_HEADER_BYTES);
      written += CHUNK_HEADER_BYTES + chunk.range.size;
      addWritten(chunk.range, key, at, chunk.refs);
    }
    if (count > 0) held = held.slice(count);
  };

  /** Reclaims the hold buffer's released front; only between chunks (none may be arriving there). */
  const compactHold = (): void => {
    const first = held[0];
    if (first === undefined) {
      holdWritten = 0;
      return;
    }
    if (first.at === 0) return;
    hold.copyWithin(0, first.at, holdWritten);
    holdWritten -= first.at;
    const shift = first.at;
    for (const chunk of held) chunk.at -= shift;
  };

  const reserveHold = (bytes: number): void => {
    if (holdWritten + bytes <= hold.length) return;
    const grown = new Uint8Array(Math.max(2 * hold.length, holdWritten + bytes, HOLD_INITIAL_BYTES));
    grown.set(hold.subarray(0, holdWritten));
    hold = grown;
  };

  /** Holds back a chunk whose bytes are in `hold` at `at`, querying it if it is eligible and new. */
  const holdChunk = (range: HashedRange, at: number, eligible: boolean): void => {
    const key = hashToHex(range.hash);
    let query: string | null = null;
    if (eligible && !asked.has(key) && findChunk(range, key) === undefined) {
      asked.add(key);
      unanswered.add(key);
      queries.push(key);
      query = key;
    }
    held.push({ range, at, query, refs: fileRefs });
    release();
    compactHold();
  };

  const visitor: ChunkVisitor = {
    bytes(piece) {
      if (chunkStart < 0) {
        // A file's first chunk is queried, and nothing may overtake a held chunk.
        chunkHeld = globalDedup && (held.length > 0 || fileChunks.length === 0);
        if (chunkHeld) {
          reserveHold(MAX_CHUNK_BYTES);
          chunkStart = holdWritten;
        } else {
          buffer ??= spare.pop() ?? new Uint8Array(capacity);
          chunkStart = written;
          written += CHUNK_HEADER_BYTES;
        }
      }
      if (chunkHeld) {
        hold.set(piece, holdWritten);
        holdWritten += piece.length;
      } else {
        (buffer as Uint8Array).set(piece, written);
        written += piece.length;
      }
    },
    chunk(range) {
      fileChunks.push(range);
      if (chunkHeld) {
        const at = chunkStart;
        chunkStart = -1;
        holdChunk(range, at, fileChunks.length === 1 || isDedupEligible(range.hash));
        return;
      }
      const key = hashToHex(range.hash);
      const seen = findChunk(range, key);
      if (seen !== undefined) {
        // Stored already: refer to it, drop the copy.
        written = chunkStart;
        chunkStart = -1;
        fileRefs.push(seen);
        return;
      }
      if (globalDedup && isDedupEligible(range.hash)) {
        // Known eligible only now, with its bytes in the xorb: move them to the hold (1 chunk in 1,024).
        reserveHold(range.size);
        const at = holdWritten;
        hold.set((buffer as Uint8Array).subarray(written - range.size, written), at);
        holdWritten += range.size;
        written = chunkStart;
        chunkStart = -1;
        holdChunk(range, at, true);
        return;
      }
      const at = chunkStart;
      chunkStart = -1;
      addWritten(range, key, at, fileRefs);
    },
  };

  const endInput = (): void => {
    if (stream === null) throw new Error("endInput: no file begun");
    stream.end(visitor);
    inputEnded = true;
  };
  let inputEnded = false;

  return {
    beginFile() {
      if (stream !== null) throw new Error("beginFile: the previous file has not ended");
      stream = createXetChunkStream(hasher);
      fileChunks = [];
      fileRefs = [];
      inputEnded = false;
    },
    push(piece) {
      if (stream === null) throw new Error("push: no file begun");
      stream.push(piece, visitor);
    },
    endInput,
    endFile(sha256) {
      if (stream === null) throw new Error("endFile: no file begun");
      if (!inputEnded) endInput();
      // The hash needs only the chunk hashes: held chunks join the file's terms when released.
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
    takeQueries() {
      const out = queries;
      queries = [];
      return out;
    },
    answer(chunkHash, found) {
      if (!unanswered.delete(chunkHash)) return;
      if (found !== null) {
        let chunks = stored;
        if (found.keyedHash !== null) {
          // Answers under one key share one map: each map costs every later chunk a keyed hash.
          const sameKey = keyedStored.find((keyed) => keyed.keyedHash === found.keyedHash);
          chunks = sameKey?.chunks ?? new Map();
          if (sameKey === undefined) keyedStored.push({ keyedHash: found.keyedHash, chunks });
        }
        for (const xorb of found.xorbs) {
          const remote: XorbSlot = { hash: hexToHash(xorb.hash), chunks: [] };
          xorb.chunks.forEach((chunk, index) => {
            if (!chunks.has(chunk.hash)) {
              chunks.set(chunk.hash, { ref: { slot: remote, index }, size: chunk.unpackedLength });
            }
          });
        }
      }
      release();
    },
    heldBytes() {
      const first = held[0];
      return first === undefined ? 0 : holdWritten - first.at;
    },
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
      // Terms are not grouped yet: one per chunk is an upper bound (held chunks counted once more).
      return shardBytes(
        shardFiles.map((file) => file.refs.length + held.length),
        shardXorbs.map((xorb) => xorb.chunks.length),
      );
    },
    takeShard() {
      if (stream !== null) throw new Error("takeShard: a file is still being read");
      if (held.length > 0) throw new Error("takeShard: a dedup query is unanswered");
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
/** First size of the hold buffer; it grows as the caller lets held bytes grow. */
const HOLD_INITIAL_BYTES = 1024 * 1024;

/**
 * xet-core's global-dedup rule: a chunk is queried when its hash is 0 mod 1,024 (about one per
 * 64 MiB of data). The hash read as a number is its last 8 bytes as a little-endian u64, so only
 * the low 10 bits of bytes 24..25 decide it.
 */
function isDedupEligible(hash: Uint8Array): boolean {
  return (((hash[24] as number) | ((hash[25] as number) << 8)) & 1023) === 0;
}

/** A chunk held back until the queries before it are answered; its bytes are in the hold buffer. */
interface HeldChunk {
  range: HashedRange;
  /** Offset of its bytes in the hold buffer. */
  at: number;
  /** The query that must be answered before it moves on, if it was queried. */
  query: string | null;
  /** The references of its file, which it joins when released. */
  refs: ChunkRef[];
}

/** A chunk the CAS holds, from a dedup answer. */
interface StoredChunk {
  ref: ChunkRef;
  size: number;
}

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
