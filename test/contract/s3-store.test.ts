import { afterAll, beforeAll } from "vitest";
import { createTestBucket, describeWithS3, S3_TRANSPORTS, s3StoreEnv } from "../support/s3-test-env.ts";
import { runS3StoreContract } from "./s3-store-contract.ts";

describeWithS3("store: s3", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  beforeAll(async () => void (bucket = await createTestBucket(s3)));
  afterAll(() => bucket?.cleanup());

  for (const transport of S3_TRANSPORTS) {
    runS3StoreContract({
      name: `s3 (${transport} transport)`,
      s3,
      bucket: () => bucket.bucket,
      env: () => s3StoreEnv(s3, transport),
    });
  }
});
