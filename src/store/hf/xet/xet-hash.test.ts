import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GEAR_TABLE } from "./gear-table.ts";
import { MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, createXetChunker } from "./xet-chunker.ts";
import {
  ZERO_HASH_HEX,
  createKeyedChunkHash,
  createXetHasher,
  defaultBlake3Backend,
  hashToHex,
  hexToHash,
} from "./xet-hash.ts";
import type { Blake3Backend, HashedRange } from "./xet-hash.ts";

/** xet-core's chunker test data: splitmix64 words, little-endian. */
function splitmix64Bytes(length: number, seed: bigint): Uint8Array {
  const mask = (1n << 64n) - 1n;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let state = seed;
  for (let at = 0; at < length; at += 8) {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    if (at + 8 <= length) view.setBigUint64(at, z, true);
    else for (let k = 0; at + k < length; k++) out[at + k] = Number((z >> BigInt(8 * k)) & 0xffn);
  }
  return out;
}

/** Cumulative chunk ends of `data` fed in pieces of `pieceBytes`, the final chunk included. */
function boundaries(data: Uint8Array, pieceBytes = data.length || 1): number[] {
  const chunker = createXetChunker();
  const ends: number[] = [];
  for (let at = 0; at < data.length; at += pieceBytes) {
    for (const cut of chunker.push(data.subarray(at, at + pieceBytes))) ends.push(at + cut);
  }
  if (chunker.pending() > 0) ends.push(data.length);
  return ends;
}

const BACKENDS: Blake3Backend[] = ["native", "wasm"];

const hexLeaf = (hex: string, size: number): HashedRange => ({ hash: hexToHash(hex), size });

describe("createXetChunker", () => {
  const random = splitmix64Bytes(1_000_000, 0n);
  // xet-core chunking tests: 1,000,000 splitmix64 bytes from seed 0, and 1,000,000 bytes of 59.
  const RANDOM_ENDS = [
    84493, 134421, 144853, 243318, 271793, 336457, 467529, 494581, 582000, 596735, 616815, 653164, 678202,
    724510, 815591, 827760, 958832, 991092, 1000000,
  ];

  it("cuts xet-core's random test vector where xet-core does", () => {
    expect([random[0], random[127], random[111111]]).toEqual([175, 132, 118]);
    expect(boundaries(random)).toEqual(RANDOM_ENDS);
  });

  it("cuts the same however the input is split", () => {
    for (const piece of [1, 7, 64, 8127, 8192, 65536, 131073]) {
      expect(boundaries(random.subarray(0, 400_000), piece)).toEqual([
        ...RANDOM_ENDS.filter((end) => end < 400_000),
        400_000,
      ]);
    }
  });

  it("forces a cut at 128 KiB in data with no gear match", () => {
    const constant = new Uint8Array(1_000_000).fill(59);
    const forced = Array.from({ length: 7 }, (_, i) => (i + 1) * MAX_CHUNK_BYTES);
    expect(boundaries(constant)).toEqual([...forced, 1_000_000]);
  });

  it("never cuts a chunk below 8 KiB, even where the gear hash matches", () => {
    // A 64-byte window ending on a gear match makes a match wherever it is placed.
    const window = matchingWindow(random);
    for (const end of [
      100,
      MIN_CHUNK_BYTES - 65,
      MIN_CHUNK_BYTES - 1,
      MIN_CHUNK_BYTES,
      MIN_CHUNK_BYTES + 1,
    ]) {
      const data = new Uint8Array(3 * MIN_CHUNK_BYTES);
      data.set(window, end - 64);
      const ends = boundaries(data);
      expect(ends[0]).toBe(end >= MIN_CHUNK_BYTES ? end : data.length);
    }
  });

  it("emits no chunk for no bytes and one chunk for a small input", () => {
    expect(boundaries(new Uint8Array(0))).toEqual([]);
    expect(boundaries(new Uint8Array(MIN_CHUNK_BYTES - 1).fill(1))).toEqual([MIN_CHUNK_BYTES - 1]);
  });
});

describe("createXetHasher", () => {
  it("holds the spec's gear table", () => {
    const bytes = new Uint8Array(256 * 8);
    GEAR_TABLE.forEach((value, i) => new DataView(bytes.buffer).setBigUint64(i * 8, value, true));
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(
      "e1d3936666d7ae7a977c958e9afcc75f90aaca758ce5fbe4ece61dffefe1912c",
    );
  });

  // Both BLAKE3 backends: the native one where its binary loads, WebAssembly everywhere else.
  describe.each<Blake3Backend>(BACKENDS)("with BLAKE3 in %s", (backend) => {
    it("hashes chunks, files and terms as the spec's vectors say", async () => {
      const hasher = await createXetHasher({ backend });
      const hello = hasher.chunkHash(new TextEncoder().encode("hello world\n"));
      expect(hashToHex(hello)).toBe("6899563fa6b6abb19b8ecdd9f662a6c9acfca9fd4ff9f513086ec6c5685193ab");
      expect(hashToHex(hasher.fileHash([{ hash: hello, size: 12 }]))).toBe(
        "a302d931b8763df0bfb9926b9ff26b11c2a77d5be8dde4ce1c8bb7202a6a8681",
      );
      expect(hashToHex(hasher.verificationHash([hello]))).toBe(
        "d84ad4e9bba4ab4d3e7ecfb8c052e405dfa5829c57cca7e9b1160501366b3b76",
      );
      hasher.beginChunk();
      hasher.updateChunk(new TextEncoder().encode("hello "));
      hasher.updateChunk(new TextEncoder().encode("world\n"));
      expect(hashToHex(hasher.endChunk())).toBe(hashToHex(hello));
    });

    it("builds merkle roots as xet-core's aggregated-hash tests do", async () => {
      const hasher = await createXetHasher({ backend });
      const a = hexLeaf("cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6", 100);
      const b = hexLeaf("c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72", 200);
      const c = hexLeaf("0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37", 300);
      expect(hashToHex(hasher.merkleRoot([]))).toBe(ZERO_HASH_HEX);
      expect(hashToHex(hasher.fileHash([]))).toBe(ZERO_HASH_HEX);
      expect(hashToHex(hasher.fileHash([hexLeaf(ZERO_HASH_HEX, 0)]))).toBe(
        "638a6bc391964a85939d48f008e8bdbae6a7975e7ca2d87a3ce2492f4e4d8a4c",
      );
      expect(hashToHex(hasher.merkleRoot([a]))).toBe(hashToHex(a.hash));
      expect(hashToHex(hasher.fileHash([a]))).toBe(
        "8e16257caa3fe079d484d872a8975264b2ff683b0d6db9028cc7c0f968a45661",
      );
      expect(hashToHex(hasher.merkleRoot([a, b, c]))).toBe(
        "71ec1275fca074724e2dd666921b3277c7cee603e4d025bcab2d4050015be2bc",
      );
      expect(hashToHex(hasher.fileHash([a, b, c]))).toBe(
        "54e55dccc6653c612bdb5576c5d3cb34bb31bc4e100248abccf4c908b3ef7715",
      );
      expect(hashToHex(hasher.merkleRoot(Array.from({ length: 32 }, () => a)))).toBe(
        "0a0123c1617921883b7e13902095fcb86676e77c49120c33b233003b0af0e0a6",
      );
    });
  });

  // Elsewhere a missing binary is a fallback, not a failure; on CI's platform it would be a lost speed-up.
  it.runIf(process.platform === "linux" && process.arch === "x64")(
    "uses the native BLAKE3 by default on linux x64, where the project's CI runs",
    () => {
      expect(defaultBlake3Backend()).toBe("native");
    },
  );

  it("gives the same hashes with either BLAKE3 backend, however a chunk's bytes are split", async () => {
    const data = splitmix64Bytes(300_000, 7n);
    const native = await createXetHasher({ backend: "native" });
    const wasm = await createXetHasher({ backend: "wasm" });
    for (const piece of [1, 63, 1024, 65536, 300_000]) {
      const hashes = [native, wasm].map((hasher) => {
        hasher.beginChunk();
        for (let at = 0; at < data.length; at += piece) hasher.updateChunk(data.subarray(at, at + piece));
        return hashToHex(hasher.endChunk());
      });
      expect(hashes[0]).toBe(hashes[1]);
      expect(hashes[0]).toBe(hashToHex(wasm.chunkHash(data)));
    }
    const key = new Uint8Array(32).fill(0x5a);
    const keyedNative = await createKeyedChunkHash(key, { backend: "native" });
    const keyedWasm = await createKeyedChunkHash(key, { backend: "wasm" });
    const raw = native.chunkHash(data);
    expect(hashToHex(keyedNative(raw))).toBe(hashToHex(keyedWasm(raw)));
    expect(hashToHex(keyedNative(raw))).not.toBe(hashToHex(raw));
  });

  it("converts hashes to and from the Xet hex form", () => {
    const raw = Uint8Array.from({ length: 32 }, (_, i) => i);
    const hex = hashToHex(raw);
    expect(hex).toBe("0706050403020100" + "0f0e0d0c0b0a0908" + "1716151413121110" + "1f1e1d1c1b1a1918");
    expect([...hexToHash(hex)]).toEqual([...raw]);
    expect(() => hexToHash("xyz")).toThrow(/64-digit hex/);
  });
});

/** The 64 bytes of `data` that end on its first gear match past the minimum chunk size. */
function matchingWindow(data: Uint8Array): Uint8Array {
  const end = boundaries(data)[0] as number;
  return data.slice(end - 64, end);
}
