import { createHash } from "node:crypto";

/**
 * `length` pseudo-random bytes fully determined by `key` (xorshift128 seeded from sha256(key)).
 * Fast enough for multi-megabyte NEFFs; not for cryptographic use.
 */
export function deterministicBytes(key: string, length: number): Buffer {
  const seed = createHash("sha256").update(key).digest();
  let x = seed.readUInt32LE(0) | 1;
  let y = seed.readUInt32LE(4);
  let z = seed.readUInt32LE(8);
  let w = seed.readUInt32LE(12);
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i += 1) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    words[i] = w;
  }
  return Buffer.from(words.buffer, 0, length);
}

/** A seeded generator of floats in [0, 1), deterministic for a given seed. */
export function createRandom(seed: string): () => number {
  let state = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
