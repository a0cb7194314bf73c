/**
 * Publishing that converges: sync under injected store faults (the local Hub's fault rules, the
 * S3 fault proxy before the test server, a blocked directory), and sync stopped between any two
 * phases, or the real CLI killed at any moment, then run again. After the last run every entry
 * is complete in every area and verifiable by its manifest, checked by reading the store back.
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isAbortError, PartialFailureError } from "../../src/errors.ts";
import { compilerVersionDir, flatEntryKey, modelEntryKey } from "../../src/layout/cache-layout.ts";
import { ENTRY_MANIFEST_FILE } from "../../src/layout/entry-files.ts";
import { parseManifest } from "../../src/layout/entry-manifest.ts";
import type { SyncOptions, SyncResult } from "../../src/ops/sync.ts";
import { sync } from "../../src/ops/sync.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { createHfStore } from "../../src/store/hf/hf-store.ts";
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import type { Store } from "../../src/store/store.ts";
import type { SyncPhase } from "../../src/transfer/plan-sync.ts";
import { SYNC_PHASES } from "../../src/transfer/plan-sync.ts";
import type { HubServer } from "../../tools/hub-server/start-hub-server.ts";
import { startHubServer } from "../../tools/hub-server/start-hub-server.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";
import { randomTestPrefix, readObject } from "../contract/store-contract.ts";
import type { S3FaultProxy } from "../support/s3-fault-proxy.ts";
import { startS3FaultProxy } from "../support/s3-fault-proxy.ts";
import { runCliCaptured } from "../support/run-cli.ts";
import { createTestBucket, describeWithS3, s3StoreEnv } from "../support/s3-test-env.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CV = "2.21.33363.0+82129205";
const MODEL = "org/faulty";
const TASK = "default";
const GRAPHS = Array.from({ length: 12 }, (_, i) => `graph-${i}`);

let work: string;
let cacheDir: string;
let modules: string[];
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-publish-faults-"));
  cacheDir = path.join(work, "cache");
  const compiled = await simulateCompile({
    graphs: GRAPHS,
    cacheDir,
    compilerVersion: CV,
    neffBytes: 60_000,
  });
  modules = compiled.modules.map((module) => module.name).sort();
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const syncTo = (store: Store, extra: Partial<SyncOptions> = {}): Promise<SyncResult> =>
  sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK, ...extra });

/** A run that may fail some entries: its result either way. */
async function settledSync(store: Store, extra: Partial<SyncOptions> = {}): Promise<SyncResult> {
  try {
    return await syncTo(store, extra);
  } catch (error) {
    if (error instanceof PartialFailureError) return error.result as SyncResult;
    throw error;
  }
}

/**
 * Every local entry, in both areas: a manifest that lists exactly the local files, and store
 * bytes whose sha256 is the manifest's. Read back through the store, independently of sync.
 */
/** Faults injected by the server or proxy in front of the store: how many, and how to stop them. */
interface InjectedFaults {
  count: () => number;
  clear: () => void;
}

/** One sync under `faults` publishes every entry, and the store is verifiable afterwards. */
async function expectPublishedInOneRun(store: Store, faults: InjectedFaults): Promise<void> {
  const result = await syncTo(store);
  expect(faults.count()).toBeGreaterThan(0);
  expect(result.failed).toEqual([]);
  expect(result.published.map((entry) => entry.module)).toEqual(modules);
  faults.clear();
  await expectVerifiable(store);
  await store.close();
}

/** Syncs under `faults` leave nothing failed within three runs, and the store is verifiable. */
async function expectConvergedWithinThreeRuns(
  store: Store,
  faults: InjectedFaults,
  minInjected: number,
): Promise<void> {
  let runs = 0;
  let failed = modules.length;
  while (failed > 0 && runs < 3) {
    runs += 1;
    failed = (await settledSync(store)).failed.length;
  }
  expect(faults.count()).toBeGreaterThan(minInjected);
  expect(failed).toBe(0);
  faults.clear();
  await expectVerifiable(store);
  await store.close();
}

async function expectVerifiable(store: Store): Promise<void> {
  const versionDir = path.join(cacheDir, compilerVersionDir(CV));
  for (const module of modules) {
    const names = (await readdir(path.join(versionDir, module)))
      .filter((name) => !name.endsWith(".lock") && name !== ENTRY_MANIFEST_FILE)
      .sort();
    for (const keyOf of [
      (file: string) => flatEntryKey({ compilerVersion: CV, module, file }),
      (file: string) => modelEntryKey({ compilerVersion: CV, modelId: MODEL, task: TASK, module, file }),
    ]) {
      const text = await readObject(store, keyOf(ENTRY_MANIFEST_FILE));
      expect(text, `${keyOf(ENTRY_MANIFEST_FILE)} exists`).not.toBeNull();
      const parsed = parseManifest((text as Buffer).toString("utf8"));
      if (!parsed.ok) throw new Error(`${keyOf(ENTRY_MANIFEST_FILE)}: ${parsed.reason}`);
      expect(parsed.manifest.files.map((file) => file.name)).toEqual(names);
      for (const file of parsed.manifest.files) {
        const local = await readFile(path.join(versionDir, module, file.name));
        const remote = await readObject(store, keyOf(file.name));
        expect(remote?.length, keyOf(file.name)).toBe(file.size);
        expect(sha256(remote as Buffer), keyOf(file.name)).toBe(file.sha256);
        expect(sha256(local)).toBe(file.sha256);
      }
    }
  }
}

/**
 * Stops a run as a kill would: at the start of `phase`, or midway through it (once a few of its
 * writes landed, or its first bytes moved when the phase is one batch).
 */
async function stoppedSync(store: Store, phase: SyncPhase, midway: boolean): Promise<void> {
  const controller = new AbortController();
  let current: SyncPhase | null = null;
  let landed = 0;
  // From outside the store's own callbacks, as a signal or a Ctrl-C arrives.
  const stop = (): void => void setImmediate(() => controller.abort());
  const counting: Store = {
    ...store,
    write: async (key, source, options) => {
      const result = await store.write(key, source, options);
      if (midway && current === phase && ++landed === 3) stop();
      return result;
    },
  };
  const failure = await syncTo(counting, {
    signal: controller.signal,
    onPhase: (started) => {
      current = started;
      if (started === phase && !midway) controller.abort();
    },
    onProgress: (event) => {
      if (midway && current === phase && event.type === "bytes") stop();
    },
  }).catch((error: unknown) => error);
  expect(isAbortError(failure), `stopped at ${phase}${midway ? " midway" : ""}`).toBe(true);
}

/** Where the real CLI publishes: the store (read back by the test), its --bucket and environment. */
interface CliTarget {
  store: Store;
  bucket: string;
  env: Record<string, string>;
}

/**
 * kill -9 of the real CLI during a sync, three times in a row on one store: once the store holds
 * 1, 50 and 110 of the 120 files the sync writes (early, midway, late), then a sync that must
 * leave every entry complete and verifiable by its manifest.
 */
function killedCliTests(name: string, target: () => Promise<CliTarget>): void {
  it(`${name}: repairs after the real CLI is killed with SIGKILL early, midway and late in a sync`, async () => {
    const { store, ...cli } = await target();
    try {
      const objects = async (): Promise<number> => {
        let count = 0;
        for await (const item of store.list("", { recursive: true })) if (item.type === "file") count++;
        return count;
      };
      const killedAt: number[] = [];
      for (const files of [1, 50, 110]) {
        const run = await cliSync({ store, ...cli }, async () => (await objects()) >= files);
        if (run.signal === "SIGKILL") killedAt.push(await objects());
      }
      const repaired = await syncTo(store);
      expect(repaired.failed).toEqual([]);
      await expectVerifiable(store);
      // Some kill struck with the store incomplete (a run may also end before its moment).
      const complete = await objects();
      expect(
        killedAt.filter((count) => count < complete).length,
        `killed at ${killedAt.join(", ")} of ${complete}`,
      ).toBeGreaterThan(0);
      const after = await syncTo(store);
      expect(after.published).toEqual([]);
    } finally {
      await store.close();
    }
  }, 180_000);
}

/** One CLI sync, killed with SIGKILL as soon as `killWhen` says so, unless it ended first. */
async function cliSync(
  target: CliTarget,
  killWhen: () => Promise<boolean>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, "bin/neff-cache.js"),
      "sync",
      MODEL,
      "--task",
      TASK,
      "--bucket",
      target.bucket,
      "--cache-dir",
      cacheDir,
      "--compiler-version",
      CV,
      "--json",
    ],
    { stdio: "ignore", env: { PATH: process.env.PATH, HOME: work, ...target.env } },
  );
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on("exit", (code, signal) => resolve([code, signal])),
  );
  let ended = false;
  void exited.then(() => (ended = true));
  while (!ended && !(await killWhen())) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!ended) child.kill("SIGKILL");
  const [code, signal] = await exited;
  return { code, signal };
}

/** Stops a sync at every phase boundary and midway through each phase; the next run repairs. */
function stopAndRepairTests(name: string, fresh: () => Promise<Store>): void {
  for (const phase of SYNC_PHASES) {
    for (const midway of [false, true]) {
      it(`${name}: a run stopped ${midway ? "midway through" : "before"} the ${phase} phase is repaired by the next`, async () => {
        const store = await fresh();
        try {
          await stoppedSync(store, phase, midway);
          const second = await syncTo(store);
          expect(second.failed).toEqual([]);
          expect(second.published.length + second.skipped.length).toBe(modules.length);
          await expectVerifiable(store);
          const third = await syncTo(store);
          expect(third.published).toEqual([]);
          expect(third.bytes).toBe(0);
        } finally {
          await store.close();
        }
      }, 120_000);
    }
  }
}

/**
 * Bytes changed in the store after they were published, keeping their size (bit rot, a writer
 * that is not neff-cache), under a valid manifest. Where the listings carry content hashes (S3
 * MD5s, Xet hashes) a plain sync sees the two areas' copies differ, reads back those two and
 * sends the changed one; a directory store's listing cannot tell, so a plain sync trusts the
 * manifest and the size, as rsync trusts size and time, and `verify` reads every file back.
 * Either way only the changed file (and a manifest) is sent.
 */
function corruptionTests(name: string, fresh: () => Promise<Store>, listingsTell: boolean): void {
  it(`${name}: ${listingsTell ? "a sync" : "a sync with verify"} finds a file changed in one area under a valid manifest and sends only it`, async () => {
    const store = await fresh();
    try {
      await syncTo(store);
      const victim = modules[2] as string;
      const key = modelEntryKey({
        compilerVersion: CV,
        modelId: MODEL,
        task: TASK,
        module: victim,
        file: "model.neff",
      });
      const original = (await readObject(store, key)) as Buffer;
      const damaged = Buffer.from(original);
      const middle = damaged.length >> 1;
      damaged[middle] = (damaged[middle] as number) ^ 0xff;
      await store.write(key, { size: damaged.length, open: () => Readable.from([damaged]) });
      const { store: counting, reads } = recordingReads(store);
      const plain = await syncTo(counting);
      if (!listingsTell) {
        expect(plain.published).toEqual([]);
        reads.length = 0;
      }
      const repaired = listingsTell ? plain : await syncTo(counting, { verify: true });
      expect(repaired.failed).toEqual([]);
      expect(repaired.published.map((entry) => [entry.module, entry.reasons])).toEqual([
        [victim, ["model area: model.neff differs from the local bytes"]],
      ]);
      const neffReads = reads.filter((readKey) => readKey.endsWith("/model.neff"));
      // Both copies of the disputed file and nothing else, or (verify) every NEFF in both areas.
      expect(neffReads.length).toBe(listingsTell ? 2 : modules.length * 2);
      // The NEFF and one manifest; every other file stays as it was.
      expect(repaired.bytes - original.length).toBeGreaterThanOrEqual(0);
      expect(repaired.bytes - original.length).toBeLessThan(4096);
      expect(sha256((await readObject(store, key)) as Buffer)).toBe(sha256(original));
      await expectVerifiable(store);
      const again = await syncTo(store, { verify: true });
      expect(again.published).toEqual([]);
    } finally {
      await store.close();
    }
  }, 120_000);
}

/**
 * A warm sync (everything published, nothing changed) costs the listings and, where the listing
 * carries no content hash to match the kept manifest against, one manifest read per area.
 */
function warmSyncTests(name: string, fresh: () => Promise<Store>, vouches: boolean): void {
  it(`${name}: a sync with nothing to send reads ${vouches ? "no manifest (the listing's content hash vouches for the kept copy)" : "only the manifests (its listing carries no content hash)"}, and still repairs a damaged one`, async () => {
    const store = await fresh();
    await syncTo(store);
    const { store: counting, reads } = recordingReads(store);
    const warm = await syncTo(counting);
    expect(warm.published).toEqual([]);
    expect(reads.every((key) => key.endsWith(ENTRY_MANIFEST_FILE))).toBe(true);
    expect(reads.length).toBe(vouches ? 0 : modules.length * 2);
    // Same size, other bytes: the listing's hash no longer matches the kept copy (or, without
    // one, the manifest read back does not), so it is read and rewritten.
    const key = flatEntryKey({
      compilerVersion: CV,
      module: modules[0] as string,
      file: ENTRY_MANIFEST_FILE,
    });
    const original = (await readObject(store, key)) as Buffer;
    const damaged = Buffer.from(original);
    damaged[0] = 0x78;
    await store.write(key, { size: damaged.length, open: () => Readable.from([damaged]) });
    const repaired = await syncTo(counting);
    expect(reads).toContain(key);
    expect(repaired.failed).toEqual([]);
    // A new manifest, valid again (its time is this run's, so not the original bytes).
    expect(await readObject(store, key)).not.toEqual(damaged);
    await expectVerifiable(store);
    await store.close();
  }, 120_000);
}

describe("publishing under faults: hf (local Hub)", () => {
  const TOKEN = "hf_publish_faults_write_0001";
  let server: HubServer;
  let buckets = 0;
  beforeAll(async () => {
    server = await startHubServer({ port: 0, tokens: [{ token: TOKEN, scope: "write" }], seed: 11 });
  });
  afterAll(() => server?.close());
  afterEach(() => server.faults.clear());
  const hubFaults = (): InjectedFaults => ({
    count: () => server.faults.injected(),
    clear: () => server.faults.clear(),
  });
  /** `rate` of the requests on every route a sync uses fail: 503s, 429s and dropped connections. */
  const failEveryRoute = (rate: number): void => {
    for (const route of ["cas-xorb", "cas-shard", "batch", "tree", "paths-info"]) {
      server.faults.add({ route, kind: "status", status: 503, probability: rate * 0.4 });
      server.faults.add({ route, kind: "status", status: 429, retryAfter: 0, probability: rate * 0.3 });
      server.faults.add({ route, kind: "drop", probability: rate * 0.3 });
    }
  };
  const fresh = async (): Promise<Store> => {
    const store = createHfStore({
      namespace: "neff",
      name: `faults-${++buckets}`,
      prefix: "",
      env: { HF_TOKEN: TOKEN, HF_ENDPOINT: server.url, HF_HOME: "/nonexistent-hf-home" },
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    });
    await store.create();
    return store;
  };

  it("publishes everything in one run with 10% of batch operations failing", async () => {
    const store = await fresh();
    server.faults.add({ route: "batch", kind: "batch-fail", probability: 0.1 });
    await expectPublishedInOneRun(store, hubFaults());
  }, 120_000);

  it("publishes everything in one run with 10% of every request failing (503, 429, dropped connections)", async () => {
    const store = await fresh();
    failEveryRoute(0.1);
    await expectPublishedInOneRun(store, hubFaults());
  }, 120_000);

  it("converges within three runs with 30% of every request failing (503, 429, dropped connections)", async () => {
    const store = await fresh();
    failEveryRoute(0.3);
    await expectConvergedWithinThreeRuns(store, hubFaults(), 5);
  }, 180_000);

  it("converges within three runs with 30% of batch operations failing", async () => {
    const store = await fresh();
    server.faults.add({ route: "batch", kind: "batch-fail", probability: 0.3 });
    await expectConvergedWithinThreeRuns(store, hubFaults(), 10);
  }, 180_000);

  it("completes every other entry when one file is always refused, and gives that entry its own error", async () => {
    const store = await fresh();
    const victim = modules[3] as string;
    const refused = `${compilerVersionDir(CV)}/${MODEL}/${TASK}/${victim}/model.neff`;
    server.faults.add({ route: "batch", kind: "batch-fail", paths: [refused], error: "quota exceeded" });
    const first = await settledSync(store);
    expect(first.failed.map((failure) => failure.module)).toEqual([victim]);
    expect(first.failed[0]?.error).toContain(`${victim}/model.neff`);
    expect(first.failed[0]?.error).toContain("quota exceeded");
    expect(first.published.map((entry) => entry.module)).toEqual(modules.filter((m) => m !== victim));
    expect(
      await store.stat(
        modelEntryKey({
          compilerVersion: CV,
          modelId: MODEL,
          task: TASK,
          module: victim,
          file: "model.done",
        }),
      ),
    ).toBeNull();
    server.faults.clear();
    const second = await syncTo(store);
    expect(second.published.map((entry) => entry.module)).toEqual([victim]);
    // The flat area holds the entry's files already (read back and kept): only its done marker
    // and manifest are missing there.
    expect(second.published[0]?.reasons).toEqual([
      "flat area: model.done is missing",
      "model area: model.done is missing; model.neff is missing",
    ]);
    await expectVerifiable(store);
    await store.close();
  }, 120_000);

  warmSyncTests("hf", fresh, true);
  stopAndRepairTests("hf", fresh);
  corruptionTests("hf", fresh, true);
  killedCliTests("hf", async () => {
    const store = await fresh();
    // Files appear a batch at a time, so on a loaded machine the listing that watches for the
    // kill moment could miss every moment between batches; slower batches keep each one open.
    server.faults.add({ route: "batch", kind: "delay", ms: 150 });
    return {
      store,
      bucket: `hf://buckets/neff/faults-${buckets}`,
      env: { HF_TOKEN: TOKEN, HF_ENDPOINT: server.url, HF_HOME: path.join(work, "hf-home") },
    };
  });
});

describeWithS3("publishing under faults: s3 through the fault proxy", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  let proxy: S3FaultProxy;
  beforeAll(async () => {
    bucket = await createTestBucket(s3);
    proxy = await startS3FaultProxy({ target: s3.endpoint, seed: 5 });
  });
  afterAll(async () => {
    await proxy?.close();
    await bucket?.cleanup();
  });
  afterEach(() => proxy.clear());
  const proxyFaults = (): InjectedFaults => ({
    count: () => proxy.injected().total,
    clear: () => proxy.clear(),
  });
  const fresh = async (): Promise<Store> =>
    createS3Store({
      bucket: bucket.bucket,
      prefix: randomTestPrefix(),
      env: { ...s3StoreEnv(s3), AWS_ENDPOINT_URL_S3: proxy.url },
      retry: { baseDelayMs: 5, maxDelayMs: 50, maxAttempts: 2 },
    });

  it("publishes everything in one run with 10% of uploads failing", async () => {
    const store = await fresh();
    proxy.add({ method: "PUT", kind: "status", status: 503, code: "SlowDown", probability: 0.05 });
    proxy.add({ method: "PUT", kind: "reset", probability: 0.05 });
    await expectPublishedInOneRun(store, proxyFaults());
  }, 120_000);

  it("converges within three runs with 30% of uploads failing", async () => {
    const store = await fresh();
    proxy.add({ method: "PUT", kind: "reset", probability: 0.3 });
    await expectConvergedWithinThreeRuns(store, proxyFaults(), 10);
  }, 180_000);

  warmSyncTests("s3", fresh, true);
  stopAndRepairTests("s3", fresh);
  corruptionTests("s3", fresh, true);
  killedCliTests("s3", async () => {
    const prefix = randomTestPrefix();
    const env = s3StoreEnv(s3);
    const store = createS3Store({ bucket: bucket.bucket, prefix, env });
    return { store, bucket: `s3://${bucket.bucket}/${prefix}`, env };
  });
});

describe("publishing under faults: dir", () => {
  let roots: string[] = [];
  beforeEach(() => {
    roots = [];
  });
  afterEach(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });
  const fresh = async (): Promise<Store> => {
    const root = path.join(work, `store-${roots.length}-${Math.random().toString(16).slice(2)}`);
    roots.push(root);
    const store = createDirStore({ root });
    await store.create();
    return store;
  };

  it("completes every other entry when one entry's folder is blocked, then publishes it once unblocked", async () => {
    const store = await fresh();
    const root = roots[0] as string;
    const victim = modules[5] as string;
    // A file where the entry's folder should be: every write under it fails with ENOTDIR.
    const blocker = path.join(root, compilerVersionDir(CV), MODEL, TASK, victim);
    await mkdir(path.dirname(blocker), { recursive: true });
    await writeFile(blocker, "in the way");
    const first = await settledSync(store);
    expect(first.failed.map((failure) => failure.module)).toEqual([victim]);
    expect(first.failed[0]?.error).toContain(victim);
    expect(first.published).toHaveLength(modules.length - 1);
    await rm(blocker);
    const second = await syncTo(store);
    expect(second.published.map((entry) => entry.module)).toEqual([victim]);
    expect(second.published[0]?.reasons).toEqual([
      "flat area: model.done is missing",
      "model area: not in the store",
    ]);
    const versionDir = path.join(cacheDir, compilerVersionDir(CV));
    const entryBytes = (await readdir(path.join(versionDir, victim)))
      .filter((name) => name !== "model.done")
      .reduce((sum, name) => sum + statSync(path.join(versionDir, victim, name)).size, 0);
    // The model area gets every file; the flat area's files are not sent again (manifests aside).
    expect(second.bytes - entryBytes).toBeLessThan(4096);
    await expectVerifiable(store);
  });

  warmSyncTests("dir", fresh, false);
  stopAndRepairTests("dir", fresh);
  corruptionTests("dir", fresh, false);

  it("the CLI's sync --verify sends again a NEFF changed in the store under a valid manifest, exit 0", async () => {
    const store = await fresh();
    const root = roots[roots.length - 1] as string;
    await syncTo(store);
    const victim = modules[1] as string;
    const neff = path.join(root, compilerVersionDir(CV), victim, "model.neff");
    const bytes = await readFile(neff);
    bytes[0] = (bytes[0] as number) ^ 0xff;
    await writeFile(neff, bytes);
    const cli = (...extra: string[]) =>
      runCliCaptured(
        [
          "sync",
          MODEL,
          "--task",
          TASK,
          "--bucket",
          root,
          "--cache-dir",
          cacheDir,
          "--compiler-version",
          CV,
          "--json",
          ...extra,
        ],
        { env: { PATH: process.env.PATH, HOME: work }, cwd: work },
      );
    const trusting = await cli();
    expect(trusting.code, trusting.stderr).toBe(0);
    expect(JSON.parse(trusting.stdout)).toMatchObject({ published: [] });
    const verified = await cli("--verify");
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({
      published: [{ module: victim, reasons: ["flat area: model.neff differs from the local bytes"] }],
    });
    await expectVerifiable(store);
  });

  it("removes the kept-manifest copies killed syncs left in local entries, never a running one's", async () => {
    const store = await fresh();
    const entry = path.join(cacheDir, compilerVersionDir(CV), modules[0] as string);
    const gone = spawn(process.execPath, ["-e", ""]);
    const deadPid = gone.pid as number;
    await new Promise((resolve) => gone.on("exit", resolve));
    const abandoned = path.join(entry, `.${ENTRY_MANIFEST_FILE}.${deadPid}.tmp`);
    // Another sync, still running (this process would take its own pid's copy for its own).
    const running = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"]);
    const live = path.join(entry, `.${ENTRY_MANIFEST_FILE}.${running.pid as number}.tmp`);
    await writeFile(abandoned, "{");
    await writeFile(live, "{");
    try {
      const result = await syncTo(store);
      expect(result.failed).toEqual([]);
      const names = await readdir(entry);
      expect(names).not.toContain(path.basename(abandoned));
      expect(names).toContain(path.basename(live));
    } finally {
      running.kill("SIGKILL");
      await rm(live, { force: true });
    }
  });

  killedCliTests("dir", async () => {
    const store = await fresh();
    return { store, bucket: roots[roots.length - 1] as string, env: {} };
  });
});

// --- helpers ---

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** `store`, with the key of every read it is asked for written down in `reads`. */
function recordingReads(store: Store): { store: Store; reads: string[] } {
  const reads: string[] = [];
  return {
    store: {
      ...store,
      read: async (key, options) => {
        reads.push(key);
        return store.read(key, options);
      },
    },
    reads,
  };
}
