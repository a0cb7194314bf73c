/**
 * The store contract on the S3 test server under a given environment (static keys, a transport,
 * a profile, instance-role credentials): the buckets the "uncreated" items make are removed with
 * the server's own keys, whatever credentials the store under test uses.
 */
import type * as S3Sdk from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import type { S3TestEnv } from "../support/s3-test-env.ts";
import { emptyAndRemoveBucket, testBucketName } from "../support/s3-test-env.ts";
import { runStoreContract } from "./store-contract.ts";

/** Runs `fn` with an SDK client of the server's own keys, independent of the store under test. */
async function withClient<T>(
  s3: S3TestEnv,
  fn: (client: S3Client, sdk: typeof S3Sdk) => Promise<T>,
): Promise<T> {
  const sdk = await import("@aws-sdk/client-s3");
  const client = new sdk.S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: s3,
  });
  try {
    return await fn(client, sdk);
  } finally {
    client.destroy();
  }
}

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
        withClient(s3, async (client, sdk) => {
          await client.send(
            new sdk.CreateMultipartUploadCommand({ Bucket: options.bucket(), Key: `${prefix}/a/killed.bin` }),
          );
        }),
      openSweeping: async (prefix) =>
        createS3Store({ bucket: options.bucket(), prefix, env: options.env(), abandonedUploadMs: 0 }),
      count: (prefix) =>
        withClient(s3, async (client, sdk) => {
          const out = await client.send(
            new sdk.ListMultipartUploadsCommand({ Bucket: options.bucket(), Prefix: `${prefix}/` }),
          );
          return out.Uploads?.length ?? 0;
        }),
    },
    createUncreated: async () => {
      const name = testBucketName();
      const store = createS3Store({ bucket: name, env: options.env() });
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
