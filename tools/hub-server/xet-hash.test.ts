import { beforeAll, describe, expect, it } from "vitest";
import { ZERO_HASH_HEX, createXetHasher, hashToHex, hexToHash } from "./xet-hash.ts";
import type { HashedRange, XetHasher } from "./xet-hash.ts";

const leaf = (hex: string, size: number): HashedRange => ({ hash: hexToHash(hex), size });
const A = "cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6";
const B = "c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72";
const C = "0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37";
const HELLO_CHUNK = "6899563fa6b6abb19b8ecdd9f662a6c9acfca9fd4ff9f513086ec6c5685193ab";

describe("xet hashing", () => {
  let hasher: XetHasher;
  beforeAll(async () => {
    hasher = await createXetHasher();
  });

  it("prints each 8-byte group of a hash as a little-endian u64", () => {
    const raw = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(hashToHex(raw)).toBe("07060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918");
    expect(hexToHash(hashToHex(raw))).toEqual(raw);
  });

  it("hashes chunks with the data key", () => {
    const hash = hasher.chunkHash(new TextEncoder().encode("hello world\n"));
    expect(Buffer.from(hash).toString("hex")).toBe(
      "b1abb6a63f569968c9a662f6d9cd8e9b13f5f94ffda9fcacab935168c5c66e08",
    );
    expect(hashToHex(hash)).toBe(HELLO_CHUNK);
    expect(hashToHex(hasher.chunkHash(new TextEncoder().encode("hello")))).toBe(
      "9076ba12d998050b9c95c8bf770f943e6cad55c7490a82b76cf1582a2a05c2c2",
    );
  });

  it("derives file, xorb and verification hashes of a one-chunk file", () => {
    const leaves = [leaf(HELLO_CHUNK, 12)];
    expect(hashToHex(hasher.merkleRoot(leaves))).toBe(HELLO_CHUNK);
    expect(hashToHex(hasher.fileHash(leaves))).toBe(
      "a302d931b8763df0bfb9926b9ff26b11c2a77d5be8dde4ce1c8bb7202a6a8681",
    );
    expect(hashToHex(hasher.verificationHash([hexToHash(HELLO_CHUNK)]))).toBe(
      "d84ad4e9bba4ab4d3e7ecfb8c052e405dfa5829c57cca7e9b1160501366b3b76",
    );
  });

  it("matches the xet-core aggregated-hash vectors", () => {
    expect(hashToHex(hasher.merkleRoot([]))).toBe(ZERO_HASH_HEX);
    expect(hashToHex(hasher.fileHash([]))).toBe(ZERO_HASH_HEX);
    expect(hashToHex(hasher.fileHash([leaf(ZERO_HASH_HEX, 0)]))).toBe(
      "638a6bc391964a85939d48f008e8bdbae6a7975e7ca2d87a3ce2492f4e4d8a4c",
    );
    expect(hashToHex(hasher.merkleRoot([leaf(A, 100)]))).toBe(A);
    expect(hashToHex(hasher.fileHash([leaf(A, 100)]))).toBe(
      "8e16257caa3fe079d484d872a8975264b2ff683b0d6db9028cc7c0f968a45661",
    );
    const three = [leaf(A, 100), leaf(B, 200), leaf(C, 300)];
    expect(hashToHex(hasher.merkleRoot(three))).toBe(
      "71ec1275fca074724e2dd666921b3277c7cee603e4d025bcab2d4050015be2bc",
    );
    expect(hashToHex(hasher.fileHash(three))).toBe(
      "54e55dccc6653c612bdb5576c5d3cb34bb31bc4e100248abccf4c908b3ef7715",
    );
    const many = Array.from({ length: 32 }, () => leaf(A, 100));
    expect(hashToHex(hasher.merkleRoot(many))).toBe(
      "0a0123c1617921883b7e13902095fcb86676e77c49120c33b233003b0af0e0a6",
    );
    expect(hashToHex(hasher.merkleRoot([leaf(HELLO_CHUNK, 12), leaf(HELLO_CHUNK, 12)]))).toBe(
      "e1326c87cb6b48e6611486776bb505d48f3d6077db0beb5b6deaf25fc96cd8c3",
    );
  });

  it("hashes a second small file to the known chunk and file hashes", () => {
    const chunk = hasher.chunkHash(new TextEncoder().encode("identical content!!\n"));
    expect(hashToHex(chunk)).toBe("290ef32ffc6baf5f60e537c58e55b0a2e56a8aab6644a7d6c1bd751e8d0e8f1c");
    expect(hashToHex(hasher.fileHash([{ hash: chunk, size: 20 }]))).toBe(
      "d20b04883a2e57ad7a5b03b7c68e5c72cb278969cf49b1889ad5f2bcb413ecea",
    );
  });

  it("rejects malformed hex", () => {
    expect(() => hexToHash("abc")).toThrow(RangeError);
  });
});
