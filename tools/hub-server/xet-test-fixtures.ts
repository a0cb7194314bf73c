import {
  FILE_FLAG_WITH_VERIFICATION,
  SHARD_FOOTER_BYTES,
  SHARD_MAGIC_TAG,
} from "../../src/store/hf/xet/shard-format.ts";
import { hashToHex, hexToHash } from "./xet-hash.ts";
import type { XetHasher } from "./xet-hash.ts";

/** A chunk to put in a test xorb: its data, optionally pre-encoded with another scheme. */
export interface FixtureChunk {
  data: Uint8Array;
  encoded?: { scheme: number; payload: Uint8Array };
}

/** A xorb built for tests, with what a shard needs to reference it. */
export interface FixtureXorb {
  bytes: Uint8Array;
  hash: string;
  chunks: { hash: string; length: number }[];
}

/** Serializes chunks into a xorb (8-byte header + payload each) and computes its hash. */
export function buildFixtureXorb(hasher: XetHasher, chunks: readonly FixtureChunk[]): FixtureXorb {
  const parts: Uint8Array[] = [];
  const described: FixtureXorb["chunks"] = [];
  for (const chunk of chunks) {
    const scheme = chunk.encoded?.scheme ?? 0;
    const payload = chunk.encoded?.payload ?? chunk.data;
    const header = new Uint8Array(8);
    header[0] = 0;
    header[1] = payload.length & 0xff;
    header[2] = (payload.length >> 8) & 0xff;
    header[3] = (payload.length >> 16) & 0xff;
    header[4] = scheme;
    header[5] = chunk.data.length & 0xff;
    header[6] = (chunk.data.length >> 8) & 0xff;
    header[7] = (chunk.data.length >> 16) & 0xff;
    parts.push(header, payload);
    described.push({ hash: hashToHex(hasher.chunkHash(chunk.data)), length: chunk.data.length });
  }
  const hash = hashToHex(
    hasher.merkleRoot(described.map((c) => ({ hash: hexToHash(c.hash), size: c.length }))),
  );
  return { bytes: Buffer.concat(parts), hash, chunks: described };
}

/** A file of a test shard: the whole of each listed xorb range, in order. */
export interface FixtureFile {
  terms: { xorb: FixtureXorb; start: number; end: number }[];
  /** Overrides the computed file hash (to build a wrong shard). */
  hash?: string;
}

/** Computes the file hash of a fixture file. */
export function fixtureFileHash(hasher: XetHasher, file: FixtureFile): string {
  const leaves = file.terms.flatMap((t) =>
    t.xorb.chunks.slice(t.start, t.end).map((c) => ({ hash: hexToHash(c.hash), size: c.length })),
  );
  return hashToHex(hasher.fileHash(leaves));
}

/** Serializes a shard the way the JS client does: header, file section, CAS section, 200-byte footer. */
export function buildFixtureShard(
  hasher: XetHasher,
  files: readonly FixtureFile[],
  xorbs: readonly FixtureXorb[],
): Uint8Array {
  const records: Uint8Array[] = [];
  const record = (hash: string | null, ...u32s: number[]): void => {
    const out = new Uint8Array(48);
    const view = new DataView(out.buffer);
    if (hash === null) out.fill(0xff, 0, 32);
    else out.set(hexToHash(hash), 0);
    u32s.forEach((value, i) => view.setUint32(32 + i * 4, value >>> 0, true));
    records.push(out);
  };
  for (const file of files) {
    record(file.hash ?? fixtureFileHash(hasher, file), FILE_FLAG_WITH_VERIFICATION, file.terms.length, 0, 0);
    for (const term of file.terms) {
      const length = term.xorb.chunks.slice(term.start, term.end).reduce((sum, c) => sum + c.length, 0);
      record(term.xorb.hash, 0, length, term.start, term.end);
    }
    for (const term of file.terms) {
      const raw = term.xorb.chunks.slice(term.start, term.end).map((c) => hexToHash(c.hash));
      record(hashToHex(hasher.verificationHash(raw)));
    }
  }
  record(null);
  for (const xorb of xorbs) {
    const raw = xorb.chunks.reduce((sum, c) => sum + c.length, 0);
    record(xorb.hash, 0, xorb.chunks.length, raw, xorb.bytes.length);
    let start = 0;
    for (const chunk of xorb.chunks) {
      record(chunk.hash, start, chunk.length, 0, 0);
      start += chunk.length;
    }
  }
  record(null);
  const header = new Uint8Array(48);
  header.set(SHARD_MAGIC_TAG, 0);
  const headerView = new DataView(header.buffer);
  headerView.setBigUint64(32, 2n, true);
  headerView.setBigUint64(40, BigInt(SHARD_FOOTER_BYTES), true);
  const footer = new Uint8Array(SHARD_FOOTER_BYTES);
  new DataView(footer.buffer).setBigUint64(0, 1n, true);
  return Buffer.concat([header, ...records, footer]);
}
