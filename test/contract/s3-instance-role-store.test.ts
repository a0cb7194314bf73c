/**
 * An S3 store on an instance role, as on a Trainium instance: no keys anywhere, the SDK
 * transport's provider chain fetching session credentials from IMDSv2 (a local metadata server
 * at AWS_EC2_METADATA_SERVICE_ENDPOINT), and a gate before the server that refuses unknown and
 * expired session tokens. The store contract and the cache operations run through it, and a
 * long sync outlives several tokens.
 */
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { StoreError } from "../../src/errors.ts";
import { fetch } from "../../src/ops/fetch.ts";
import { sync } from "../../src/ops/sync.ts";
import { createS3Store, s3TransportKind } from "../../src/store/s3/s3-store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";
import { runCacheOperationSuite } from "../ops/cache-operations.ts";
import { type InstanceRole, startInstanceRole } from "../support/instance-role.ts";
import { createTestBucket, describeWithS3, isolateAwsEnvironment } from "../support/s3-test-env.ts";
import { runS3StoreContract } from "./s3-store-contract.ts";
import { randomTestPrefix } from "./store-contract.ts";

const CV = "2.21.33363.0+82129205";

describeWithS3("store: s3 with instance-role credentials (IMDSv2)", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  let role: InstanceRole;
  const dir = mkdtempSync(path.join(tmpdir(), "neff-aws-role-"));
  // No keys, no profile, no files: only the instance role can answer
  // (set first, so the metadata endpoint below stays).
  isolateAwsEnvironment(() => ({
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "no-credentials"),
    AWS_CONFIG_FILE: path.join(dir, "no-config"),
    AWS_EC2_METADATA_V1_DISABLED: "true",
  }));

  beforeAll(async () => {
    bucket = await createTestBucket(s3);
    role = await startInstanceRole({
      s3Endpoint: s3.endpoint,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = role.metadataUrl;
  });
  afterAll(async () => {
    delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    await role?.close();
    await bucket?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });
  const env = () => ({ AWS_ENDPOINT_URL_S3: role.s3Url, AWS_REGION: s3.region });

  it("sends through the SDK transport, which asks the metadata server", async () => {
    expect(s3TransportKind({ bucket: "b", env: env() })).toBe("sdk");
    const store = createS3Store({ bucket: bucket.bucket, env: env() });
    const before = role.issued();
    expect(await store.exists()).toBe(true);
    expect(role.issued()).toBe(before + 1);
    expect(role.v1Attempts()).toBe(0);
    await store.close();
  });

  it("keeps a long sync going across expiring credentials, refreshing them", async () => {
    const cacheDir = path.join(dir, "cache-sync");
    const graphs = Array.from({ length: 30 }, (_, i) => `refresh-graph-${i}`);
    await simulateCompile({ graphs, cacheDir, compilerVersion: CV, neffBytes: 2_000 });
    // Tokens now want renewing after 300 ms and are refused 700 ms later; the gate holds each
    // request 40 ms, so the run spans several tokens.
    role.setLifetime(300);
    const slow = await startInstanceRole({
      s3Endpoint: s3.endpoint,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      lifetimeMs: 300,
      graceMs: 700,
      delayMs: 40,
    });
    const savedEndpoint = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = slow.metadataUrl;
    const prefix = randomTestPrefix();
    const store = createS3Store({
      bucket: bucket.bucket,
      prefix,
      env: { AWS_ENDPOINT_URL_S3: slow.s3Url, AWS_REGION: s3.region },
    });
    try {
      const published = await sync({
        store,
        cacheDir,
        compilerVersion: CV,
        modelId: "test-org/refresh",
        task: "t",
      });
      expect(published.failed).toEqual([]);
      expect(published.published).toHaveLength(graphs.length);
      const fetched = await fetch({
        store,
        cacheDir: path.join(dir, "cache-fetch"),
        compilerVersion: CV,
        modelId: "test-org/refresh",
        task: "t",
      });
      expect(fetched.fetched).toHaveLength(graphs.length);
      // A request signed just before its token's end may still arrive after it on a loaded
      // machine; such a refusal is retried with the renewed token, so nothing else is refused.
      expect(Object.keys(slow.rejected()).filter((code) => code !== "ExpiredToken")).toEqual([]);
      expect(slow.issued()).toBeGreaterThan(2);
    } finally {
      await store.close();
      await slow.close();
      process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = savedEndpoint;
      role.setLifetime(3_600_000);
    }
  });

  it("is refused with an expired session token that nothing refreshes, naming the credentials", async () => {
    const expiring = await startInstanceRole({
      s3Endpoint: s3.endpoint,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      // Long enough for the first request to arrive on a loaded machine.
      lifetimeMs: 2_000,
      graceMs: 0,
    });
    const credentials = expiring.issue();
    // Static keys with a session token: the fast transport, which signs with what it was given.
    const store = createS3Store({
      bucket: bucket.bucket,
      env: {
        AWS_ENDPOINT_URL_S3: expiring.s3Url,
        AWS_REGION: s3.region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.token,
      },
    });
    try {
      expect(await store.exists()).toBe(true);
      await sleep(2_500);
      // A GET, whose answer has a body naming the code (a HEAD's 400 names nothing).
      const error = await store.read("k").then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: "E_STORE_AUTH", retryable: false });
      expect(expiring.rejected()).toEqual({ ExpiredToken: 1 });
    } finally {
      await store.close();
      await expiring.close();
    }
  });

  runS3StoreContract({ name: "s3 (instance-role credentials)", s3, bucket: () => bucket.bucket, env });

  runCacheOperationSuite({
    name: "s3 (instance-role credentials)",
    createStore: async () => createS3Store({ bucket: bucket.bucket, prefix: randomTestPrefix(), env: env() }),
  });
});
