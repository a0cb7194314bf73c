/**
 * Chunks and hashes a byte stream as Xet does, handing each chunk's bytes and then its hash to a
 * visitor. Streaming: only the rolling hash and the BLAKE3 state of the chunk in progress are kept,
 * never the bytes, so any file size runs in the same memory.
 */
import { createXetChunker } from "./xet-chunker.ts";
import type { HashedRange, XetHasher } from "./xet-hash.ts";

/** Receives a stream's chunks in order: a chunk's bytes (in one or more slices), then its hash. */
export interface ChunkVisitor {
  /** The next bytes of the chunk in progress; the slice is only valid during the call. */
  bytes?(slice: Uint8Array): void;
  /** The chunk whose bytes came since the previous `chunk` call is complete. */
  chunk(range: HashedRange): void;
}

/** One file's chunk stream. */
export interface XetChunkStream {
  /** Feeds the next bytes. */
  push(data: Uint8Array, visitor: ChunkVisitor): void;
  /** Ends the input: emits the final chunk, if any bytes are pending. */
  end(visitor: ChunkVisitor): void;
}

/**
 * Creates the stream of one file. It uses `hasher`'s incremental chunk hash from its first byte
 * to its end, so a hasher serves one stream at a time.
 */
export function createXetChunkStream(hasher: XetHasher): XetChunkStream {
  const chunker = createXetChunker();
  let pending = 0;

  const emit = (slice: Uint8Array, visitor: ChunkVisitor): void => {
    if (slice.length === 0) return;
    if (pending === 0) hasher.beginChunk();
    hasher.updateChunk(slice);
    pending += slice.length;
    visitor.bytes?.(slice);
  };
  const close = (visitor: ChunkVisitor): void => {
    const size = pending;
    pending = 0;
    visitor.chunk({ hash: hasher.endChunk(), size });
  };

  return {
    push(data, visitor) {
      let from = 0;
      for (const cut of chunker.push(data)) {
        emit(data.subarray(from, cut), visitor);
        close(visitor);
        from = cut;
      }
      emit(data.subarray(from), visitor);
    },
    end(visitor) {
      if (pending > 0) close(visitor);
    },
  };
}
