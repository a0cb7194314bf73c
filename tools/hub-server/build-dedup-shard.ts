import { createBLAKE3 } from "hash-wasm";
import type { XorbRecord } from "./create-storage.ts";
import {
  SHARD_FOOTER_BYTES,
  SHARD_FOOTER_VERSION,
  SHARD_HEADER_BYTES,
  SHARD_HEADER_VERSION,
  SHARD_MAGIC_TAG,
  SHARD_RECORD_BYTES,
} from "../../src/store/hf/xet/shard-format.ts";
import { hexToHash } from "./xet-hash.ts";

/** The footer's HMAC key and the keyed BLAKE3 it names; see {@link buildDedupShard}. */
export interface DedupKey {
  key: Uint8Array;
  hash(rawChunkHash: Uint8Array): Uint8Array;
}

/** A keyed BLAKE3 under `key`, or null for raw chunk hashes. */
export async function createDedupKey(key: Uint8Array | null): Promise<DedupKey | null> {
  if (key === null) return null;
  const keyed = await createBLAKE3(256, key);
  return {
    key,
    hash: (raw) => {
      keyed.init();
      keyed.update(raw);
      return keyed.digest("binary");
    },
  };
}

/**
 * Builds the answer to a global-dedup query: a shard with an empty file section and the given xorbs in the
 * CAS section. With a key, each chunk hash is keyed-BLAKE3(key, raw hash) and the key is in the footer, as
 * the real CAS answers; without, hashes are raw and the key zero. `file_lookup_offset` is set to the end of
 * the CAS section because the JS client reads xorb entries up to that offset.
 */
export function buildDedupShard(
  xorbs: readonly XorbRecord[],
  nowSeconds: number,
  key: DedupKey | null,
): Uint8Array {
  const casOffset = SHARD_HEADER_BYTES + SHARD_RECORD_BYTES;
  const records = xorbs.reduce((sum, x) => sum + x.chunks.length + 1, 1);
  const footerOffset = casOffset + SHARD_RECORD_BYTES * records;
  const out = new Uint8Array(footerOffset + SHARD_FOOTER_BYTES);
  const view = new DataView(out.buffer);
  out.set(SHARD_MAGIC_TAG, 0);
  view.setBigUint64(32, BigInt(SHARD_HEADER_VERSION), true);
  view.setBigUint64(40, BigInt(SHARD_FOOTER_BYTES), true);
  out.fill(0xff, SHARD_HEADER_BYTES, SHARD_HEADER_BYTES + 32);

  let rawTotal = 0;
  let diskTotal = 0;
  let at = casOffset;
  for (const xorb of xorbs) {
    const raw = xorb.chunks.reduce((sum, c) => sum + c.rawLength, 0);
    rawTotal += raw;
    diskTotal += xorb.size;
    out.set(hexToHash(xorb.hash), at);
    view.setUint32(at + 36, xorb.chunks.length, true);
    view.setUint32(at + 40, raw, true);
    view.setUint32(at + 44, xorb.size, true);
    at += SHARD_RECORD_BYTES;
    let unpackedStart = 0;
    for (const chunk of xorb.chunks) {
      const raw = hexToHash(chunk.hash);
      out.set(key === null ? raw : key.hash(raw), at);
      view.setUint32(at + 32, unpackedStart, true);
      view.setUint32(at + 36, chunk.rawLength, true);
      unpackedStart += chunk.rawLength;
      at += SHARD_RECORD_BYTES;
    }
  }
  out.fill(0xff, at, at + 32);

  const footer = footerOffset;
  view.setBigUint64(footer, BigInt(SHARD_FOOTER_VERSION), true);
  view.setBigUint64(footer + 8, BigInt(SHARD_HEADER_BYTES), true);
  view.setBigUint64(footer + 16, BigInt(casOffset), true);
  view.setBigUint64(footer + 24, BigInt(footerOffset), true);
  if (key !== null) out.set(key.key, footer + 72);
  view.setBigUint64(footer + 104, BigInt(nowSeconds), true);
  view.setBigUint64(footer + 112, BigInt(nowSeconds + 86_400), true);
  view.setBigUint64(footer + 168, BigInt(diskTotal), true);
  view.setBigUint64(footer + 184, BigInt(rawTotal), true);
  view.setBigUint64(footer + 192, BigInt(footerOffset), true);
  return out;
}
