import type { FileRecord, XorbRecord } from "./create-storage.ts";

/** One term of a reconstruction, trimmed to the chunks that overlap the requested range. */
export interface PlannedTerm {
  xorb: string;
  /** Chunk range `[chunkStart, chunkEnd)` inside the xorb. */
  chunkStart: number;
  chunkEnd: number;
  /** Uncompressed length of those chunks. */
  unpackedLength: number;
  /** Serialized byte range of those chunks in the xorb, `[byteStart, byteEnd)`. */
  byteStart: number;
  byteEnd: number;
}

/** How to rebuild bytes `[start, end)` of a file. */
export interface ReconstructionPlan {
  /** Bytes to drop from the decoded output of the first term. */
  offsetIntoFirstRange: number;
  terms: PlannedTerm[];
}

/**
 * Plans the reconstruction of bytes `[start, end)` (end exclusive, `start < end <= size`). Terms that do not
 * overlap are left out; the first and last are trimmed to whole chunks. The caller trims the tail.
 */
export function planReconstruction(
  file: FileRecord,
  getXorb: (hash: string) => XorbRecord | undefined,
  start: number,
  end: number,
): ReconstructionPlan {
  const terms: PlannedTerm[] = [];
  let offsetIntoFirstRange = 0;
  let position = 0;
  for (const term of file.terms) {
    const termStart = position;
    position += term.unpackedLength;
    if (position <= start) continue;
    if (termStart >= end) break;
    const xorb = getXorb(term.xorb);
    if (xorb === undefined) throw new Error(`xorb ${term.xorb} of file ${file.hash} is missing`);
    let chunkPosition = termStart;
    let first = -1;
    let last = -1;
    let unpackedLength = 0;
    for (let index = term.chunkStart; index < term.chunkEnd; index++) {
      const chunk = xorb.chunks[index];
      if (chunk === undefined) throw new Error(`chunk ${index} of xorb ${term.xorb} is missing`);
      const chunkEnd = chunkPosition + chunk.rawLength;
      if (chunkEnd > start && chunkPosition < end) {
        if (first < 0) {
          first = index;
          if (terms.length === 0) offsetIntoFirstRange = start - chunkPosition;
        }
        last = index;
        unpackedLength += chunk.rawLength;
      }
      chunkPosition = chunkEnd;
    }
    if (first < 0) continue;
    terms.push({
      xorb: term.xorb,
      chunkStart: first,
      chunkEnd: last + 1,
      unpackedLength,
      byteStart: (xorb.chunks[first] as { offset: number }).offset,
      byteEnd: (xorb.chunks[last] as { end: number }).end,
    });
  }
  return { offsetIntoFirstRange: Math.max(0, offsetIntoFirstRange), terms };
}
