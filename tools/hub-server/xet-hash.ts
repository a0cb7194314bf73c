import { createBLAKE3 } from "hash-wasm";
import type { IHasher } from "hash-wasm";

/** Length in bytes of every Xet hash. */
export const HASH_BYTES = 32;

/** Hex form of the all-zero hash: the file hash of an empty file. */
export const ZERO_HASH_HEX = "0".repeat(64);

// Keys from the Xet hashing specification (docs/xet/hashing.md).
const DATA_KEY = new Uint8Array([
  102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28, 157, 228, 33, 16, 155, 235, 43,
  88, 180, 208, 176, 75, 147, 173, 242, 41,
]);
const INTERNAL_NODE_KEY = new Uint8Array([
  1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230, 93, 221, 83, 111, 55, 199, 109,
  210, 248, 99, 82, 230, 74, 83, 113, 63,
]);
const VERIFICATION_KEY = new Uint8Array([
  127, 24, 87, 214, 206, 86, 237, 102, 18, 127, 249, 19, 231, 165, 195, 243, 164, 205, 38, 213, 181, 219, 73,
  230, 65, 36, 152, 127, 40, 251, 148, 195,
]);
const ZERO_KEY = new Uint8Array(HASH_BYTES);

/** Merkle tree groups cut after the first child (from the third on) whose hash is 0 mod 4, else after 9. */
const MEAN_BRANCHING_FACTOR = 4;
const MAX_CHILDREN = 9;

/** A merkle leaf or node: raw 32-byte hash and the number of data bytes below it. */
export interface HashedRange {
  hash: Uint8Array;
  size: number;
}

/** Keyed BLAKE3 functions of the Xet protocol. Synchronous once created. */
export interface XetHasher {
  /** Hash of one uncompressed chunk. */
  chunkHash(data: Uint8Array): Uint8Array;
  /** Merkle root over chunks: the xorb hash, and the input of the file hash. */
  merkleRoot(leaves: readonly HashedRange[]): Uint8Array;
  /** File hash (the bucket's `xetHash`); all zeros for an empty file. */
  fileHash(leaves: readonly HashedRange[]): Uint8Array;
  /** Verification ("range") hash of a file term over its raw chunk hashes. */
  verificationHash(chunkHashes: readonly Uint8Array[]): Uint8Array;
}

/**
 * Converts raw hash bytes to the Xet string form: each 8-byte group is read as a little-endian u64
 * and printed as 16 hex digits.
 */
export function hashToHex(raw: Uint8Array, offset = 0): string {
  let out = "";
  for (let group = 0; group < HASH_BYTES; group += 8) {
    for (let i = 7; i >= 0; i--) {
      const byte = raw[offset + group + i];
      if (byte === undefined) throw new RangeError("hash out of bounds");
      out += byte.toString(16).padStart(2, "0");
    }
  }
  return out;
}

/** Inverse of {@link hashToHex}; throws on anything but 64 hex digits. */
export function hexToHash(hex: string): Uint8Array {
  if (!isHashHex(hex)) throw new RangeError(`not a 64-digit hex hash: ${hex.slice(0, 80)}`);
  const out = new Uint8Array(HASH_BYTES);
  for (let group = 0; group < 4; group++) {
    for (let i = 0; i < 8; i++) {
      const at = group * 16 + (7 - i) * 2;
      out[group * 8 + i] = Number.parseInt(hex.slice(at, at + 2), 16);
    }
  }
  return out;
}

/** True for a 64-digit lowercase or uppercase hex string. */
export function isHashHex(value: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(value);
}

/** Creates the hasher; BLAKE3 runs in WebAssembly, so creation is asynchronous. */
export async function createXetHasher(): Promise<XetHasher> {
  const [data, internal, file, verification] = await Promise.all([
    createBLAKE3(256, DATA_KEY),
    createBLAKE3(256, INTERNAL_NODE_KEY),
    createBLAKE3(256, ZERO_KEY),
    createBLAKE3(256, VERIFICATION_KEY),
  ]);
  const digest = (hasher: IHasher, parts: readonly Uint8Array[]): Uint8Array => {
    hasher.init();
    for (const part of parts) hasher.update(part);
    return hasher.digest("binary");
  };
  const encoder = new TextEncoder();

  const mergeGroup = (group: readonly HashedRange[]): HashedRange => {
    let text = "";
    let size = 0;
    for (const node of group) {
      text += `${hashToHex(node.hash)} : ${node.size}\n`;
      size += node.size;
    }
    return { hash: digest(internal, [encoder.encode(text)]), size };
  };

  const nextCut = (nodes: readonly HashedRange[], from: number): number => {
    const remaining = nodes.length - from;
    if (remaining <= 2) return nodes.length;
    const end = Math.min(MAX_CHILDREN, remaining);
    for (let i = 2; i < end; i++) {
      const node = nodes[from + i];
      // "hash mod 4" reads bytes 24..31 as a little-endian u64; only byte 24 matters for mod 4.
      if (node !== undefined && (node.hash[24] ?? 0) % MEAN_BRANCHING_FACTOR === 0) return from + i + 1;
    }
    return from + end;
  };

  const merkleRoot = (leaves: readonly HashedRange[]): Uint8Array => {
    if (leaves.length === 0) return new Uint8Array(HASH_BYTES);
    let level: HashedRange[] = [...leaves];
    while (level.length > 1) {
      const next: HashedRange[] = [];
      let from = 0;
      while (from < level.length) {
        const cut = nextCut(level, from);
        next.push(mergeGroup(level.slice(from, cut)));
        from = cut;
      }
      level = next;
    }
    return (level[0] as HashedRange).hash;
  };

  return {
    chunkHash: (chunk) => digest(data, [chunk]),
    merkleRoot,
    fileHash: (leaves) =>
      leaves.length === 0 ? new Uint8Array(HASH_BYTES) : digest(file, [merkleRoot(leaves)]),
    verificationHash: (hashes) => digest(verification, hashes),
  };
}
