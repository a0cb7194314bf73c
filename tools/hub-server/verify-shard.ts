import type { FileRecord, XorbRecord } from "./create-storage.ts";
import type { ParsedShard } from "../../src/store/hf/xet/shard-reader.ts";
import { MIN_CHUNK_BYTES } from "./parse-xorb.ts";
import { ZERO_HASH_HEX, hashToHex, hexToHash } from "./xet-hash.ts";
import type { HashedRange, XetHasher } from "./xet-hash.ts";

/** Raised when a shard does not match the xorbs the CAS holds. */
export class ShardVerificationError extends Error {
  override name = "ShardVerificationError";
}

/**
 * Checks an uploaded shard against stored xorbs: every xorb it lists or references is stored and has the
 * listed chunks, every term's length and verification hash match, and every file hash is the hash of its
 * chunks. Returns the file reconstructions to store.
 */
export function verifyShard(
  shard: ParsedShard,
  getXorb: (hash: string) => XorbRecord | undefined,
  hasher: XetHasher,
): FileRecord[] {
  for (const listed of shard.xorbs) {
    const stored = getXorb(listed.hash);
    if (stored === undefined)
      throw new ShardVerificationError(`xorb ${listed.hash} was not uploaded before the shard`);
    if (stored.chunks.length !== listed.chunks.length) {
      throw new ShardVerificationError(
        `xorb ${listed.hash} has ${stored.chunks.length} chunks, shard lists ${listed.chunks.length}`,
      );
    }
    let unpackedStart = 0;
    listed.chunks.forEach((chunk, index) => {
      const real = stored.chunks[index];
      if (real === undefined || real.hash !== chunk.hash || real.rawLength !== chunk.unpackedLength) {
        throw new ShardVerificationError(
          `chunk ${index} of xorb ${listed.hash} does not match the stored xorb`,
        );
      }
      if (chunk.unpackedStart !== unpackedStart) {
        throw new ShardVerificationError(
          `chunk ${index} of xorb ${listed.hash} has a wrong uncompressed offset`,
        );
      }
      unpackedStart += chunk.unpackedLength;
    });
  }

  return shard.files.map((file): FileRecord => {
    const leaves: HashedRange[] = [];
    let size = 0;
    file.terms.forEach((term, termIndex) => {
      const xorb = getXorb(term.xorb);
      if (xorb === undefined)
        throw new ShardVerificationError(`file ${file.hash} references unknown xorb ${term.xorb}`);
      if (term.chunkStart >= term.chunkEnd || term.chunkEnd > xorb.chunks.length) {
        throw new ShardVerificationError(`file ${file.hash} term ${termIndex} has an invalid chunk range`);
      }
      const raw: Uint8Array[] = [];
      let length = 0;
      for (let i = term.chunkStart; i < term.chunkEnd; i++) {
        const chunk = xorb.chunks[i] as XorbRecord["chunks"][number];
        const hash = hexToHash(chunk.hash);
        raw.push(hash);
        leaves.push({ hash, size: chunk.rawLength });
        length += chunk.rawLength;
      }
      if (length !== term.unpackedLength) {
        throw new ShardVerificationError(
          `file ${file.hash} term ${termIndex} says ${term.unpackedLength} bytes, chunks hold ${length}`,
        );
      }
      const expected = file.verification?.[termIndex];
      if (expected !== undefined && hashToHex(hasher.verificationHash(raw)) !== expected) {
        throw new ShardVerificationError(`file ${file.hash} term ${termIndex} has a wrong verification hash`);
      }
      size += length;
    });
    const computed = file.terms.length === 0 ? ZERO_HASH_HEX : hashToHex(hasher.fileHash(leaves));
    if (computed !== file.hash) {
      throw new ShardVerificationError(
        `file hash ${file.hash} does not match its chunks (computed ${computed})`,
      );
    }
    return {
      hash: file.hash,
      size,
      terms: file.terms.map((t) => ({ ...t })),
    };
  });
}

/**
 * Counts the chunks of a verified file that are below the chunker's 8 KiB minimum without being its last
 * chunk: a conformant chunker never cuts one (only a file's tail may be short), so any count above zero
 * shows a chunker that diverges from xet-core and loses dedup against files it chunked.
 */
export function countUndersizedChunks(
  file: FileRecord,
  getXorb: (hash: string) => XorbRecord | undefined,
): number {
  const lengths: number[] = [];
  for (const term of file.terms) {
    const xorb = getXorb(term.xorb);
    if (xorb === undefined) continue;
    for (let i = term.chunkStart; i < term.chunkEnd; i++) {
      const chunk = xorb.chunks[i];
      if (chunk !== undefined) lengths.push(chunk.rawLength);
    }
  }
  return lengths.slice(0, -1).filter((length) => length < MIN_CHUNK_BYTES).length;
}
