import { createCipheriv, createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseShard } from "./shard-reader.ts";
import { parseXorb } from "../../../../tools/hub-server/parse-xorb.ts";
import { createXetHasher as createServerHasher } from "../../../../tools/hub-server/xet-hash.ts";
import { xetFileHash } from "./xet-file-hash.ts";
import { createXetHasher } from "./xet-hash.ts";
import { CHUNK_HEADER_BYTES, createXetUploadSession } from "./xet-upload-session.ts";
import type { ReadyXorb, XetUploadSession } from "./xet-upload-session.ts";

const MIB = 1024 * 1024;

function randomBytes(size: number, seed: number): Uint8Array {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed);
  return createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** Feeds `files` in pieces of `pieceBytes`, then ends the shard; returns what the session handed out. */
function upload(
  session: XetUploadSession,
  files: readonly Uint8Array[],
  pieceBytes = 300_000,
): { hashes: string[]; xorbs: ReadyXorb[]; shard: Uint8Array | null } {
  const xorbs: ReadyXorb[] = [];
  const hashes = files.map((file) => {
    session.beginFile();
    for (let at = 0; at < file.length; at += pieceBytes) {
      session.push(file.subarray(at, at + pieceBytes));
      xorbs.push(...session.takeReadyXorbs());
    }
    return session.endFile(createHash("sha256").update(file).digest());
  });
  session.closeXorb();
  xorbs.push(...session.takeReadyXorbs().map((xorb) => ({ ...xorb, bytes: xorb.bytes.slice() })));
  return { hashes, xorbs, shard: session.takeShard() };
}

describe("createXetUploadSession", () => {
  it("packs chunks into xorbs below the target that the local Hub's parser accepts", async () => {
    const hasher = await createXetHasher();
    const serverHasher = await createServerHasher();
    const session = createXetUploadSession({ hasher, xorbDataBytes: 2 * MIB });
    const file = randomBytes(7 * MIB + 12_345, 1);
    const { hashes, xorbs, shard } = upload(session, [file]);

    expect(hashes[0]).toBe(await xetFileHash([file]));
    expect(xorbs.length).toBe(4);
    let data = 0;
    for (const xorb of xorbs) {
      // The independent parser of the local Hub decodes and hashes every chunk again.
      const parsed = parseXorb(xorb.bytes, serverHasher);
      expect(parsed.hash).toBe(xorb.hash);
      const raw = parsed.chunks.reduce((sum, chunk) => sum + chunk.rawLength, 0);
      expect(raw).toBeLessThanOrEqual(2 * MIB);
      expect(xorb.bytes.length).toBe(raw + CHUNK_HEADER_BYTES * parsed.chunks.length);
      expect(parsed.dataLength).toBe(xorb.bytes.length);
      data += raw;
    }
    expect(data).toBe(file.length);

    const parsed = parseShard(shard as Uint8Array);
    expect(parsed.files).toHaveLength(1);
    const [entry] = parsed.files;
    expect(entry?.hash).toBe(hashes[0]);
    expect(entry?.sha256).toBe(createHash("sha256").update(file).digest("hex"));
    expect(entry?.terms.map((term) => term.xorb)).toEqual(xorbs.map((xorb) => xorb.hash));
    expect(entry?.terms.reduce((sum, term) => sum + term.unpackedLength, 0)).toBe(file.length);
    expect(entry?.verification).toHaveLength(4);
    expect(parsed.xorbs.map((xorb) => xorb.hash)).toEqual(xorbs.map((xorb) => xorb.hash));
    expect(parsed.xorbs.map((xorb) => xorb.bytesOnDisk)).toEqual(xorbs.map((xorb) => xorb.bytes.length));
  });

  it("stores a chunk seen before in the session once, and refers to it", async () => {
    const hasher = await createXetHasher();
    const session = createXetUploadSession({ hasher, xorbDataBytes: 16 * MIB });
    const a = randomBytes(3 * MIB, 2);
    const twice = new Uint8Array(6 * MIB);
    twice.set(a);
    twice.set(a, 3 * MIB);
    const { hashes, xorbs, shard } = upload(session, [a, a, twice]);

    expect(hashes[1]).toBe(hashes[0]);
    expect(hashes[2]).toBe(await xetFileHash([twice]));
    // The second copy of `a` inside `twice` re-synchronises on the first cut after the seam: only
    // the chunks around the seam are new.
    const stored = xorbs.reduce((sum, xorb) => sum + xorb.bytes.length, 0);
    expect(stored).toBeGreaterThan(3 * MIB);
    expect(stored).toBeLessThan(3 * MIB + 2 * 128 * 1024);
    const parsed = parseShard(shard as Uint8Array);
    expect(parsed.files.map((file) => file.hash)).toEqual([hashes[0], hashes[2]]);
    expect(parsed.files[1]?.terms.length).toBeGreaterThan(1);
  });

  it("registers an empty file with no term and sends no xorb", async () => {
    const session = createXetUploadSession({ hasher: await createXetHasher(), xorbDataBytes: 16 * MIB });
    const { hashes, xorbs, shard } = upload(session, [new Uint8Array(0)]);
    expect(hashes).toEqual(["0".repeat(64)]);
    expect(xorbs).toEqual([]);
    expect(parseShard(shard as Uint8Array).files).toEqual([
      expect.objectContaining({ hash: "0".repeat(64), terms: [] }),
    ]);
  });

  it("reuses the buffers of stored xorbs", async () => {
    const session = createXetUploadSession({ hasher: await createXetHasher(), xorbDataBytes: MIB });
    const buffers = new Set<ArrayBufferLike>();
    session.beginFile();
    const file = randomBytes(8 * MIB, 3);
    for (let at = 0; at < file.length; at += 64 * 1024) {
      session.push(file.subarray(at, at + 64 * 1024));
      for (const xorb of session.takeReadyXorbs()) {
        buffers.add(xorb.bytes.buffer);
        session.recycle(xorb);
      }
    }
    session.endFile(new Uint8Array(32));
    expect(buffers.size).toBeLessThanOrEqual(2);
  });

  it("refuses a xorb size outside the limits and calls out of order", async () => {
    const hasher = await createXetHasher();
    expect(() => createXetUploadSession({ hasher, xorbDataBytes: 65 * MIB })).toThrow(/at most 64 MiB/);
    const session = createXetUploadSession({ hasher, xorbDataBytes: MIB });
    expect(() => session.push(new Uint8Array(1))).toThrow(/no file begun/);
    session.beginFile();
    expect(() => session.takeShard()).toThrow(/still being read/);
  });
});
