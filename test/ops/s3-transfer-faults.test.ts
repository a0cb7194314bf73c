/**
 * Fetches through the fault proxy before the S3 test server: bodies cut short, bytes flipped in
 * transit. Every entry is still installed, every byte verified, and what cannot be read names
 * its key and the cause.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { PartialFailureError } from "../../src/errors.ts";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { fetch, type FetchResult } from "../../src/ops/fetch.ts";
import { sync } from "../../src/ops/sync.ts";
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import type { Store } from "../../src/store/store.ts";
import { randomTestPrefix } from "../contract/store-contract.ts";
import { startS3FaultProxy, type S3FaultProxy } from "../support/s3-fault-proxy.ts";
import { createTestBucket, describeWithS3, s3StoreEnv } from "../support/s3-test-env.ts";
import { compileTransferFaultSource } from "../support/transfer-fault-source.ts";

const CV = "2.21.33363.0+82129205";
const MODEL = "org/model";
const ENTRIES = 40;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describeWithS3("fetch through a faulty S3 connection", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  let prefix: string;
  let work: string;
  let proxy: S3FaultProxy;
  let store: Store;
  let largeModules: string[];
  beforeAll(async () => {
    bucket = await createTestBucket(s3);
    prefix = randomTestPrefix();
    const compiled = await compileTransferFaultSource(ENTRIES, CV);
    const source = compiled.cacheDir;
    largeModules = compiled.largeModules;
    const direct = createS3Store({ bucket: bucket.bucket, prefix, env: s3StoreEnv(s3) });
    await sync({ store: direct, cacheDir: source, compilerVersion: CV, modelId: MODEL });
    await direct.close();
    await rm(source, { recursive: true, force: true });
  });
  afterAll(() => bucket?.cleanup());

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), "neff-faults-"));
    proxy = await startS3FaultProxy({ target: s3.endpoint, seed: 11 });
    store = createS3Store({
      bucket: bucket.bucket,
      prefix,
      env: { ...s3StoreEnv(s3), AWS_ENDPOINT_URL_S3: proxy.url },
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    });
  });
  afterEach(async () => {
    await store.close();
    await proxy.close();
    await rm(work, { recursive: true, force: true });
  });

  const fetchInto = (cacheDir: string): Promise<FetchResult> =>
    fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL });

  it("installs every entry when 10% of bodies are cut short", async () => {
    proxy.add({ kind: "truncate", method: "GET", probability: 0.1 });
    const result = await fetchInto(work);
    expect(result.failed).toEqual([]);
    expect(result.fetched).toHaveLength(ENTRIES);
    expect(proxy.injected().truncate).toBeGreaterThan(3);
  });

  it("resumes a large body where it broke off", async () => {
    proxy.add({
      kind: "truncate",
      method: "GET",
      path: new RegExp(`(${largeModules.map(escapeRegExp).join("|")})/model\\.neff$`),
      afterBytes: 1_500_000,
      times: 2,
    });
    const result = await fetchInto(work);
    expect(result.fetched).toHaveLength(ENTRIES);
    expect(proxy.injected().truncate).toBe(2);
    // Each retry asked only for the bytes after the ~1 MiB batch last written.
    const resumed = proxy.requests().filter((r) => r.range !== undefined);
    expect(resumed).toHaveLength(2);
    for (const request of resumed) expect(request.range).toMatch(/^bytes=1\d{6}-2999999$/);
  });

  it("installs every entry when 10% of bodies have a flipped byte, each verified by its manifest", async () => {
    proxy.add({ kind: "flip", method: "GET", path: /MODULE_[^/]+\/model\.neff$/, probability: 0.1 });
    const result = await fetchInto(work);
    expect(result.failed).toEqual([]);
    expect(result.fetched.every((entry) => entry.verifiedBy === "manifest")).toBe(true);
    expect(proxy.injected().flip).toBeGreaterThan(0);
  });

  it("names the key and the cause when a body keeps breaking off, and installs the rest", async () => {
    const victim = largeModules[0] ?? "";
    proxy.add({ kind: "truncate", method: "GET", path: new RegExp(`${escapeRegExp(victim)}/model\\.neff$`) });
    const error = await fetchInto(path.join(work, "cache")).catch((e: unknown) => e);
    if (!(error instanceof PartialFailureError)) throw error;
    const result = (error as PartialFailureError<FetchResult>).result;
    expect(result.fetched).toHaveLength(ENTRIES - 1);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.module).toBe(victim);
    expect(result.failed[0]?.error).toMatch(
      new RegExp(
        `${escapeRegExp(victim)}/model\\.neff.*broke off after \\d+ of \\d+ bytes.*\\(.*(aborted|ECONNRESET)`,
      ),
    );
    // Nothing of the failed entry is left behind, not even an empty staging dir.
    const versionDir = path.join(work, "cache", compilerVersionDir(CV));
    expect((await readdir(versionDir)).filter((name) => name.startsWith("."))).toEqual([]);
  });
});
