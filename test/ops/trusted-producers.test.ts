import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { createHfStore } from "../../src/store/hf/hf-store.ts";
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import type { HubServer } from "../../tools/hub-server/start-hub-server.ts";
import { startHubServer } from "../../tools/hub-server/start-hub-server.ts";
import { randomTestPrefix } from "../contract/store-contract.ts";
import { createTestBucket, describeWithS3, s3StoreEnv } from "../support/s3-test-env.ts";
import { runTrustSuite } from "./trusted-producers.ts";

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

runTrustSuite({
  name: "dir",
  createStore: async () => {
    const root = await mkdtemp(path.join(tmpdir(), "neff-trust-store-"));
    roots.push(root);
    return createDirStore({ root });
  },
});

describeWithS3("trusted producers on S3", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  beforeAll(async () => void (bucket = await createTestBucket(s3)));
  afterAll(() => bucket?.cleanup());
  runTrustSuite({
    name: "s3",
    createStore: async () =>
      createS3Store({ bucket: bucket.bucket, prefix: randomTestPrefix(), env: s3StoreEnv(s3) }),
  });
});

const TOKEN = "hf_trust_write_0123456789";
let server: HubServer | undefined;
let buckets = 0;
beforeAll(async () => {
  server = await startHubServer({ port: 0, tokens: [{ token: TOKEN, scope: "write" }] });
});
afterAll(async () => {
  await server?.close();
});
runTrustSuite({
  name: "hf (local Hub bucket server)",
  createStore: async () => {
    const env = { HF_TOKEN: TOKEN, HF_ENDPOINT: server?.url ?? "", HF_HOME: "/nonexistent-hf-home" };
    const store = createHfStore({ namespace: "neff", name: `trust-${++buckets}`, prefix: "", env });
    await store.create();
    return store;
  },
});
