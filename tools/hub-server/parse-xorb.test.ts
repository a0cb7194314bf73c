import { beforeAll, describe, expect, it } from "vitest";
import { COMPRESSION_BG4_LZ4, COMPRESSION_LZ4, ChunkDecodeError } from "./decode-chunk-payload.ts";
import { XorbFormatError, decodeXorbChunk, parseXorb } from "./parse-xorb.ts";
import { createXetHasher } from "./xet-hash.ts";
import type { XetHasher } from "./xet-hash.ts";
import { buildFixtureXorb } from "./xet-test-fixtures.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const frame = (...blocks: Uint8Array[]): Uint8Array => {
  const parts: Uint8Array[] = [Uint8Array.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x70, 0xdf])];
  for (const block of blocks) parts.push(block);
  parts.push(new Uint8Array(4));
  return Buffer.concat(parts);
};
const sized = (size: number, body: Uint8Array): Uint8Array => {
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32LE(size >>> 0, 0);
  out.set(body, 4);
  return out;
};

describe("parseXorb", () => {
  let hasher: XetHasher;
  beforeAll(async () => {
    hasher = await createXetHasher();
  });

  it("parses the 20-byte xorb of 'hello world\\n' and derives its hash", () => {
    const bytes = Uint8Array.from([0x00, 0x0c, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, ...text("hello world\n")]);
    const parsed = parseXorb(bytes, hasher);
    expect(parsed.hash).toBe("6899563fa6b6abb19b8ecdd9f662a6c9acfca9fd4ff9f513086ec6c5685193ab");
    expect(parsed.chunks).toEqual([{ hash: parsed.hash, offset: 0, end: 20, rawLength: 12 }]);
    expect(parsed.dataLength).toBe(20);
  });

  it("decodes LZ4-frame chunks with overlapping matches", () => {
    const block = Uint8Array.from([0x36, ...text("abc"), 0x03, 0x00, 0x50, ...text("bcabc")]);
    const data = text("abcabcabcabcabcabc");
    const xorb = buildFixtureXorb(hasher, [
      { data, encoded: { scheme: COMPRESSION_LZ4, payload: frame(sized(block.length, block)) } },
    ]);
    const parsed = parseXorb(xorb.bytes, hasher);
    expect(parsed.hash).toBe(xorb.hash);
    expect(Buffer.from(decodeXorbChunk(xorb.bytes, 0)).toString()).toBe("abcabcabcabcabcabc");
  });

  it("regroups byte-grouped chunks stored in an uncompressed LZ4 block", () => {
    const data = Uint8Array.from({ length: 10 }, (_, i) => i);
    const grouped = Uint8Array.from([0, 4, 8, 1, 5, 9, 2, 6, 3, 7]);
    const payload = frame(sized(0x80000000 | grouped.length, grouped));
    const xorb = buildFixtureXorb(hasher, [{ data, encoded: { scheme: COMPRESSION_BG4_LZ4, payload } }]);
    expect(Array.from(decodeXorbChunk(xorb.bytes, 0))).toEqual(Array.from(data));
    expect(parseXorb(xorb.bytes, hasher).hash).toBe(xorb.hash);
  });

  it("keeps chunk offsets of a multi-chunk xorb and stops at an info footer", () => {
    const xorb = buildFixtureXorb(hasher, [{ data: text("first") }, { data: text("second chunk") }]);
    const withFooter = Buffer.concat([xorb.bytes, text("XETBLOB"), new Uint8Array(20)]);
    const parsed = parseXorb(withFooter, hasher);
    expect(parsed.hash).toBe(xorb.hash);
    expect(parsed.chunks.map((c) => [c.offset, c.end, c.rawLength])).toEqual([
      [0, 13, 5],
      [13, 33, 12],
    ]);
    expect(parsed.dataLength).toBe(33);
  });

  it("rejects truncated, empty and undecodable xorbs", () => {
    const xorb = buildFixtureXorb(hasher, [{ data: text("hello") }]);
    expect(() => parseXorb(xorb.bytes.subarray(0, 10), hasher)).toThrow(XorbFormatError);
    expect(() => parseXorb(new Uint8Array(0), hasher)).toThrow(XorbFormatError);
    const bad = buildFixtureXorb(hasher, [
      { data: text("hello"), encoded: { scheme: COMPRESSION_LZ4, payload: text("not a frame") } },
    ]);
    expect(() => parseXorb(bad.bytes, hasher)).toThrow(ChunkDecodeError);
    const unknownScheme = buildFixtureXorb(hasher, [
      { data: text("hi"), encoded: { scheme: 9, payload: text("hi") } },
    ]);
    expect(() => parseXorb(unknownScheme.bytes, hasher)).toThrow(ChunkDecodeError);
  });
});
