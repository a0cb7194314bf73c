/**
 * The cache operations end to end on one store backend: the seed's test plan (compile and
 * publish, wipe, fetch instead of compiling, warm run) plus the safety rules (what is never
 * published, what is never installed, what is never clobbered). Every backend runs it.
 */
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PartialFailureError } from "../../src/errors.ts";
import {
  compilerVersionDir,
  exportRecordKey,
  flatEntryKey,
  modelEntryKey,
} from "../../src/layout/cache-layout.ts";
import { ENTRY_MANIFEST_FILE } from "../../src/layout/entry-files.ts";
import { exportRecordBody, exportRecordHash } from "../../src/layout/export-record.ts";
import { pyFloat } from "../../src/layout/py-json.ts";
import { cleanup } from "../../src/ops/cleanup.ts";
import { fetch } from "../../src/ops/fetch.ts";
import { lookup } from "../../src/ops/lookup.ts";
import { sync } from "../../src/ops/sync.ts";
import { withNeuronCache } from "../../src/ops/with-neuron-cache.ts";
import type { ListItem, Store } from "../../src/store/store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

export interface CacheOperationSuiteOptions {
  name: string;
  /** A fresh, empty store for one test. */
  createStore: () => Promise<Store>;
}

const CV = "2.21.33363.0+82129205";
const MODEL = "test-org/tiny-llama";
const TASK = "text-generation";
const CONFIG = {
  batch_size: 1,
  sequence_length: 4096,
  tp_degree: 8,
  torch_dtype: "bfloat16",
  scale: pyFloat(1),
};
const GRAPHS = ["graph-a", "graph-b", "graph-c"];
const DAY_MS = 86_400_000;

export function runCacheOperationSuite(options: CacheOperationSuiteOptions): void {
  describe(`cache operations: ${options.name}`, () => {
    let cacheDir: string;
    let store: Store;
    beforeEach(async () => {
      cacheDir = await mkdtemp(path.join(tmpdir(), "neff-ops-cache-"));
      store = await options.createStore();
    });
    afterEach(async () => {
      await store.close();
      await rm(cacheDir, { recursive: true, force: true });
    });

    const compileWithCache = (graphs = GRAPHS, extra: { fail?: boolean; readOnly?: boolean } = {}) =>
      withNeuronCache(
        {
          modelId: MODEL,
          task: TASK,
          exportConfig: CONFIG,
          optimumNeuronVersion: "0.4.6",
          cacheDir,
          compilerVersion: CV,
          store,
          readOnly: extra.readOnly,
        },
        () =>
          simulateCompile({ graphs, cacheDir, compilerVersion: CV, neffBytes: 300_000, fail: extra.fail }),
        (result) => result.exitCode === 0,
      );

    it("runs the four phases: compile and publish, wipe, fetch instead of compiling, warm", async () => {
      const first = await compileWithCache();
      expect(first.value.modules.map((module) => module.outcome)).toEqual([
        "compiled",
        "compiled",
        "compiled",
      ]);
      expect(first.report.sync?.published).toHaveLength(3);
      expect(first.report.sync?.record?.created).toBe(true);
      const keys = await listKeys(store, compilerVersionDir(CV));
      for (const module of first.value.modules) {
        for (const file of [
          "model.neff",
          "model.done",
          "model.hlo_module.pb",
          "compile_flags.json",
          ENTRY_MANIFEST_FILE,
        ]) {
          expect(keys).toContain(flatEntryKey({ compilerVersion: CV, module: module.name, file }));
          expect(keys).toContain(
            modelEntryKey({ compilerVersion: CV, modelId: MODEL, task: TASK, module: module.name, file }),
          );
        }
      }

      await rm(cacheDir, { recursive: true, force: true });

      const second = await compileWithCache();
      expect(second.report.fetch?.fetched).toHaveLength(3);
      expect(second.report.fetch?.fetched.every((entry) => entry.verifiedBy === "manifest")).toBe(true);
      expect(second.value.modules.map((module) => module.outcome)).toEqual(["hit", "hit", "hit"]);
      expect(second.report.sync).toBeNull();

      const third = await compileWithCache();
      expect(third.report.fetch?.fetched).toEqual([]);
      expect(third.report.fetch?.skipped.map((skip) => skip.reason)).toEqual([
        "present",
        "present",
        "present",
      ]);
      expect(third.report.changedEntries).toEqual([]);
      expect(third.report.sync).toBeNull();
    });

    it("counts a fetched entry as just used, however old its published files", async () => {
      const compiled = await simulateCompile({ graphs: ["used"], cacheDir, compilerVersion: CV });
      const entryDir = path.join(cacheDir, compilerVersionDir(CV), compiled.modules[0]?.name ?? "");
      const old = new Date(Date.now() - 400 * DAY_MS);
      for (const name of await readdir(entryDir)) await utimes(path.join(entryDir, name), old, old);
      await utimes(entryDir, old, old);
      await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
      await rm(cacheDir, { recursive: true, force: true });
      const fetchedAt = Date.now();
      const fetched = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
      expect(fetched.fetched).toHaveLength(1);
      // Eviction ranks by the entry dir's mtime (and the NEFF's): the fetch made both just now.
      expect((await stat(entryDir)).mtimeMs).toBeGreaterThanOrEqual(fetchedAt - 1000);
      const swept = await cleanup({
        cacheDir,
        env: {},
        unusedForMs: DAY_MS,
        findCompilerProcesses: async () => [],
      });
      expect(swept.evicted).toBe(0);
      expect(await readdir(entryDir)).toContain("model.neff");
    });

    it("writes the export record with Python's exact bytes and finds it with lookup", async () => {
      await compileWithCache();
      const key = exportRecordKey({
        compilerVersion: CV,
        modelId: MODEL,
        task: TASK,
        optimumNeuronVersion: "0.4.6",
        hash: exportRecordHash(CONFIG),
      });
      const body = await readText(store, key);
      expect(body).toBe(exportRecordBody(CONFIG));
      expect(body).toContain('"scale": 1.0');
      const found = await lookup({ store, modelId: MODEL, filter: { batchSize: 1, dtype: "bf16" } });
      expect(found.records.map((record) => record.key)).toEqual([key]);
      expect(found.records[0]?.summary.tpDegree).toBe(8);
      const none = await lookup({ store, modelId: MODEL, filter: { batchSize: 2 } });
      expect(none.records).toEqual([]);
    });

    it("never publishes a failed compile, and a failed command publishes nothing", async () => {
      const failed = await compileWithCache(["bad-graph"], { fail: true });
      expect(failed.value.exitCode).toBe(1);
      expect(failed.report.syncSkipped).toBe("the command failed");
      expect(await listKeys(store, compilerVersionDir(CV))).toEqual([]);

      // Even an explicit sync of everything leaves the failed entry out.
      const result = await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
      expect(result.published).toEqual([]);
      expect(result.skipped.map((skip) => skip.reason)).toEqual(["not-success"]);
      expect(await listKeys(store, compilerVersionDir(CV))).toEqual([]);
    });

    it("never publishes locked or empty entries, nor lock files and logs", async () => {
      await simulateCompile({ graphs: ["ok"], cacheDir, compilerVersion: CV });
      const versionDir = path.join(cacheDir, compilerVersionDir(CV));
      await makeEntry(versionDir, "MODULE_1111+aaaa", {
        "model.hlo_module.pb": "x",
        "model.hlo_module.pb.lock": "",
      });
      await makeEntry(versionDir, "MODULE_2222+bbbb", {});
      const [success] = await readdir(versionDir).then((names) =>
        names.filter((name) => name.startsWith("MODULE_") && name.length > 20),
      );
      await writeFile(path.join(versionDir, success ?? "", "stale.lock"), "");
      const result = await sync({ store, cacheDir, compilerVersion: CV });
      // A success entry with a leftover lock file is still a success (neff + done), but the lock does not travel.
      expect(result.published.map((entry) => entry.module)).toEqual([success]);
      const keys = await listKeys(store, compilerVersionDir(CV));
      expect(keys.some((key) => key.endsWith(".lock") || key.endsWith("model.log"))).toBe(false);
      expect(keys.some((key) => key.includes("MODULE_1111") || key.includes("MODULE_2222"))).toBe(false);
    });

    it("transfers nothing when sync runs a second time", async () => {
      await simulateCompile({ graphs: GRAPHS, cacheDir, compilerVersion: CV });
      const first = await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      expect(first.published).toHaveLength(3);
      const second = await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      expect(second.published).toEqual([]);
      expect(second.bytes).toBe(0);
      expect(second.skipped.map((skip) => skip.reason)).toEqual(["present", "present", "present"]);
    });

    it("repairs a damaged store: missing manifest, wrong-sized file, a manifest that is not the local bytes", async () => {
      const compiled = await simulateCompile({
        graphs: GRAPHS,
        cacheDir,
        compilerVersion: CV,
        neffBytes: 40_000,
      });
      await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      const [noManifest, truncated, recompiled] = compiled.modules.map((module) => module.name) as [
        string,
        string,
        string,
      ];
      const flat = (module: string, file: string): string =>
        flatEntryKey({ compilerVersion: CV, module, file });
      const inModel = (module: string, file: string): string =>
        modelEntryKey({ compilerVersion: CV, modelId: MODEL, task: TASK, module, file });
      await store.delete(flat(noManifest, ENTRY_MANIFEST_FILE));
      await putText(store, inModel(truncated, "model.neff"), "cut short");
      // The local entry changed since it was published: its NEFF has other bytes of the same size.
      const localNeff = path.join(cacheDir, compilerVersionDir(CV), recompiled, "model.neff");
      await writeFile(localNeff, Buffer.alloc(40_000, 0x5a));

      const repair = await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      expect(new Map(repair.published.map((entry) => [entry.module, entry.reasons]))).toEqual(
        new Map([
          [noManifest, ["flat area: the manifest is missing"]],
          [truncated, ["model area: model.neff has 9 bytes, not 40000"]],
          [
            recompiled,
            [
              "flat area: model.neff differs from the local bytes",
              "model area: model.neff differs from the local bytes",
            ],
          ],
        ]),
      );
      // Only the repaired NEFFs travel (once each, twice for the one both areas need unless the
      // store copies or deduplicates), and the manifests: never the files that were right.
      const neffCopies = store.capabilities.batchWrite ? 2 : 3;
      expect(repair.bytes).toBeGreaterThanOrEqual(neffCopies * 40_000);
      expect(repair.bytes).toBeLessThan(neffCopies * 40_000 + 6 * 2048);

      await rm(cacheDir, { recursive: true, force: true });
      const fetched = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      expect(fetched.failed).toEqual([]);
      expect(fetched.fetched.map((entry) => entry.verifiedBy)).toEqual(["manifest", "manifest", "manifest"]);
      const again = await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      expect(again.published).toEqual([]);
      expect(await readText(store, flat(recompiled, "model.neff"))).toBe("Z".repeat(40_000));
    });

    it("replaces a locally empty or failed entry with the store's success, and leaves a compiling one alone", async () => {
      const compiled = await simulateCompile({ graphs: GRAPHS, cacheDir, compilerVersion: CV });
      await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      const [emptyOne, failedOne, lockedOne] = compiled.modules.map((module) => module.name);
      const versionDir = path.join(cacheDir, compilerVersionDir(CV));
      await rm(versionDir, { recursive: true });
      await makeEntry(versionDir, emptyOne ?? "", {});
      await makeEntry(versionDir, failedOne ?? "", { "model.log": "error", "model.hlo_module.pb": "x" });
      await makeEntry(versionDir, lockedOne ?? "", { "model.hlo_module.pb.lock": "" });

      const result = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      expect(new Map(result.fetched.map((entry) => [entry.module, entry.replaced]))).toEqual(
        new Map([
          [emptyOne, true],
          [failedOne, true],
        ]),
      );
      expect(result.skipped).toEqual([
        expect.objectContaining({ module: lockedOne, reason: "compiling-locally" }),
      ]);
      expect(await readdir(path.join(versionDir, failedOne ?? ""))).not.toContain("model.log");
      expect(await readdir(path.join(versionDir, lockedOne ?? ""))).toEqual(["model.hlo_module.pb.lock"]);
      expect(
        (await readdir(versionDir)).filter((name) => name.startsWith(".") && name !== ".neff-cache-staging"),
      ).toEqual([]);
    });

    it("explains each compile the cache did not serve from this store, and records its key factors", async () => {
      const withFlags = (flags: string[], graphs = GRAPHS) =>
        withNeuronCache({ modelId: MODEL, task: TASK, cacheDir, compilerVersion: CV, store }, () =>
          simulateCompile({ graphs, cacheDir, compilerVersion: CV, flags, neffBytes: 50_000 }),
        );
      const first = await withFlags(["-O1"], GRAPHS.slice(0, 2));
      expect(first.report.misses?.explanations.map((miss) => miss.reasons[0]?.kind)).toEqual([
        "nothing-cached",
        "nothing-cached",
      ]);
      const [corrupt, kept] = first.value.modules.map((module) => module.name);
      const manifestText = await readText(
        store,
        modelEntryKey({
          compilerVersion: CV,
          modelId: MODEL,
          task: TASK,
          module: kept ?? "",
          file: ENTRY_MANIFEST_FILE,
        }),
      );
      expect(manifestText).toContain('"compileFlags": [\n      "-O1"\n    ]');
      // The store's copy of one entry no longer matches its manifest.
      await putText(
        store,
        modelEntryKey({
          compilerVersion: CV,
          modelId: MODEL,
          task: TASK,
          module: corrupt ?? "",
          file: "model.neff",
        }),
        "x".repeat(50_000),
      );
      await rm(cacheDir, { recursive: true, force: true });
      const second = await withFlags(["-O1"]);
      expect(second.report.fetch?.fetched.map((entry) => entry.module)).toEqual([kept]);
      const reasons = new Map(
        second.report.misses?.explanations.map((miss) => [miss.module, miss.reasons[0]]),
      );
      expect(reasons.get(corrupt ?? "")).toMatchObject({ kind: "store-entry-unusable" });
      expect(reasons.get(second.value.modules[2]?.name ?? "")).toMatchObject({ kind: "other-graph" });
      await rm(cacheDir, { recursive: true, force: true });
      const third = await withFlags(["-O2"], GRAPHS.slice(1, 2));
      expect(third.report.misses?.explanations[0]?.reasons[0]).toMatchObject({
        kind: "other-flags",
        added: ["-O2"],
        removed: ["-O1"],
      });
    });

    it("skips store entries that are not complete successes", async () => {
      const prefix = `${compilerVersionDir(CV)}/${MODEL}/${TASK}`;
      await putText(store, `${prefix}/MODULE_3333+cccc/model.log`, "compile error");
      await putText(store, `${prefix}/MODULE_3333+cccc/model.hlo_module.pb`, "hlo");
      await putText(store, `${prefix}/MODULE_4444+dddd/model.neff`, "neff without done");
      const result = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      expect(result.fetched).toEqual([]);
      expect(result.skipped.map((skip) => [skip.module, skip.reason])).toEqual([
        ["MODULE_3333+cccc", "remote-incomplete"],
        ["MODULE_4444+dddd", "remote-incomplete"],
      ]);
      expect(
        await stat(path.join(cacheDir, compilerVersionDir(CV), "MODULE_3333+cccc")).catch(() => null),
      ).toBeNull();
    });

    it("refuses bytes that do not match the manifest and installs nothing of that entry", async () => {
      const compiled = await simulateCompile({
        graphs: ["one"],
        cacheDir,
        compilerVersion: CV,
        neffBytes: 50_000,
      });
      await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      const module = compiled.modules[0]?.name ?? "";
      const neffKey = modelEntryKey({
        compilerVersion: CV,
        modelId: MODEL,
        task: TASK,
        module,
        file: "model.neff",
      });
      // Same size, other bytes: only the manifest's sha256 can tell.
      await putText(store, neffKey, "x".repeat(50_000));
      await rm(cacheDir, { recursive: true });

      const failure = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(PartialFailureError);
      const result = (failure as PartialFailureError<{ failed: Array<{ module: string; error: string }> }>)
        .result;
      expect(result.failed).toEqual([
        { module, error: expect.stringMatching(/verification failed: .*sha256/) },
      ]);
      expect(await stat(path.join(cacheDir, compilerVersionDir(CV), module)).catch(() => null)).toBeNull();
    });

    it("publishes only the flat area without a model id, and fetch needs one", async () => {
      await simulateCompile({ graphs: ["solo"], cacheDir, compilerVersion: CV });
      const result = await sync({ store, cacheDir, compilerVersion: CV });
      expect(result.published[0]?.areas).toEqual(["flat"]);
      const keys = await listKeys(store, compilerVersionDir(CV));
      expect(keys.every((key) => key.split("/").length === 3)).toBe(true);

      await rm(cacheDir, { recursive: true });
      const warmed = await fetch({ store, cacheDir, compilerVersion: CV, all: true });
      expect(warmed.fetched).toHaveLength(1);
    });

    it("ends consistent when several machines publish the same entries at once", async () => {
      const caches = [cacheDir, `${cacheDir}-b`, `${cacheDir}-c`];
      for (const dir of caches)
        await simulateCompile({ graphs: GRAPHS, cacheDir: dir, compilerVersion: CV, neffBytes: 200_000 });
      await Promise.all(
        caches.map((dir) => sync({ store, cacheDir: dir, compilerVersion: CV, modelId: MODEL, task: TASK })),
      );
      for (const dir of caches.slice(1)) await rm(dir, { recursive: true, force: true });

      await rm(cacheDir, { recursive: true, force: true });
      const fetched = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      expect(fetched.fetched).toHaveLength(GRAPHS.length);
      expect(fetched.failed).toEqual([]);
      const again = await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
      expect(again.published).toEqual([]);
    });

    it("keeps a read-only run from publishing", async () => {
      const run = await compileWithCache(["ro"], { readOnly: true });
      expect(run.value.modules[0]?.outcome).toBe("compiled");
      expect(run.report.syncSkipped).toBe("read-only");
      expect(await listKeys(store, compilerVersionDir(CV))).toEqual([]);
    });
  });
}

// --- helpers ---

async function listKeys(store: Store, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of store.list(prefix) as AsyncIterable<ListItem>)
    if (item.type === "file") keys.push(item.key);
  return keys.sort();
}

async function readText(store: Store, key: string): Promise<string | null> {
  const body = await store.read(key);
  if (body === null) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString("utf8");
}

async function putText(store: Store, key: string, text: string): Promise<void> {
  const bytes = Buffer.from(text);
  await store.write(key, { size: bytes.length, open: () => Readable.from([bytes]) });
}

async function makeEntry(versionDir: string, module: string, files: Record<string, string>): Promise<void> {
  await mkdir(path.join(versionDir, module), { recursive: true });
  for (const [name, content] of Object.entries(files))
    await writeFile(path.join(versionDir, module, name), content);
}
