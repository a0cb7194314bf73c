/**
 * The fault proxy itself, against the S3 test server: each kind of fault does what it says to
 * the requests it picks and nothing to the others, so tests that rely on it test the client.
 */
import { Readable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import type { Store } from "../../src/store/store.ts";
import { randomTestPrefix } from "../contract/store-contract.ts";
import { startS3FaultProxy, type S3FaultProxy } from "./s3-fault-proxy.ts";
import { createTestBucket, describeWithS3, s3StoreEnv } from "./s3-test-env.ts";

const BODY = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 251));

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describeWithS3("S3 fault proxy", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  let proxy: S3FaultProxy;
  let store: Store;
  beforeAll(async () => {
    bucket = await createTestBucket(s3);
    proxy = await startS3FaultProxy({ target: s3.endpoint, seed: 7 });
    store = createS3Store({
      bucket: bucket.bucket,
      prefix: randomTestPrefix(),
      env: { ...s3StoreEnv(s3), AWS_ENDPOINT_URL_S3: proxy.url },
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
      idleTimeoutMs: 2_000,
    });
    await store.write("a/body.bin", { size: BODY.length, open: () => Readable.from([BODY]) });
  });
  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await bucket?.cleanup();
  });

  it("passes requests through untouched when no rule matches", async () => {
    proxy.add({ kind: "reset", method: "DELETE" });
    const body = await store.read("a/body.bin");
    expect((await readAll(body!)).equals(BODY)).toBe(true);
    proxy.clear();
  });

  it("answers 503 SlowDown with Retry-After, which the store retries", async () => {
    const before = proxy.injected().status ?? 0;
    proxy.add({ kind: "status", method: "GET", path: /body\.bin/, retryAfter: 0, times: 2 });
    const body = await store.read("a/body.bin");
    expect((await readAll(body!)).equals(BODY)).toBe(true);
    expect((proxy.injected().status ?? 0) - before).toBe(2);
    proxy.clear();
  });

  it("resets connections, which the store retries", async () => {
    proxy.add({ kind: "reset", method: "HEAD", times: 1 });
    expect((await store.stat("a/body.bin"))?.size).toBe(BODY.length);
    expect(proxy.injected().reset).toBe(1);
    proxy.clear();
  });

  it("cuts a body short after the bytes asked for", async () => {
    proxy.add({ kind: "truncate", method: "GET", path: /body\.bin/, afterBytes: 70_000, times: 1 });
    const body = await store.read("a/body.bin");
    const got: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of body as AsyncIterable<Buffer>) got.push(chunk);
      })(),
    ).rejects.toThrow();
    const received = Buffer.concat(got);
    expect(received.length).toBe(70_000);
    expect(received.equals(BODY.subarray(0, 70_000))).toBe(true);
    proxy.clear();
  });

  it("flips one byte of a body and keeps its length", async () => {
    proxy.add({ kind: "flip", method: "GET", path: /body\.bin/, atByte: 1234, times: 1 });
    const received = await readAll((await store.read("a/body.bin"))!);
    expect(received.length).toBe(BODY.length);
    expect(received[1234]).toBe(BODY[1234]! ^ 0xff);
    expect(Buffer.compare(received.subarray(1235), BODY.subarray(1235))).toBe(0);
    proxy.clear();
  });

  it("holds requests unanswered until the caller gives up", async () => {
    proxy.add({ kind: "hang", method: "PUT" });
    const write = store.write(
      "a/held.bin",
      { size: 3, open: () => Readable.from([Buffer.from("abc")]) },
      { signal: AbortSignal.timeout(500) },
    );
    await expect(write).rejects.toThrow();
    expect(proxy.requests().some((r) => r.method === "PUT" && r.fault === "hang")).toBe(true);
    proxy.clear();
    expect(await store.stat("a/held.bin")).toBeNull();
  });

  it("fires by a seeded rate: the same seed hits the same requests", async () => {
    const hitsWith = async (seed: number): Promise<boolean[]> => {
      const own = await startS3FaultProxy({
        target: s3.endpoint,
        seed,
        rules: [{ kind: "status", method: "HEAD", probability: 0.5 }],
      });
      const client = createS3Store({
        bucket: bucket.bucket,
        env: { ...s3StoreEnv(s3), AWS_ENDPOINT_URL_S3: own.url },
        retry: { maxAttempts: 1 },
      });
      const hits: boolean[] = [];
      for (let i = 0; i < 12; i++)
        hits.push(
          await client.stat("nothing-here").then(
            () => false,
            () => true,
          ),
        );
      await client.close();
      await own.close();
      return hits;
    };
    const first = await hitsWith(3);
    expect(await hitsWith(3)).toEqual(first);
    expect(first.filter(Boolean).length).toBeGreaterThan(0);
    expect(first.filter(Boolean).length).toBeLessThan(12);
  });
});
