/**
 * Serializes the shard an upload registers its files with (xet-core `spec/shard.md`): a header,
 * the file info section (each file's terms, one verification entry per term, and the SHA-256
 * metadata extension the spec requires of uploads), the CAS info section (the xorbs this upload
 * created, chunk by chunk), and no footer (optional in uploads; `footer_size` 0). Pure.
 */
import { HASH_BYTES } from "./xet-hash.ts";
import type { HashedRange } from "./xet-hash.ts";

/** Every record of a shard is 48 bytes. */
export const SHARD_RECORD_BYTES = 48;
/** The CAS rejects larger shards. */
export const MAX_SHARD_BYTES = 64 * 1024 * 1024;

/** One term of a file: a chunk range of one xorb. */
export interface ShardTerm {
  xorbHash: Uint8Array;
  /** First chunk index in the xorb. */
  chunkStart: number;
  /** One past the last chunk index. */
  chunkEnd: number;
  /** Bytes of the term's chunks, uncompressed. */
  unpackedBytes: number;
  /** Verification hash of the term (over its chunk hashes). */
  verificationHash: Uint8Array;
}

/** One file of a shard. */
export interface ShardFile {
  fileHash: Uint8Array;
  /** Raw SHA-256 of the file's bytes. */
  sha256: Uint8Array;
  terms: readonly ShardTerm[];
}

/** One xorb this upload created. */
export interface ShardXorb {
  xorbHash: Uint8Array;
  chunks: readonly HashedRange[];
  /** Length of the serialized xorb. */
  serializedBytes: number;
}

// The shard header's magic tag (spec data): "HFRepoMetaData", a zero byte, then 17 fixed bytes.
export const SHARD_MAGIC_TAG = Uint8Array.from([
  0x48, 0x46, 0x52, 0x65, 0x70, 0x6f, 0x4d, 0x65, 0x74, 0x61, 0x44, 0x61, 0x74, 0x61, 0x00, 0x55, 0x69, 0x67,
  0x45, 0x6a, 0x7b, 0x81, 0x57, 0x83, 0xa5, 0xbd, 0xd9, 0x5c, 0xcd, 0xd1, 0x4a, 0xa9,
]);
export const SHARD_HEADER_VERSION = 2;
export const SHARD_FOOTER_VERSION = 1;
export const SHARD_HEADER_BYTES = 48;
export const SHARD_FOOTER_BYTES = 200;
export const FILE_FLAG_WITH_VERIFICATION = 0x80000000;
export const FILE_FLAG_WITH_METADATA_EXT = 0x40000000;

/** Serialized size of a shard with files of these term counts and xorbs of these chunk counts. */
export function shardBytes(termsPerFile: readonly number[], chunksPerXorb: readonly number[]): number {
  let records = 1 + 1 + 1; // header, two bookends
  for (const terms of termsPerFile) records += 2 + 2 * terms;
  for (const chunks of chunksPerXorb) records += 1 + chunks;
  return records * SHARD_RECORD_BYTES;
}

/** Serializes a shard for `POST /v1/shards`. */
export function serializeShard(files: readonly ShardFile[], xorbs: readonly ShardXorb[]): Uint8Array {
  const out = new Uint8Array(
    shardBytes(
      files.map((file) => file.terms.length),
      xorbs.map((xorb) => xorb.chunks.length),
    ),
  );
  const view = new DataView(out.buffer);
  out.set(SHARD_MAGIC_TAG, 0);
  view.setBigUint64(32, BigInt(SHARD_HEADER_VERSION), true);
  view.setBigUint64(40, 0n, true); // footer_size: no footer
  let at = SHARD_RECORD_BYTES;
  const record = (hash: Uint8Array, fill: (offset: number) => void): void => {
    out.set(hash, at);
    fill(at + HASH_BYTES);
    at += SHARD_RECORD_BYTES;
  };
  const bookend = (): void => {
    out.fill(0xff, at, at + HASH_BYTES);
    at += SHARD_RECORD_BYTES;
  };

  for (const file of files) {
    record(file.fileHash, (o) => {
      view.setUint32(o, FILE_FLAG_WITH_VERIFICATION | FILE_FLAG_WITH_METADATA_EXT, true);
      view.setUint32(o + 4, file.terms.length, true);
    });
    for (const term of file.terms) {
      record(term.xorbHash, (o) => {
        view.setUint32(o + 4, term.unpackedBytes, true);
        view.setUint32(o + 8, term.chunkStart, true);
        view.setUint32(o + 12, term.chunkEnd, true);
      });
    }
    for (const term of file.terms) record(term.verificationHash, () => {});
    record(file.sha256, () => {});
  }
  bookend();

  for (const xorb of xorbs) {
    const dataBytes = xorb.chunks.reduce((sum, chunk) => sum + chunk.size, 0);
    record(xorb.xorbHash, (o) => {
      view.setUint32(o + 4, xorb.chunks.length, true);
      view.setUint32(o + 8, dataBytes, true);
      view.setUint32(o + 12, xorb.serializedBytes, true);
    });
    let start = 0;
    for (const chunk of xorb.chunks) {
      record(chunk.hash, (o) => {
        // The chunk's offset in the xorb's uncompressed data, not in the serialized bytes.
        view.setUint32(o, start, true);
        view.setUint32(o + 4, chunk.size, true);
      });
      start += chunk.size;
    }
  }
  bookend();
  return out;
}
