import { createCipheriv } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHubServer } from "../../../../tools/hub-server/start-hub-server.ts";
import type { HubServer } from "../../../../tools/hub-server/start-hub-server.ts";
import { createHfStore } from "../hf-store.ts";
import type { Store, WriteSource } from "../../store.ts";
import { xetFileHash } from "./xet-file-hash.ts";

const TOKEN = "hf_xet_upload_test_token_1";
const MIB = 1024 * 1024;
let server: HubServer;
let bucket = 0;
beforeAll(async () => {
  server = await startHubServer({ port: 0, tokens: [{ token: TOKEN, scope: "write" }] });
});
afterAll(() => server?.close());

async function freshStore(): Promise<Store> {
  const store = createHfStore({
    namespace: "ns",
    name: `upload-${++bucket}`,
    prefix: "",
    env: { HF_TOKEN: TOKEN, HF_ENDPOINT: server.url },
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  });
  await store.create();
  return store;
}

function randomBytes(size: number, seed: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed);
  return createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** A streamed source in 64 KiB pieces (no file path, no bytes in hand). */
function streamed(bytes: Uint8Array): WriteSource {
  return {
    size: bytes.length,
    open: () =>
      Readable.from(
        Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) =>
          bytes.subarray(i * 65536, (i + 1) * 65536),
        ),
      ),
  };
}

async function readAll(store: Store, key: string): Promise<Buffer> {
  const body = await store.read(key);
  const parts: Buffer[] = [];
  for await (const part of body as Readable) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe("Xet upload", () => {
  it("reads a local file's source from its path, in large reads, not through its stream", async () => {
    const store = await freshStore();
    const dir = await mkdtemp(join(tmpdir(), "xet-upload-"));
    try {
      const bytes = randomBytes(3 * MIB + 11, 9);
      const filePath = join(dir, "model.neff");
      await writeFile(filePath, bytes);
      const source: WriteSource = {
        size: bytes.length,
        filePath,
        open: () => {
          throw new Error("the stream of a file source should not be opened");
        },
      };
      const written = await store.write("from-path.neff", source);
      expect(written.object.xetHash).toBe(await xetFileHash([bytes]));
      expect((await readAll(store, "from-path.neff")).equals(bytes)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("registers the Xet hash computed locally, across xorbs, and reads the bytes back", async () => {
    const store = await freshStore();
    server.stats.reset();
    const files = [
      Buffer.alloc(0),
      Buffer.from("x"),
      randomBytes(5000, 1),
      randomBytes(1_000_000, 2),
      randomBytes(20 * MIB + 7, 3),
    ];
    const results = await store.writeMany!(
      files.map((bytes, i) => ({ key: `f${i}`, source: streamed(bytes) })),
    );
    for (const [i, bytes] of files.entries()) {
      const outcome = results[i];
      if (outcome?.ok !== true) throw outcome?.error ?? new Error(`no outcome for f${i}`);
      expect(outcome.result.object.xetHash).toBe(await xetFileHash([bytes]));
      expect((await store.stat(`f${i}`))?.xetHash).toBe(outcome.result.object.xetHash);
      expect((await readAll(store, `f${i}`)).equals(bytes)).toBe(true);
    }
    // 21 MiB of chunks in xorbs of at most 8 MiB: three xorbs, one shard.
    expect(server.stats.uploads()).toMatchObject({ xorbsInserted: 3, shardUploads: 1, filesInserted: 5 });
  });

  it("sends chunks already stored in the same upload once", async () => {
    const store = await freshStore();
    server.stats.reset();
    const a = randomBytes(3 * MIB, 4);
    const results = await store.writeMany!([
      { key: "a", source: streamed(a) },
      { key: "aa", source: streamed(Buffer.concat([a, a])) },
    ]);
    expect(results.map((outcome) => outcome.ok)).toEqual([true, true]);
    const sent = server.stats.uploads().xorbBytesInserted;
    expect(sent).toBeGreaterThan(3 * MIB);
    expect(sent).toBeLessThan(3 * MIB + 300 * 1024);
    expect((await readAll(store, "aa")).equals(Buffer.concat([a, a]))).toBe(true);
  });

  it("sends only the chunks the CAS does not hold when part of a file is stored already", async () => {
    const store = await freshStore();
    const a = randomBytes(6 * MIB, 10);
    await store.write("a", streamed(a));
    server.stats.reset();
    // The first 2 MiB and the last 3 MiB are a's; 1 MiB between them is new.
    const b = Buffer.concat([a.subarray(0, 2 * MIB), randomBytes(MIB, 11), a.subarray(3 * MIB)]);
    const written = await store.write("b", streamed(b));
    expect(written.object.xetHash).toBe(await xetFileHash([b]));
    const stats = server.stats.uploads();
    expect(stats.dedupHits).toBe(1);
    // The new MiB, plus the chunks where the content changes (at most 128 KiB on each side of each edge).
    expect(stats.xorbBytesInserted).toBeGreaterThan(MIB);
    expect(stats.xorbBytesInserted).toBeLessThan(MIB + 512 * 1024);
    expect((await readAll(store, "b")).equals(b)).toBe(true);
  });

  it("uploads every chunk when the dedup query fails", async () => {
    const store = await freshStore();
    const a = randomBytes(2 * MIB, 12);
    await store.write("a", streamed(a));
    server.stats.reset();
    const injectedBefore = server.faults.injected();
    server.faults.add({ route: "cas-chunk", kind: "status", status: 500 });
    try {
      const written = await store.write("again", streamed(a));
      expect(written.object.xetHash).toBe(await xetFileHash([a]));
      expect(server.stats.uploads()).toMatchObject({ dedupHits: 0, xorbUploads: 1 });
      expect(server.faults.injected() - injectedBefore).toBeGreaterThan(1); // retried first
      expect((await readAll(store, "again")).equals(a)).toBe(true);
    } finally {
      server.faults.clear();
    }
  });

  it("retries xorb and shard uploads the CAS answers with 503", async () => {
    const store = await freshStore();
    const injectedBefore = server.faults.injected();
    server.faults.add({ route: "cas-xorb", kind: "status", status: 503, times: 2 });
    server.faults.add({ route: "cas-shard", kind: "status", status: 503, times: 1 });
    try {
      const bytes = randomBytes(300_000, 5);
      const written = await store.write("k", streamed(bytes));
      expect(written.object.xetHash).toBe(await xetFileHash([bytes]));
      expect((await readAll(store, "k")).equals(bytes)).toBe(true);
      expect(server.faults.injected() - injectedBefore).toBe(3);
    } finally {
      server.faults.clear();
    }
  });

  it("fails with the CAS's reason on a refused xorb and registers nothing", async () => {
    const store = await freshStore();
    server.stats.reset();
    server.faults.add({ route: "cas-xorb", kind: "status", status: 400, times: 1 });
    try {
      const error = await store.write("k", streamed(randomBytes(300_000, 6))).then(
        () => new Error("no failure"),
        (failure: Error) => failure,
      );
      expect(error.message).toMatch(/cannot upload xorb [0-9a-f]{12} on hf:\/\/buckets\/ns\/upload-\d+: /);
      expect(error.message).not.toContain(TOKEN);
      expect(server.stats.uploads().shardUploads).toBe(0);
      expect(await store.stat("k")).toBeNull();
    } finally {
      server.faults.clear();
    }
  });

  it("fails when a source yields other than its declared size", async () => {
    const store = await freshStore();
    const bytes = randomBytes(1000, 7);
    const error = await store.write("k", { size: 2000, open: () => Readable.from([bytes]) }).then(
      () => new Error("no failure"),
      (failure: Error) => failure,
    );
    expect(error.message).toContain("expected 2000 bytes, read 1000");
    expect(await store.stat("k")).toBeNull();
  });
});
