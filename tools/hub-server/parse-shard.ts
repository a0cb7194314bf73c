import { HASH_BYTES, hashToHex } from "./xet-hash.ts";

/** First 32 bytes of every shard: "HFRepoMetaData", a zero byte and a fixed 17-byte suffix. */
export const SHARD_MAGIC_TAG = new Uint8Array([
  0x48, 0x46, 0x52, 0x65, 0x70, 0x6f, 0x4d, 0x65, 0x74, 0x61, 0x44, 0x61, 0x74, 0x61, 0x00, 0x55, 0x69, 0x67,
  0x45, 0x6a, 0x7b, 0x81, 0x57, 0x83, 0xa5, 0xbd, 0xd9, 0x5c, 0xcd, 0xd1, 0x4a, 0xa9,
]);
export const SHARD_HEADER_VERSION = 2;
export const SHARD_FOOTER_VERSION = 1;
export const SHARD_HEADER_BYTES = 48;
export const SHARD_FOOTER_BYTES = 200;
/** Every record of both sections is 48 bytes. */
export const SHARD_RECORD_BYTES = 48;
export const MAX_SHARD_BYTES = 64 * 1024 * 1024;

export const FILE_FLAG_WITH_VERIFICATION = 0x80000000;
export const FILE_FLAG_WITH_METADATA_EXT = 0x40000000;

/** A contiguous chunk range of one xorb that a file is made of. */
export interface ShardFileTerm {
  xorb: string;
  /** Uncompressed bytes of the chunks `[chunkStart, chunkEnd)`. */
  unpackedLength: number;
  chunkStart: number;
  chunkEnd: number;
}

/** One file of the file info section. */
export interface ShardFile {
  hash: string;
  terms: ShardFileTerm[];
  /** Per-term verification hashes (Xet hex), when the file carries them. */
  verification: string[] | null;
  /** SHA-256 from the metadata extension (plain hex), when present. */
  sha256: string | null;
}

/** One xorb of the CAS info section. */
export interface ShardXorb {
  hash: string;
  bytesInCas: number;
  bytesOnDisk: number;
  chunks: { hash: string; unpackedStart: number; unpackedLength: number }[];
}

/** The sections of a shard a server acts on. */
export interface ParsedShard {
  files: ShardFile[];
  xorbs: ShardXorb[];
}

/** Raised for a shard whose bytes do not follow the format. */
export class ShardFormatError extends Error {
  override name = "ShardFormatError";
}

/**
 * Parses an uploaded shard. Accepts `footer_size` 0 (what the spec asks of uploads) and 200 (what the JS
 * client sends); lookup tables and the footer are not needed to read the two sections.
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

  const files: ShardFile[] = [];
  for (;;) {
    need(1);
    if (isBookend(offset)) {
      offset += SHARD_RECORD_BYTES;
      break;
    }
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
    files.push({ hash, terms, verification, sha256 });
  }

  const xorbs: ShardXorb[] = [];
  for (;;) {
    need(1);
    if (isBookend(offset)) {
      offset += SHARD_RECORD_BYTES;
      break;
    }
    const hash = hashToHex(bytes, offset);
    const count = view.getUint32(offset + 36, true);
    const bytesInCas = view.getUint32(offset + 40, true);
    const bytesOnDisk = view.getUint32(offset + 44, true);
    offset += SHARD_RECORD_BYTES;
    need(count);
    const chunks: ShardXorb["chunks"] = [];
    for (let i = 0; i < count; i++) {
      chunks.push({
        hash: hashToHex(bytes, offset),
        unpackedStart: view.getUint32(offset + 32, true),
        unpackedLength: view.getUint32(offset + 36, true),
      });
      offset += SHARD_RECORD_BYTES;
    }
    xorbs.push({ hash, bytesInCas, bytesOnDisk, chunks });
  }
  return { files, xorbs };
}
