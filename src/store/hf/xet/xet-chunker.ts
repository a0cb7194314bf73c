/**
 * Xet content-defined chunking (xet-core `spec/chunking.md`): a gear rolling hash over the bytes,
 * a cut where its top 16 bits are zero, never before 8 KiB, always at 128 KiB. Pure and streaming:
 * the chunker sees pieces of any size and keeps only the rolling hash and the current chunk length,
 * so chunk boundaries do not depend on how the input is split.
 */
import { SCAN_DATA_OFFSET, SCAN_WINDOW_BYTES, createGearScanner } from "./gear-scanner.ts";

/** No cut is taken before a chunk has this many bytes. */
export const MIN_CHUNK_BYTES = 8 * 1024;
/** A cut is forced when a chunk reaches this many bytes. */
export const MAX_CHUNK_BYTES = 128 * 1024;

// The gear hash at a byte depends only on the 64 bytes before it (each step shifts one bit out of
// 64), so the first `MIN - 64 - 1` bytes of a chunk need not be hashed at all: the hash at the first
// byte that may cut is the same either way (the spec's "cut-point skipping").
const SKIP_BYTES = MIN_CHUNK_BYTES - 64 - 1;

/** A streaming chunker. */
export interface XetChunker {
  /**
   * Feeds the next bytes and returns, in ascending order, the offsets in `data` just past the last
   * byte of every chunk that ends inside it. Bytes after the last offset belong to the chunk in
   * progress, which later pieces continue.
   */
  push(data: Uint8Array): number[];
  /** Bytes of the chunk in progress (the final chunk once the input ends; 0 when there is none). */
  pending(): number;
}

/** Creates a chunker at the start of a file. */
export function createXetChunker(): XetChunker {
  const scanner = createGearScanner();
  const memory = scanner.bytes;
  let size = 0;

  const push = (data: Uint8Array): number[] => {
    const cuts: number[] = [];
    const length = data.length;
    let i = 0;
    while (i < length) {
      if (size < SKIP_BYTES) {
        const step = Math.min(SKIP_BYTES - size, length - i);
        i += step;
        size += step;
        continue;
      }
      // From here on every byte is hashed; only those that bring the chunk to the minimum or
      // beyond may cut, and the one that brings it to the maximum always does.
      const end = Math.min(length, i + (MAX_CHUNK_BYTES - size), i + SCAN_WINDOW_BYTES);
      memory.set(data.subarray(i, end), SCAN_DATA_OFFSET);
      const untested = Math.min(end - i, Math.max(0, MIN_CHUNK_BYTES - 1 - size));
      const testFrom = SCAN_DATA_OFFSET + untested;
      const stop = SCAN_DATA_OFFSET + (end - i);
      scanner.roll(SCAN_DATA_OFFSET, testFrom);
      const found = testFrom < stop ? scanner.find(testFrom, stop) : 0;
      const consumed = (found === 0 ? stop : found) - SCAN_DATA_OFFSET;
      i += consumed;
      size += consumed;
      if (found !== 0 || size >= MAX_CHUNK_BYTES) {
        cuts.push(i);
        size = 0;
        scanner.reset();
      }
    }
    return cuts;
  };

  return { push, pending: () => size };
}
