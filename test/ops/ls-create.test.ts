import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/ops/create.ts";
import { listStore } from "../../src/ops/ls.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import type { Store } from "../../src/store/store.ts";
import { randomTestPrefix } from "../contract/store-contract.ts";
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3StoreEnv,
  testBucketName,
} from "../support/s3-test-env.ts";

const base = mkdtempSync(path.join(tmpdir(), "neff-ls-create-"));
afterAll(() => rm(base, { recursive: true, force: true }));

const text = (value: string) => ({
  size: Buffer.byteLength(value),
  open: () => Readable.from([Buffer.from(value)]),
});

async function fill(store: Store): Promise<void> {
  await store.write("neuronxcc-2.21/MODULE_1+a/model.neff", text("neff-bytes"));
  await store.write("neuronxcc-2.21/MODULE_1+a/model.done", text(""));
  await store.write("neuronxcc-2.21/org/model/task/MODULE_1+a/model.neff", text("neff-bytes"));
  await store.write("readme.txt", text("hello"));
}

function checkListings(name: string, open: () => Promise<Store>): void {
  it(`lists one level by default, sub-prefixes as dirs, keys relative to the root (${name})`, async () => {
    const store = await open();
    await fill(store);
    const top = await listStore({ store });
    expect(top.items.map((i) => `${i.type}:${i.key}`)).toEqual(["dir:neuronxcc-2.21", "file:readme.txt"]);
    expect(top).toMatchObject({ files: 1, dirs: 1, totalBytes: 5, url: store.url });
    const deep = await listStore({ store, prefix: "/neuronxcc-2.21/", recursive: true });
    expect(deep.prefix).toBe("neuronxcc-2.21");
    expect(deep.items.map((i) => i.key)).toEqual([
      "neuronxcc-2.21/MODULE_1+a/model.done",
      "neuronxcc-2.21/MODULE_1+a/model.neff",
      "neuronxcc-2.21/org/model/task/MODULE_1+a/model.neff",
    ]);
    expect(deep).toMatchObject({ files: 3, dirs: 0, totalBytes: 20 });
    expect(await listStore({ store, prefix: "nothing-here" })).toMatchObject({
      items: [],
      files: 0,
      totalBytes: 0,
    });
    await store.close();
  });
}

describe("listStore and createStore on a directory store", () => {
  checkListings("dir", async () => {
    const store = createDirStore({ root: path.join(base, randomTestPrefix()) });
    await store.create();
    return store;
  });

  it("creates the folder once and reports it already there the second time", async () => {
    const store = createDirStore({ root: path.join(base, "made", "here") });
    expect(await createStore({ store })).toEqual({ url: store.url, kind: "dir", created: true });
    expect(await createStore({ store })).toEqual({ url: store.url, kind: "dir", created: false });
  });
});

describeWithS3("listStore and createStore on S3", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  beforeAll(async () => void (bucket = await createTestBucket(s3)));
  afterAll(() => bucket?.cleanup());

  checkListings("s3", async () =>
    createS3Store({ bucket: bucket.bucket, prefix: randomTestPrefix(), env: s3StoreEnv(s3) }),
  );

  it("creates the bucket once and reports it already there the second time", async () => {
    const name = testBucketName();
    const store = createS3Store({ bucket: name, env: s3StoreEnv(s3) });
    try {
      expect(await createStore({ store })).toEqual({ url: `s3://${name}`, kind: "s3", created: true });
      expect(await createStore({ store })).toEqual({ url: `s3://${name}`, kind: "s3", created: false });
    } finally {
      await store.close();
      await removeTestBucket(s3, name);
    }
  });
});
