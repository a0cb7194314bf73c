import { beforeAll, describe, expect, it } from "vitest";
import { ShardFormatError, parseShard } from "../../src/store/hf/xet/shard-reader.ts";
import { ShardVerificationError, verifyShard } from "./verify-shard.ts";
import type { XorbRecord } from "./create-storage.ts";
import { parseXorb } from "./parse-xorb.ts";
import { ZERO_HASH_HEX, createXetHasher } from "./xet-hash.ts";
import type { XetHasher } from "./xet-hash.ts";
import { buildFixtureShard, buildFixtureXorb } from "./xet-test-fixtures.ts";
import type { FixtureXorb } from "./xet-test-fixtures.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("parseShard and verifyShard", () => {
  let hasher: XetHasher;
  let hello: FixtureXorb;
  let pair: FixtureXorb;
  const stored = new Map<string, XorbRecord>();
  const getXorb = (hash: string): XorbRecord | undefined => stored.get(hash);

  beforeAll(async () => {
    hasher = await createXetHasher();
    hello = buildFixtureXorb(hasher, [{ data: text("hello world\n") }]);
    pair = buildFixtureXorb(hasher, [{ data: text("one") }, { data: text("two") }, { data: text("three") }]);
    for (const xorb of [hello, pair]) {
      const parsed = parseXorb(xorb.bytes, hasher);
      stored.set(parsed.hash, { hash: parsed.hash, size: parsed.dataLength, chunks: parsed.chunks });
    }
  });

  it("reads the 584-byte shard of one one-chunk file", () => {
    const shard = buildFixtureShard(hasher, [{ terms: [{ xorb: hello, start: 0, end: 1 }] }], [hello]);
    expect(shard.length).toBe(584);
    const parsed = parseShard(shard);
    expect(parsed.files).toEqual([
      {
        hash: "a302d931b8763df0bfb9926b9ff26b11c2a77d5be8dde4ce1c8bb7202a6a8681",
        terms: [{ xorb: hello.hash, unpackedLength: 12, chunkStart: 0, chunkEnd: 1 }],
        verification: ["d84ad4e9bba4ab4d3e7ecfb8c052e405dfa5829c57cca7e9b1160501366b3b76"],
        sha256: null,
      },
    ]);
    expect(parsed.xorbs).toEqual([
      {
        hash: hello.hash,
        bytesInCas: 12,
        bytesOnDisk: 20,
        chunks: [{ hash: hello.hash, unpackedStart: 0, unpackedLength: 12 }],
      },
    ]);
    expect(verifyShard(parsed, getXorb, hasher)).toEqual([
      {
        hash: "a302d931b8763df0bfb9926b9ff26b11c2a77d5be8dde4ce1c8bb7202a6a8681",
        size: 12,
        terms: [{ xorb: hello.hash, unpackedLength: 12, chunkStart: 0, chunkEnd: 1 }],
      },
    ]);
  });

  it("accepts a shard without footer, an empty file and terms over several xorbs", () => {
    const files = [
      { terms: [] },
      {
        terms: [
          { xorb: pair, start: 1, end: 3 },
          { xorb: hello, start: 0, end: 1 },
        ],
      },
    ];
    const shard = buildFixtureShard(hasher, files, []);
    const noFooter = Buffer.from(shard.subarray(0, shard.length - 200));
    noFooter.writeBigUInt64LE(0n, 40);
    const records = verifyShard(parseShard(noFooter), getXorb, hasher);
    expect(records[0]).toEqual({ hash: ZERO_HASH_HEX, size: 0, terms: [] });
    expect(records[1]?.size).toBe(3 + 5 + 12);
  });

  it("rejects a wrong file hash, a missing xorb and a bad term length", () => {
    const wrongHash = buildFixtureShard(
      hasher,
      [{ terms: [{ xorb: hello, start: 0, end: 1 }], hash: "ab".repeat(32) }],
      [],
    );
    expect(() => verifyShard(parseShard(wrongHash), getXorb, hasher)).toThrow(ShardVerificationError);
    const unknown = buildFixtureXorb(hasher, [{ data: text("never uploaded") }]);
    const missing = buildFixtureShard(hasher, [{ terms: [{ xorb: unknown, start: 0, end: 1 }] }], [unknown]);
    expect(() => verifyShard(parseShard(missing), getXorb, hasher)).toThrow(/not uploaded/);
    const shard = Buffer.from(
      buildFixtureShard(hasher, [{ terms: [{ xorb: hello, start: 0, end: 1 }] }], []),
    );
    shard.writeUInt32LE(13, 96 + 36);
    expect(() => verifyShard(parseShard(shard), getXorb, hasher)).toThrow(/says 13 bytes/);
  });

  it("rejects a bad magic tag and a truncated section", () => {
    const shard = Buffer.from(
      buildFixtureShard(hasher, [{ terms: [{ xorb: hello, start: 0, end: 1 }] }], [hello]),
    );
    const badTag = Buffer.from(shard);
    badTag[0] = 0;
    expect(() => parseShard(badTag)).toThrow(ShardFormatError);
    const truncated = Buffer.from(shard.subarray(0, 150));
    truncated.writeBigUInt64LE(0n, 40);
    expect(() => parseShard(truncated)).toThrow(/truncated/);
  });
});
