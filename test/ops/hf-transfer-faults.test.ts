/**
 * Fetches from the local Hub with bodies cut short mid-transfer (its `cut` fault on the resolve
 * route, which serves every read): every entry is still installed and verified, a large body is
 * read on from where it broke off, and what cannot be read names its key and the cause.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PartialFailureError } from "../../src/errors.ts";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { fetch, type FetchResult } from "../../src/ops/fetch.ts";
import { sync } from "../../src/ops/sync.ts";
import { createHfStore } from "../../src/store/hf/hf-store.ts";
import type { Store } from "../../src/store/store.ts";
import type { HubServer } from "../../tools/hub-server/start-hub-server.ts";
import { startHubServer } from "../../tools/hub-server/start-hub-server.ts";
import { compileTransferFaultSource } from "../support/transfer-fault-source.ts";

const CV = "2.21.33363.0+82129205";
const MODEL = "org/model";
const ENTRIES = 20;
const TOKEN = "hf_transfer_faults_write_0001";

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("fetch from a Hub whose bodies break off", () => {
  let server: HubServer;
  let work: string;
  let store: Store;
  let largeModules: string[];
  beforeAll(async () => {
    server = await startHubServer({ port: 0, tokens: [{ token: TOKEN, scope: "write" }], seed: 17 });
    const compiled = await compileTransferFaultSource(ENTRIES, CV);
    const source = compiled.cacheDir;
    largeModules = compiled.largeModules;
    const writer = hfStore();
    await writer.create();
    await sync({ store: writer, cacheDir: source, compilerVersion: CV, modelId: MODEL });
    await writer.close();
    await rm(source, { recursive: true, force: true });
  }, 60_000);
  afterAll(() => server?.close());

  function hfStore(): Store {
    return createHfStore({
      namespace: "neff",
      name: "cut-bodies",
      prefix: "",
      env: { HF_TOKEN: TOKEN, HF_ENDPOINT: server.url, HF_HOME: "/nonexistent-hf-home" },
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    });
  }

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), "neff-hf-faults-"));
    store = hfStore();
    logStart = server.stats.log().length;
  });
  afterEach(async () => {
    server.faults.clear();
    await store.close();
    await rm(work, { recursive: true, force: true });
  });

  const fetchInto = (cacheDir: string): Promise<FetchResult> =>
    fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
  let logStart = 0;
  const cutReads = (): number =>
    server.stats
      .log()
      .slice(logStart)
      .filter((entry) => entry.fault === "cut").length;

  it("installs every entry when 10% of bodies are cut short", async () => {
    server.faults.add({ route: "resolve", kind: "cut", probability: 0.1 });
    const result = await fetchInto(work);
    expect(result.failed).toEqual([]);
    expect(result.fetched).toHaveLength(ENTRIES);
    expect(result.fetched.every((entry) => entry.verifiedBy === "manifest")).toBe(true);
    expect(cutReads()).toBeGreaterThan(3);
  });

  it("reads a large body on from where it broke off", async () => {
    // Every body breaks off after 1.5 MB: the 3 MB NEFFs arrive only because each read goes on
    // from the bytes already written (read from the start, they would break off for good).
    server.faults.add({ route: "resolve", kind: "cut", afterBytes: 1_500_000 });
    const result = await fetchInto(work);
    expect(result.failed).toEqual([]);
    expect(result.fetched).toHaveLength(ENTRIES);
    expect(cutReads()).toBeGreaterThanOrEqual(2);
  });

  it("names the key and the cause when a body keeps breaking off, and installs the rest", async () => {
    const victim = largeModules[0] ?? "";
    // The victim's NEFF breaks off before its first byte, every time: no read makes progress.
    server.faults.add({
      route: "resolve",
      kind: "cut",
      afterBytes: 0,
      pathIncludes: `/${victim}/model.neff`,
    });
    const error = await fetchInto(path.join(work, "cache")).catch((e: unknown) => e);
    if (!(error instanceof PartialFailureError)) throw error;
    const result = (error as PartialFailureError<FetchResult>).result;
    expect(result.fetched).toHaveLength(ENTRIES - 1);
    expect(result.failed.map((failure) => failure.module)).toEqual([victim]);
    expect(result.failed[0]?.error).toMatch(
      new RegExp(`${escapeRegExp(victim)}/model\\.neff.*broke off after 0 of 3000000 bytes.*\\(.+\\)`),
    );
    // Nothing of the failed entries is left behind, not even an empty staging dir.
    const versionDir = path.join(work, "cache", compilerVersionDir(CV));
    expect((await readdir(versionDir)).filter((name) => name.startsWith("."))).toEqual([]);
  });
});
