import { createCipheriv, createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseShard } from "./shard-reader.ts";
import { parseXorb } from "../../../../tools/hub-server/parse-xorb.ts";
import { createXetHasher as createServerHasher } from "../../../../tools/hub-server/xet-hash.ts";
import { createXetChunker } from "./xet-chunker.ts";
import { xetFileHash } from "./xet-file-hash.ts";
import { createKeyedChunkHash, createXetHasher, hashToHex, hexToHash } from "./xet-hash.ts";
import { CHUNK_HEADER_BYTES, createXetUploadSession } from "./xet-upload-session.ts";
import type { DedupAnswer, ReadyXorb, XetUploadSession } from "./xet-upload-session.ts";

const MIB = 1024 * 1024;

function randomBytes(size: number, seed: number): Uint8Array {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed);
  return createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** The number of Xet chunks of `bytes`. */
function xetChunkCount(bytes: Uint8Array): number {
  const chunker = createXetChunker();
  return chunker.push(bytes).length + (chunker.pending() > 0 ? 1 : 0);
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

  it("holds a file back until its dedup query is answered, then refers to the stored chunks a keyed answer names", async () => {
    const hasher = await createXetHasher();
    const first = createXetUploadSession({ hasher, xorbDataBytes: MIB });
    const a = randomBytes(3 * MIB, 4);
    const stored = parseShard(upload(first, [a]).shard as Uint8Array).xorbs;
    expect(stored.length).toBeGreaterThan(1);
    // The CAS hides chunk hashes under the footer's key; the session must find them all the same.
    const keyedHash = await createKeyedChunkHash(new Uint8Array(32).fill(0x5a));
    const keyed = stored.map((xorb) => ({
      ...xorb,
      chunks: xorb.chunks.map((chunk) => ({ ...chunk, hash: hashToHex(keyedHash(hexToHash(chunk.hash))) })),
    }));

    // Two thirds of a, then 1 MiB that the CAS does not hold.
    const fresh = randomBytes(MIB, 5);
    const b = new Uint8Array(3 * MIB);
    b.set(a.subarray(0, 2 * MIB));
    b.set(fresh, 2 * MIB);
    const session = createXetUploadSession({ hasher, xorbDataBytes: MIB, globalDedup: true });
    session.beginFile();
    const sent: ReadyXorb[] = [];
    let query: string | undefined;
    for (let at = 0; at < b.length; at += 50_000) {
      session.push(b.subarray(at, at + 50_000));
      sent.push(...session.takeReadyXorbs());
      query ??= session.takeQueries()[0];
      // Answered while the next chunk is still arriving, a third of the way in.
      if (at >= MIB && query !== undefined && session.heldBytes() > 0) {
        expect(sent, "nothing is sent before the answer").toEqual([]);
        expect(session.heldBytes()).toBeGreaterThan(MIB - 200_000);
        session.answer(query, { xorbs: keyed, keyedHash });
        expect(session.heldBytes()).toBe(0);
      }
    }
    expect(query).toBeDefined();
    session.endInput();
    for (const later of session.takeQueries()) session.answer(later, null);
    const hash = session.endFile(createHash("sha256").update(b).digest());
    session.closeXorb();
    sent.push(...session.takeReadyXorbs());

    expect(hash).toBe(await xetFileHash([b]));
    const data = sent.reduce((sum, xorb) => sum + xorb.bytes.length, 0);
    expect(data).toBeGreaterThan(MIB);
    expect(data).toBeLessThan(MIB + 128 * 1024 + 64 * CHUNK_HEADER_BYTES);
    const shard = parseShard(session.takeShard() as Uint8Array);
    const terms = shard.files[0]?.terms ?? [];
    const storedHashes = new Set(stored.map((xorb) => xorb.hash));
    const fromStored = terms.filter((term) => storedHashes.has(term.xorb));
    expect(fromStored.reduce((sum, term) => sum + term.unpackedLength, 0)).toBeGreaterThan(
      2 * MIB - 128 * 1024,
    );
    expect(terms.reduce((sum, term) => sum + term.unpackedLength, 0)).toBe(b.length);
    // The shard lists only the xorbs this session made.
    expect(shard.xorbs.map((xorb) => xorb.hash)).toEqual(sent.map((xorb) => xorb.hash));
  });

  it("keeps answers under one key together, so a new chunk costs one keyed hash however many answers came", async () => {
    const hasher = await createXetHasher();
    const files = [1, 2, 3].map((seed) => randomBytes(MIB, 10 + seed));
    // Each file in xorbs of its own, so each file's query needs its own answer.
    const stored = files.map(
      (file) =>
        parseShard(upload(createXetUploadSession({ hasher, xorbDataBytes: MIB }), [file]).shard as Uint8Array)
          .xorbs,
    );
    const keyed = await createKeyedChunkHash(new Uint8Array(32).fill(0x33));
    let keyedCalls = 0;
    const keyedHash = (raw: Uint8Array): Uint8Array => {
      keyedCalls += 1;
      return keyed(raw);
    };
    const hidden = stored.map((xorbs) =>
      xorbs.map((xorb) => ({
        ...xorb,
        chunks: xorb.chunks.map((chunk) => ({ ...chunk, hash: hashToHex(keyed(hexToHash(chunk.hash))) })),
      })),
    );

    // Every stored file's query gets its own answer, all under the one key.
    const session = createXetUploadSession({ hasher, xorbDataBytes: MIB, globalDedup: true });
    const send = (file: Uint8Array, found: DedupAnswer | null): void => {
      session.beginFile();
      session.push(file);
      session.endInput();
      for (const query of session.takeQueries()) session.answer(query, found);
      session.endFile(createHash("sha256").update(file).digest());
    };
    files.forEach((file, index) =>
      send(file, { xorbs: hidden[index] as (typeof hidden)[number], keyedHash }),
    );
    session.closeXorb();
    expect(session.takeReadyXorbs(), "every chunk is stored already").toEqual([]);

    // A new file's chunks are in no answer: each is looked up under the key once, not once per
    // answer (its first chunk twice: before it is queried and when it is released).
    const fresh = randomBytes(MIB, 20);
    keyedCalls = 0;
    send(fresh, null);
    expect(keyedCalls).toBeGreaterThan(0);
    expect(keyedCalls).toBeLessThanOrEqual(xetChunkCount(fresh) + 1);
    session.closeXorb();
    const sent = session.takeReadyXorbs().reduce((sum, xorb) => sum + xorb.bytes.length, 0);
    expect(sent - fresh.length, "only the new file's bytes and chunk headers").toBeLessThan(
      64 * CHUNK_HEADER_BYTES,
    );
    expect(sent).toBeGreaterThan(fresh.length);
  });

  it("ends a file whose dedup query is unanswered, and refuses its shard until the answer", async () => {
    const session = createXetUploadSession({
      hasher: await createXetHasher(),
      xorbDataBytes: MIB,
      globalDedup: true,
    });
    session.beginFile();
    session.push(randomBytes(1000, 6));
    session.endInput();
    const queries = session.takeQueries();
    expect(queries).toHaveLength(1);
    session.endFile(new Uint8Array(32));
    session.closeXorb();
    expect(session.takeReadyXorbs()).toEqual([]);
    expect(() => session.takeShard()).toThrow(/unanswered/);
    session.answer(queries[0] as string, null);
    session.closeXorb();
    expect(session.takeReadyXorbs()).toHaveLength(1);
    expect(parseShard(session.takeShard() as Uint8Array).files[0]?.terms).toHaveLength(1);
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
