/**
 * Reads a shard (xet-core `spec/shard.md`): the file info and CAS info sections, and the footer's
 * chunk-hash key. The one reader of the project: the CAS's answers to a global-dedup query are read
 * with it, and the local Hub reads uploaded shards with it. Pure.
 */
import {
  FILE_FLAG_WITH_METADATA_EXT,
  FILE_FLAG_WITH_VERIFICATION,
  MAX_SHARD_BYTES,
  SHARD_FOOTER_BYTES,
  SHARD_HEADER_BYTES,
  SHARD_HEADER_VERSION,
  SHARD_MAGIC_TAG,
  SHARD_RECORD_BYTES,
} from "./shard-format.ts";
import { HASH_BYTES, hashToHex as rawHashToHex } from "./xet-hash.ts";

/** A contiguous chunk range of one xorb that a file is made of. */
export interface ShardFileTerm {
  xorb: string;
  /** Uncompressed bytes of the chunks `[chunkStart, chunkEnd)`. */
  unpackedLength: number;
  chunkStart: number;
  chunkEnd: number;
}

/** One file of the file info section. */
export interface ReadShardFile {
  hash: string;
  terms: ShardFileTerm[];
  /** Per-term verification hashes (Xet hex), when the file carries them. */
  verification: string[] | null;
  /** SHA-256 from the metadata extension (plain hex), when present. */
  sha256: string | null;
}

/** One xorb of the CAS info section. */
export interface ReadShardXorb {
  hash: string;
  bytesInCas: number;
  bytesOnDisk: number;
  chunks: { hash: string; unpackedStart: number; unpackedLength: number }[];
}

/** The sections of a shard. */
export interface ParsedShard {
  files: ReadShardFile[];
  xorbs: ReadShardXorb[];
  /**
   * The footer's `chunk_hash_hmac_key`, or null when the shard has no footer or the key is zero. When
   * set, the CAS section's chunk hashes are keyed-BLAKE3(key, raw chunk hash), not raw hashes.
   */
  chunkHashKey: Uint8Array | null;
}

/** Offset of `chunk_hash_hmac_key` in the footer. */
const FOOTER_HMAC_KEY_OFFSET = 72;

/** Raised for a shard whose bytes do not follow the format. */
export class ShardFormatError extends Error {
  override name = "ShardFormatError";
}

/**
 * Parses a shard. Accepts `footer_size` 0 (what the spec asks of uploads) and 200 (what the JS
 * client sends and what the CAS answers dedup queries with); lookup tables and the footer are not needed to read the two sections.
 */
export function parseShard(bytes: Uint8Array): ParsedShard {
  if (bytes.length > MAX_SHARD_BYTES) throw new ShardFormatError("shard exceeds 64 MiB");
  if (bytes.length < SHARD_HEADER_BYTES) throw new ShardFormatError("shard shorter than its header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < SHARD_MAGIC_TAG.length; i++) {
    if (bytes[i] !== SHARD_MAGIC_TAG[i]) throw new ShardFormatError("bad shard magic tag");
  }
  const version = Number(view.getBigUint64(32, true));
  if (version !== SHARD_HEADER_VERSION) throw new ShardFormatError(`unsupported shard version ${version}`);
  const footerSize = Number(view.getBigUint64(40, true));
  if (footerSize !== 0 && footerSize !== SHARD_FOOTER_BYTES) {
    throw new ShardFormatError(`unexpected shard footer size ${footerSize}`);
  }
  const limit = bytes.length - footerSize;
  let offset = SHARD_HEADER_BYTES;

  const need = (count: number): void => {
    if (offset + count * SHARD_RECORD_BYTES > limit)
      throw new ShardFormatError(`truncated shard at ${offset}`);
  };
  const isBookend = (at: number): boolean => {
    for (let i = 0; i < HASH_BYTES; i++) if (bytes[at + i] !== 0xff) return false;
    return true;
  };

  /** Reads records with `readOne` up to the section's bookend (an all-0xff hash), past which it moves. */
  const untilBookend = <T>(readOne: () => T): T[] => {
    const records: T[] = [];
    for (;;) {
      need(1);
      if (isBookend(offset)) {
        offset += SHARD_RECORD_BYTES;
        return records;
      }
      records.push(readOne());
    }
  };

  const files = untilBookend((): ReadShardFile => {
    const hash = hashToHex(bytes, offset);
    const flags = view.getUint32(offset + 32, true);
    const count = view.getUint32(offset + 36, true);
    offset += SHARD_RECORD_BYTES;
    need(count);
    const terms: ShardFileTerm[] = [];
    for (let i = 0; i < count; i++) {
      terms.push({
        xorb: hashToHex(bytes, offset),
        unpackedLength: view.getUint32(offset + 36, true),
        chunkStart: view.getUint32(offset + 40, true),
        chunkEnd: view.getUint32(offset + 44, true),
      });
      offset += SHARD_RECORD_BYTES;
    }
    let verification: string[] | null = null;
    if ((flags & FILE_FLAG_WITH_VERIFICATION) !== 0) {
      need(count);
      verification = [];
      for (let i = 0; i < count; i++) {
        verification.push(hashToHex(bytes, offset));
        offset += SHARD_RECORD_BYTES;
      }
    }
    let sha256: string | null = null;
    if ((flags & FILE_FLAG_WITH_METADATA_EXT) !== 0) {
      need(1);
      sha256 = Buffer.from(bytes.subarray(offset, offset + HASH_BYTES)).toString("hex");
      offset += SHARD_RECORD_BYTES;
    }
    return { hash, terms, verification, sha256 };
  });

  const xorbs = untilBookend((): ReadShardXorb => {
    const hash = hashToHex(bytes, offset);
    const count = view.getUint32(offset + 36, true);
    const bytesInCas = view.getUint32(offset + 40, true);
    const bytesOnDisk = view.getUint32(offset + 44, true);
    offset += SHARD_RECORD_BYTES;
    need(count);
    const chunks: ReadShardXorb["chunks"] = [];
    for (let i = 0; i < count; i++) {
      chunks.push({
        hash: hashToHex(bytes, offset),
        unpackedStart: view.getUint32(offset + 32, true),
        unpackedLength: view.getUint32(offset + 36, true),
      });
      offset += SHARD_RECORD_BYTES;
    }
    return { hash, bytesInCas, bytesOnDisk, chunks };
  });
  let chunkHashKey: Uint8Array | null = null;
  if (footerSize !== 0) {
    const key = bytes.subarray(limit + FOOTER_HMAC_KEY_OFFSET, limit + FOOTER_HMAC_KEY_OFFSET + HASH_BYTES);
    if (key.some((byte) => byte !== 0)) chunkHashKey = key.slice();
  }
  return { files, xorbs, chunkHashKey };
}

// --- internal ---

function hashToHex(bytes: Uint8Array, offset: number): string {
  return rawHashToHex(bytes.subarray(offset, offset + HASH_BYTES));
}
