import { afterAll, beforeAll } from "vitest";
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import { randomTestPrefix } from "../contract/store-contract.ts";
import { createTestBucket, describeWithS3, s3StoreEnv } from "../support/s3-test-env.ts";
import { runFleetOperationSuite } from "./fleet-operations.ts";

describeWithS3("fleet operations on S3", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  beforeAll(async () => void (bucket = await createTestBucket(s3)));
  afterAll(() => bucket?.cleanup());

  runFleetOperationSuite({
    name: "s3",
    createStore: async () =>
      createS3Store({ bucket: bucket.bucket, prefix: randomTestPrefix(), env: s3StoreEnv(s3) }),
    cliEnv: () => s3StoreEnv(s3),
    createSameStoreEnds: async () => {
      const fromPrefix = randomTestPrefix();
      const toPrefix = randomTestPrefix();
      const open = (prefix: string) => createS3Store({ bucket: bucket.bucket, prefix, env: s3StoreEnv(s3) });
      return {
        from: open(fromPrefix),
        to: open(toPrefix),
        sameStore: { store: open(""), fromPrefix, toPrefix },
      };
    },
  });
});
