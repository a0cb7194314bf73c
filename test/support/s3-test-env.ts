/**
 * The S3 test server's settings, read from NEFF_TEST_S3_* (printed by scripts/start-ceph.sh,
 * which `npm test` runs). Without them S3 suites are skipped with the reason, except in CI
 * (CI=true), where a missing server is a failure: those tests must run there.
 */
import { randomBytes } from "node:crypto";
import type * as S3Sdk from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, it } from "vitest";

export interface S3TestEnv {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** The variables the S3 suites read. */
export const S3_TEST_VARIABLES = [
  "NEFF_TEST_S3_ENDPOINT",
  "NEFF_TEST_S3_ACCESS_KEY_ID",
  "NEFF_TEST_S3_SECRET_ACCESS_KEY",
] as const;

/** The test server's settings, or null when they are not set. */
export function s3TestEnv(env: NodeJS.ProcessEnv = process.env): S3TestEnv | null {
  const endpoint = env.NEFF_TEST_S3_ENDPOINT;
  const accessKeyId = env.NEFF_TEST_S3_ACCESS_KEY_ID;
  const secretAccessKey = env.NEFF_TEST_S3_SECRET_ACCESS_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) return null;
  return { endpoint, accessKeyId, secretAccessKey, region: env.NEFF_TEST_S3_REGION || "us-east-1" };
}

/**
 * Both S3 transports: every S3 suite runs once through each, on the same server. The fast one
 * is what a custom endpoint with static keys gets; the SDK's is what AWS, profiles and instance
 * roles get, forced here with NEFF_CACHE_S3_TRANSPORT=sdk.
 */
export const S3_TRANSPORTS = ["fast", "sdk"] as const;

/** The environment a store reads to reach the test server (as a user would set it). */
export function s3StoreEnv(
  s3: S3TestEnv,
  transport: (typeof S3_TRANSPORTS)[number] = "fast",
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
    NEFF_CACHE_S3_TRANSPORT: transport,
  };
}

/**
 * `describe` for suites that need the S3 server: runs `body` when it is configured, reports
 * one skipped test naming the reason when not, and fails in CI when not.
 */
export function describeWithS3(name: string, body: (s3: S3TestEnv) => void): void {
  const s3 = s3TestEnv();
  if (s3 !== null) {
    describe(name, () => body(s3));
    return;
  }
  const reason = `${S3_TEST_VARIABLES.join(", ")} are not set (run \`npm test\`, or eval "$(bash scripts/start-ceph.sh)")`;
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has the S3 test server it needs", () => {
        throw new Error(`CI must run the S3 tests, but ${reason}.`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${reason})`, () => {
      it("runs against the S3 test server", () => {});
    });
  }
}

/**
 * Runs `fn` with an SDK client of the test server's own keys, independent of any store under
 * test, and destroys the client afterwards.
 */
export async function withAdminClient<T>(
  s3: S3TestEnv,
  fn: (client: S3Sdk.S3Client, sdk: typeof S3Sdk) => Promise<T>,
): Promise<T> {
  const sdk = await import("@aws-sdk/client-s3");
  const client = new sdk.S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  try {
    return await fn(client, sdk);
  } finally {
    client.destroy();
  }
}

/** A fresh, uniquely named bucket on the test server; `cleanup` empties and removes it. */
export async function createTestBucket(
  s3: S3TestEnv,
): Promise<{ bucket: string; cleanup: () => Promise<void> }> {
  const bucket = testBucketName();
  await withAdminClient(s3, (client, sdk) => client.send(new sdk.CreateBucketCommand({ Bucket: bucket })));
  return { bucket, cleanup: () => removeTestBucket(s3, bucket) };
}

/** Empties and removes `bucket` on the test server; a missing bucket is fine. */
export function removeTestBucket(s3: S3TestEnv, bucket: string): Promise<void> {
  return withAdminClient(s3, (client, sdk) => emptyAndRemoveBucket(client, sdk, bucket));
}

/** A bucket name no test has used: `neff-test-<12 hex>`. */
export function testBucketName(): string {
  return `neff-test-${randomBytes(6).toString("hex")}`;
}

/** Empties (objects and unfinished uploads) and deletes a bucket; a missing bucket is fine. */
export async function emptyAndRemoveBucket(
  client: S3Sdk.S3Client,
  sdk: typeof S3Sdk,
  bucket: string,
): Promise<void> {
  try {
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
      if (keys.length > 0)
        await client.send(new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    const uploads = await client.send(new sdk.ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const upload of uploads.Uploads ?? []) {
      await client.send(
        new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
      );
    }
    await client.send(new sdk.DeleteBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as { name?: string }).name !== "NoSuchBucket") throw error;
  }
}

/**
 * For a suite whose credentials come from the SDK's provider chain, which reads process.env
 * itself: before the suite, every AWS_* variable is removed and `vars` set (point the
 * credentials and config files at a test's own, and switch off what it must not reach);
 * afterwards the environment is restored.
 */
export function isolateAwsEnvironment(vars: () => Record<string, string>): void {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const name of Object.keys(process.env)) {
      if (name.startsWith("AWS_")) {
        saved[name] = process.env[name];
        delete process.env[name];
      }
    }
    for (const [name, value] of Object.entries(vars())) {
      if (!(name in saved)) saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
