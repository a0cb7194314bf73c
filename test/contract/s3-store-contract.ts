/**
 * The store contract on the S3 test server under a given environment (static keys, a transport,
 * a profile, instance-role credentials): the buckets the "uncreated" items make are removed with
 * the server's own keys, whatever credentials the store under test uses.
 */
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import type { S3TestEnv } from "../support/s3-test-env.ts";
import { removeTestBucket, testBucketName, withAdminClient } from "../support/s3-test-env.ts";
import { runStoreContract } from "./store-contract.ts";

export function runS3StoreContract(options: {
  name: string;
  s3: S3TestEnv;
  /** The shared test bucket (read when a test runs, after `beforeAll` made it). */
  bucket: () => string;
  /** The store's environment (read when a test runs). */
  env: () => Record<string, string | undefined>;
}): void {
  const { s3 } = options;
  runStoreContract({
    name: options.name,
    create: async (prefix) => createS3Store({ bucket: options.bucket(), prefix, env: options.env() }),
    partialUploads: {
      // RGW cannot backdate an upload's initiation: the sweeping store counts any as abandoned.
      leave: (prefix) =>
        withAdminClient(s3, async (client, sdk) => {
          await client.send(
            new sdk.CreateMultipartUploadCommand({ Bucket: options.bucket(), Key: `${prefix}/a/killed.bin` }),
          );
        }),
      openSweeping: async (prefix) =>
        createS3Store({ bucket: options.bucket(), prefix, env: options.env(), abandonedUploadMs: 0 }),
      count: (prefix) =>
        withAdminClient(s3, async (client, sdk) => {
          const out = await client.send(
            new sdk.ListMultipartUploadsCommand({ Bucket: options.bucket(), Prefix: `${prefix}/` }),
          );
          return out.Uploads?.length ?? 0;
        }),
    },
    createUncreated: async () => {
      const name = testBucketName();
      const store = createS3Store({ bucket: name, env: options.env() });
      const cleanup = () => removeTestBucket(s3, name);
      return { store, cleanup };
    },
  });
}
