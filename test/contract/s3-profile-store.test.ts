/**
 * An S3 store whose keys come from AWS_PROFILE and a credentials file, as `aws configure`
 * leaves them: the SDK transport's profile provider, through the store contract and the cache
 * operations on the real server.
 */
import { mkdtempSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createS3Store, s3TransportKind } from "../../src/store/s3/s3-store.ts";
import { StoreError } from "../../src/errors.ts";
import { runCacheOperationSuite } from "../ops/cache-operations.ts";
import { createTestBucket, describeWithS3, isolateAwsEnvironment } from "../support/s3-test-env.ts";
import { runS3StoreContract } from "./s3-store-contract.ts";
import { randomTestPrefix } from "./store-contract.ts";

describeWithS3("store: s3 with AWS_PROFILE", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  const dir = mkdtempSync(path.join(tmpdir(), "neff-aws-profile-"));
  beforeAll(async () => {
    bucket = await createTestBucket(s3);
    await writeFile(
      path.join(dir, "credentials"),
      [
        "[default]",
        "aws_access_key_id = NOT-THIS-ONE",
        "aws_secret_access_key = not-this-secret",
        "",
        "[neff-test]",
        `aws_access_key_id = ${s3.accessKeyId}`,
        `aws_secret_access_key = ${s3.secretAccessKey}`,
        "",
        "[neff-wrong]",
        `aws_access_key_id = ${s3.accessKeyId}`,
        "aws_secret_access_key = wrong-secret-789",
        "",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await bucket?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });
  isolateAwsEnvironment(() => ({
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "credentials"),
    AWS_CONFIG_FILE: path.join(dir, "config"),
    // The instance-role provider must not be what answers.
    AWS_EC2_METADATA_DISABLED: "true",
  }));

  const env = (profile = "neff-test") => ({
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_PROFILE: profile,
  });

  it("sends through the SDK transport, which reads the profile", () => {
    expect(s3TransportKind({ bucket: "b", env: env() })).toBe("sdk");
  });

  it("refuses a profile whose secret the server rejects, naming the credentials", async () => {
    const store = createS3Store({ bucket: bucket.bucket, env: env("neff-wrong") });
    const error = await store.stat("k").then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "E_STORE_AUTH", retryable: false });
    expect(`${(error as StoreError).message} ${(error as StoreError).hint}`).not.toContain(
      "wrong-secret-789",
    );
    await store.close();
  });

  runS3StoreContract({ name: "s3 (profile credentials)", s3, bucket: () => bucket.bucket, env });

  runCacheOperationSuite({
    name: "s3 (profile credentials)",
    createStore: async () => createS3Store({ bucket: bucket.bucket, prefix: randomTestPrefix(), env: env() }),
  });
});
