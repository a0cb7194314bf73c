import { afterAll, beforeAll } from "vitest";
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import {
  createTestBucket,
  describeWithS3,
  emptyAndRemoveBucket,
  S3_TRANSPORTS,
  s3StoreEnv,
  testBucketName,
} from "../support/s3-test-env.ts";
import { runStoreContract } from "./store-contract.ts";

describeWithS3("store: s3", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  beforeAll(async () => void (bucket = await createTestBucket(s3)));
  afterAll(() => bucket?.cleanup());

  for (const transport of S3_TRANSPORTS) {
    runStoreContract({
      name: `s3 (${transport} transport)`,
      create: async (prefix) =>
        createS3Store({ bucket: bucket.bucket, prefix, env: s3StoreEnv(s3, transport) }),
      createUncreated: async () => {
        const name = testBucketName();
        const store = createS3Store({ bucket: name, env: s3StoreEnv(s3, transport) });
        const cleanup = async () => {
          const sdk = await import("@aws-sdk/client-s3");
          const client = new sdk.S3Client({
            endpoint: s3.endpoint,
            region: s3.region,
            forcePathStyle: true,
            credentials: s3,
          });
          await emptyAndRemoveBucket(client, sdk, name).finally(() => client.destroy());
        };
        return { store, cleanup };
      },
    });
  }
});
