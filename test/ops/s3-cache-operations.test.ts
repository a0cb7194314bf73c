import { afterAll, beforeAll } from "vitest";
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import { randomTestPrefix } from "../contract/store-contract.ts";
import { createTestBucket, describeWithS3, S3_TRANSPORTS, s3StoreEnv } from "../support/s3-test-env.ts";
import { runCacheOperationSuite } from "./cache-operations.ts";

describeWithS3("cache operations on S3", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  beforeAll(async () => void (bucket = await createTestBucket(s3)));
  afterAll(() => bucket?.cleanup());

  for (const transport of S3_TRANSPORTS) {
    runCacheOperationSuite({
      name: `s3 (${transport} transport)`,
      createStore: async () =>
        createS3Store({ bucket: bucket.bucket, prefix: randomTestPrefix(), env: s3StoreEnv(s3, transport) }),
    });
  }
});
