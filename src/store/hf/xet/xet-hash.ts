/**
 * The hashes of the Xet protocol (xet-core `spec/hashing.md`): keyed BLAKE3 of chunks, the merkle
 * tree that gives xorb and file hashes, and the verification ("range") hash of a file term.
 *
 * BLAKE3 comes from @napi-rs/blake-hash (the BLAKE3 team's Rust crate, with its SIMD code, shipped
 * prebuilt per platform) where its binary loads, else from hash-wasm. Keyed, over 64 KiB chunks of
 * 256 MiB on this project's test machine: 5,100-5,500 MB/s native against 720-770 MB/s in
 * WebAssembly, which made chunk hashing the largest part of an upload's CPU time.
 *
 * The local Hub in tools/hub-server keeps its own implementation on purpose: the server that
 * verifies what this client uploads must not share its code, or a bug would verify itself.
 */
import { createRequire } from "node:module";
import { createBLAKE3 } from "hash-wasm";

/** Where BLAKE3 runs: the native binary, or WebAssembly (the fallback where no binary loads). */
export type Blake3Backend = "native" | "wasm";

/** Options of the hasher factories. */
export interface XetHashOptions {
  /** @default "native" when its binary loads on this platform, else "wasm" */
  backend?: Blake3Backend;
}

/** Length in bytes of every Xet hash. */
export const HASH_BYTES = 32;

/** Xet hex of the all-zero hash: the file hash of an empty file. */
export const ZERO_HASH_HEX = "0".repeat(64);

// Keys of the Xet hashing specification: spec data.
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

// Merkle groups end after the first child from the third on whose hash is 0 mod 4, or after 9.
const MEAN_BRANCHING_FACTOR = 4;
const MAX_CHILDREN = 9;

/** A merkle leaf or node: the raw 32-byte hash and the number of data bytes below it. */
export interface HashedRange {
  hash: Uint8Array;
  size: number;
}

/** The keyed BLAKE3 functions of the protocol; synchronous once created. */
export interface XetHasher {
  /** Starts the hash of a chunk whose bytes come in pieces. */
  beginChunk(): void;
  /** Adds the next piece of the chunk begun last. */
  updateChunk(piece: Uint8Array): void;
  /** Finishes the chunk begun last and returns its raw hash. */
  endChunk(): Uint8Array;
  /** The hash of one whole chunk. */
  chunkHash(data: Uint8Array): Uint8Array;
  /** Merkle root over chunks (the xorb hash); 32 zeros for none. */
  merkleRoot(leaves: readonly HashedRange[]): Uint8Array;
  /** File hash (a bucket's `xetHash`) over the file's chunks; 32 zeros for an empty file. */
  fileHash(leaves: readonly HashedRange[]): Uint8Array;
  /** Verification hash of a file term: over the raw hashes of the term's chunks, in order. */
  verificationHash(chunkHashes: readonly Uint8Array[]): Uint8Array;
}

/**
 * Converts raw hash bytes to the Xet string form: each 8-byte group read as a little-endian u64 and
 * printed as 16 hex digits.
 */
export function hashToHex(raw: Uint8Array): string {
  if (raw.length !== HASH_BYTES) throw new RangeError(`a Xet hash has 32 bytes, not ${raw.length}`);
  let out = "";
  for (let group = 0; group < HASH_BYTES; group += 8) {
    for (let i = 7; i >= 0; i--) out += HEX_BYTE[raw[group + i] as number];
  }
  return out;
}

/** Inverse of {@link hashToHex}; throws on anything but 64 hex digits. */
export function hexToHash(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new RangeError(`not a 64-digit hex Xet hash: ${hex.slice(0, 80)}`);
  const out = new Uint8Array(HASH_BYTES);
  for (let group = 0; group < 4; group++) {
    for (let i = 0; i < 8; i++) {
      const at = group * 16 + (7 - i) * 2;
      out[group * 8 + i] = Number.parseInt(hex.slice(at, at + 2), 16);
    }
  }
  return out;
}

/**
 * The keyed BLAKE3 of a raw chunk hash under `key`: how a CAS hides the chunk hashes of a global-dedup
 * answer (the shard footer's HMAC key). Asynchronous to create, synchronous to use.
 */
export async function createKeyedChunkHash(
  key: Uint8Array,
  options: XetHashOptions = {},
): Promise<(rawChunkHash: Uint8Array) => Uint8Array> {
  const keyed = await keyedBlake3(options.backend)(key);
  return (raw) => {
    keyed.init();
    keyed.update(raw);
    return keyed.digest();
  };
}

/** Creates the hasher; asynchronous since the WebAssembly fallback compiles its module. */
export async function createXetHasher(options: XetHashOptions = {}): Promise<XetHasher> {
  const create = keyedBlake3(options.backend);
  const [data, internal, file, verification] = await Promise.all([
    create(DATA_KEY),
    create(INTERNAL_NODE_KEY),
    create(new Uint8Array(HASH_BYTES)),
    create(VERIFICATION_KEY),
  ]);
  const digest = (hasher: KeyedBlake3, parts: readonly Uint8Array[]): Uint8Array => {
    hasher.init();
    for (const part of parts) hasher.update(part);
    return hasher.digest();
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

  const groupEnd = (nodes: readonly HashedRange[], from: number): number => {
    const remaining = nodes.length - from;
    if (remaining <= 2) return nodes.length;
    const end = Math.min(MAX_CHILDREN, remaining);
    for (let i = 2; i < end; i++) {
      // "hash mod 4" reads bytes 24..31 as a little-endian u64: only byte 24 decides it.
      const byte = (nodes[from + i] as HashedRange).hash[24] as number;
      if (byte % MEAN_BRANCHING_FACTOR === 0) return from + i + 1;
    }
    return from + end;
  };

  const merkleRoot = (leaves: readonly HashedRange[]): Uint8Array => {
    if (leaves.length === 0) return new Uint8Array(HASH_BYTES);
    let level: readonly HashedRange[] = leaves;
    while (level.length > 1) {
      const next: HashedRange[] = [];
      for (let from = 0; from < level.length;) {
        const end = groupEnd(level, from);
        next.push(mergeGroup(level.slice(from, end)));
        from = end;
      }
      level = next;
    }
    return (level[0] as HashedRange).hash;
  };

  return {
    beginChunk: () => data.init(),
    updateChunk: (piece) => data.update(piece),
    endChunk: () => data.digest(),
    chunkHash: (chunk) => digest(data, [chunk]),
    merkleRoot,
    fileHash: (leaves) =>
      leaves.length === 0 ? new Uint8Array(HASH_BYTES) : digest(file, [merkleRoot(leaves)]),
    verificationHash: (hashes) => digest(verification, hashes),
  };
}

/** The backend {@link createXetHasher} uses when none is named. */
export function defaultBlake3Backend(): Blake3Backend {
  return loadNativeBlake3() === null ? "wasm" : "native";
}

// --- internal ---

/** One keyed BLAKE3 state, reused hash after hash. */
interface KeyedBlake3 {
  /** Starts a new hash under the same key. */
  init(): void;
  update(piece: Uint8Array): void;
  /** The raw 32-byte hash of everything since `init`. */
  digest(): Uint8Array;
}

/** The part of @napi-rs/blake-hash this module uses. */
interface NativeBlake3 {
  Blake3Hasher: {
    newKeyed(key: Buffer): {
      reset(): void;
      update(input: Uint8Array): unknown;
      digestBuffer(): Buffer;
    };
  };
}

function keyedBlake3(backend: Blake3Backend | undefined): (key: Uint8Array) => Promise<KeyedBlake3> {
  const native = backend === "wasm" ? null : loadNativeBlake3();
  if (native === null) {
    if (backend === "native") throw new Error("the native BLAKE3 binary does not load on this platform");
    return async (key) => {
      const hasher = await createBLAKE3(256, key);
      return {
        init: () => void hasher.init(),
        update: (piece) => void hasher.update(piece),
        digest: () => hasher.digest("binary"),
      };
    };
  }
  return async (key) => {
    const hasher = native.Blake3Hasher.newKeyed(Buffer.from(key));
    return {
      // reset keeps the key: the state is the keyed one again.
      init: () => hasher.reset(),
      update: (piece) => void hasher.update(piece),
      digest: () => hasher.digestBuffer(),
    };
  };
}

/**
 * The native module, or null where no prebuilt binary exists for this platform (the package
 * installs only the one for the platform it runs on, and none for some). Node caches the module,
 * so asking again costs a lookup.
 */
function loadNativeBlake3(): NativeBlake3 | null {
  try {
    return createRequire(import.meta.url)("@napi-rs/blake-hash") as NativeBlake3;
  } catch {
    return null;
  }
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  byte.toString(16).padStart(2, "0"),
);
