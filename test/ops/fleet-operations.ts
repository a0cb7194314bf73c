/**
 * The fleet operations end to end on one store backend: remote prune (consistent areas and
 * records, never half an entry installed by a fetch running beside it) and copy between stores
 * (every verified entry and record, idempotent, resumable). Every backend runs it.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PartialFailureError } from "../../src/errors.ts";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { ENTRY_MANIFEST_FILE } from "../../src/layout/entry-files.ts";
import { parseManifest } from "../../src/layout/entry-manifest.ts";
import { pyFloat } from "../../src/layout/py-json.ts";
import { fetch } from "../../src/ops/fetch.ts";
import { lookup } from "../../src/ops/lookup.ts";
import { prune } from "../../src/ops/prune.ts";
import type { SameStore } from "../../src/ops/copy.ts";
import { copy } from "../../src/ops/copy.ts";
import { fetchFromTiers, syncToTiers } from "../../src/ops/tiers.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { sign } from "../../src/ops/sign.ts";
import { sync } from "../../src/ops/sync.ts";
import { readStoreText } from "../../src/transfer/read-store-text.ts";
import type { ProducerSigningKey } from "../../src/trust/producer-key.ts";
import { generateProducerKeyPair, parseSigningKey } from "../../src/trust/producer-key.ts";
import type { Store } from "../../src/store/store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

export interface FleetOperationSuiteOptions {
  name: string;
  /** A fresh, empty store for one test. */
  createStore: () => Promise<Store>;
  /** The environment a CLI process needs to open the stores (credentials, endpoints). */
  cliEnv: () => Record<string, string>;
  /** Two fresh stores in one bucket, and that bucket at its root: a copy between them runs inside it. */
  createSameStoreEnds?: () => Promise<{ from: Store; to: Store; sameStore: SameStore }>;
}

export const FLEET_CV = "2.21.33363.0+82129205";
const CV = FLEET_CV;
export const FLEET_OLD_CV = "2.20.1.0+00000001";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The CLI run from its sources, as its own process (so it can be killed). */
const CLI = [
  "--import",
  pathToFileURL(path.join(ROOT, "node_modules/tsx/dist/loader.mjs")).href,
  path.join(ROOT, "src/cli/entry.ts"),
];

/** Compiles `graphs` into a fresh cache and publishes them (both areas, with a record). */
export async function publishModel(
  store: Store,
  modelId: string,
  graphs: string[],
  options: { compilerVersion?: string; neffBytes?: number } = {},
): Promise<string[]> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), "neff-fleet-pub-"));
  const compilerVersion = options.compilerVersion ?? CV;
  try {
    const compiled = await simulateCompile({
      graphs,
      cacheDir,
      compilerVersion,
      neffBytes: options.neffBytes ?? 20_000,
    });
    await sync({
      store,
      cacheDir,
      compilerVersion,
      modelId,
      exportConfig: { batch_size: 1, sequence_length: graphs.length, scale: pyFloat(1) },
      optimumNeuronVersion: "0.4.6",
    });
    return compiled.modules.map((module) => module.name);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** Every installed entry of a local cache: complete, and every file matches its manifest. */
export async function installedEntries(cacheDir: string, compilerVersion = CV): Promise<string[]> {
  const versionDir = path.join(cacheDir, compilerVersionDir(compilerVersion));
  const names = (await readdir(versionDir).catch(() => [] as string[])).filter((name) =>
    name.startsWith("MODULE_"),
  );
  for (const name of names) {
    const files = await readdir(path.join(versionDir, name));
    expect(files, `${name} is complete`).toEqual(
      expect.arrayContaining(["model.neff", "model.done", ENTRY_MANIFEST_FILE]),
    );
    const parsed = parseManifest(await readFile(path.join(versionDir, name, ENTRY_MANIFEST_FILE), "utf8"));
    if (!parsed.ok) throw new Error(`${name}: ${parsed.reason}`);
    for (const file of parsed.manifest.files) {
      const bytes = await readFile(path.join(versionDir, name, file.name));
      expect(createHash("sha256").update(bytes).digest("hex"), `${name}/${file.name}`).toBe(file.sha256);
    }
  }
  return names.sort();
}

async function readText(store: Store, key: string): Promise<string | null> {
  return readStoreText(store, key, { maxBytes: 1024 * 1024 });
}

function newSigningKey(): ProducerSigningKey {
  const parsed = parseSigningKey(generateProducerKeyPair().privatePem);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.key;
}

export async function listKeys(store: Store, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of store.list(prefix, { recursive: true }))
    if (item.type === "file") keys.push(item.key);
  return keys.sort();
}

export function runFleetOperationSuite(options: FleetOperationSuiteOptions): void {
  describe(`fleet operations: ${options.name}`, () => {
    let cacheDir: string;
    let store: Store;
    beforeEach(async () => {
      cacheDir = await mkdtemp(path.join(tmpdir(), "neff-fleet-cache-"));
      store = await options.createStore();
    });
    afterEach(async () => {
      await store.close();
      await rm(cacheDir, { recursive: true, force: true });
    });

    it("prune --model removes that model's area and records, and flat copies no other model uses", async () => {
      const m1 = await publishModel(store, "org/m1", ["shared", "only-m1"]);
      await publishModel(store, "org/m2", ["shared", "only-m2"]);
      const sharedModule = m1[0] ?? "";
      const onlyM1 = m1[1] ?? "";
      const before = await listKeys(store);
      const dry = await prune({ store, modelId: "org/m1", dryRun: true });
      expect(dry.removedKeys).toBe(0);
      expect(dry.plan.keys).toBeGreaterThan(0);
      expect(await listKeys(store)).toEqual(before);

      const result = await prune({ store, modelId: "org/m1", dryRun: false });
      expect(result.failed).toEqual([]);
      expect(result.removedKeys).toBe(dry.plan.keys);
      const after = await listKeys(store);
      expect(after.length).toBe(before.length - dry.plan.keys);
      expect(after.some((key) => key.includes("/org/m1/"))).toBe(false);
      expect(after.some((key) => key.endsWith(`${compilerVersionDir(CV)}/${onlyM1}/model.neff`))).toBe(false);
      expect(after).toContain(`${compilerVersionDir(CV)}/${sharedModule}/model.neff`);
      expect((await lookup({ store, modelId: "org/m1" })).records).toEqual([]);
      expect((await lookup({ store, modelId: "org/m2" })).records).toHaveLength(1);
      const m2 = await fetch({ store, cacheDir, compilerVersion: CV, modelId: "org/m2" });
      expect(m2.fetched).toHaveLength(2);
      expect(await installedEntries(cacheDir)).toHaveLength(2);
    });

    it("prune --keep-compiler-versions and --incomplete leave the rest intact", async () => {
      await publishModel(store, "org/m", ["a"], { compilerVersion: FLEET_OLD_CV });
      await publishModel(store, "org/m", ["a", "b"]);
      // A failed entry as the reference implementation leaves them: a log, no NEFF.
      const failedKey = `${compilerVersionDir(CV)}/MODULE_failed0+0/model.log`;
      await store.write(failedKey, { size: 4, open: () => Readable.from([Buffer.from("boom")]) });
      const junkKey = `${compilerVersionDir(CV)}/stray-notes.txt`;
      await store.write(junkKey, { size: 1, open: () => Readable.from([Buffer.from("x")]) });

      const result = await prune({
        store,
        keepCompilerVersions: 1,
        incomplete: true,
        junk: true,
        dryRun: false,
      });
      expect(result.failed).toEqual([]);
      const keys = await listKeys(store);
      expect(keys.some((key) => key.startsWith(compilerVersionDir(FLEET_OLD_CV)))).toBe(false);
      expect(keys).not.toContain(failedKey);
      expect(keys).not.toContain(junkKey);
      expect((await lookup({ store, modelId: "org/m" })).records).toHaveLength(1);
      expect((await fetch({ store, cacheDir, compilerVersion: CV, modelId: "org/m" })).fetched).toHaveLength(
        2,
      );
    });

    // Three head starts for the fetch, so the prune lands before, during and after its downloads.
    it.each([0, 15, 60])(
      "prune beside a concurrent fetch (fetch %i ms ahead) never leaves half an entry installed",
      async (lead) => {
        await publishModel(store, "org/m", ["g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7"], {
          neffBytes: 200_000,
        });
        const fetching = fetch({
          store,
          cacheDir,
          compilerVersion: CV,
          modelId: "org/m",
          concurrency: 2,
        }).catch((error: unknown) => {
          if (error instanceof PartialFailureError) return error.result as Awaited<ReturnType<typeof fetch>>;
          throw error;
        });
        await new Promise((resolve) => setTimeout(resolve, lead));
        const pruned = await prune({ store, modelId: "org/m", dryRun: false });
        const fetched = await fetching;
        expect(pruned.failed).toEqual([]);
        // Whatever the interleaving: each entry was installed whole and verified, or not at all.
        const installed = await installedEntries(cacheDir);
        expect(installed).toEqual(fetched.fetched.map((entry) => entry.module).sort());
        expect(fetched.fetched.length + fetched.failed.length + fetched.skipped.length).toBeLessThanOrEqual(
          8,
        );
        expect(await listKeys(store)).toEqual([]);
      },
    );

    it("copy brings every complete entry (both areas) and record, and a second copy writes nothing", async () => {
      const m1 = await publishModel(store, "org/m1", ["c-a", "c-b"]);
      await publishModel(store, "org/m2", ["c-c"]);
      await store.write(`${compilerVersionDir(CV)}/MODULE_failed0+0/model.log`, {
        size: 4,
        open: () => Readable.from([Buffer.from("boom")]),
      });
      const to = await options.createStore();
      try {
        const first = await copy({ from: store, to });
        expect(first.failed).toEqual([]);
        // 3 flat copies and 3 per-model copies; the failed entry stays behind.
        expect(first.copied).toHaveLength(6);
        expect(first.copied.every((entry) => entry.verifiedBy === "manifest")).toBe(true);
        expect(first.records).toHaveLength(2);
        expect(first.skipped).toEqual([expect.objectContaining({ reason: "incomplete-in-source" })]);
        const source = (await listKeys(store)).filter((key) => !key.includes("MODULE_failed0"));
        expect(await listKeys(to)).toEqual(source);

        const fetched = await fetch({ store: to, cacheDir, compilerVersion: CV, modelId: "org/m1" });
        expect(fetched.fetched.map((entry) => entry.module).sort()).toEqual([...m1].sort());
        expect(await installedEntries(cacheDir)).toHaveLength(2);
        expect((await lookup({ store: to, modelId: "org/m2" })).records).toHaveLength(1);

        const second = await copy({ from: store, to });
        expect(second).toMatchObject({ copied: [], records: [], failed: [], bytes: 0 });
        expect(second.skipped.filter((skip) => skip.reason === "present")).toHaveLength(8);
      } finally {
        await to.close();
      }
    });

    it("copy MODEL_ID brings that model's area, its flat copies and its records only", async () => {
      await publishModel(store, "org/m1", ["d-a", "d-b"]);
      await publishModel(store, "org/m2", ["d-c"]);
      const to = await options.createStore();
      try {
        const result = await copy({ from: store, to, modelId: "org/m1" });
        expect(result.copied).toHaveLength(4);
        expect(result.records).toHaveLength(1);
        const keys = await listKeys(to);
        expect(keys.some((key) => key.includes("/org/m2/"))).toBe(false);
        expect((await fetch({ store: to, cacheDir, compilerVersion: CV, all: true })).fetched).toHaveLength(
          2,
        );
      } finally {
        await to.close();
      }
    });

    it("copy with local copies takes verified bytes from the local cache, the rest from the source", async () => {
      const modules = await publishModel(store, "org/m", ["l-a", "l-b"]);
      await fetch({ store, cacheDir, compilerVersion: CV, modelId: "org/m" });
      const [damaged, missing] = modules as [string, string];
      // The source's model.neff of one entry now holds other bytes of the same size (its manifest
      // is intact); the local copy of the other entry is gone.
      const neffKey = (module: string) => `${compilerVersionDir(CV)}/org/m/default/${module}/model.neff`;
      const original = await readFile(path.join(cacheDir, compilerVersionDir(CV), damaged, "model.neff"));
      await store.write(neffKey(damaged), {
        size: original.length,
        open: () => Readable.from([Buffer.alloc(original.length, 7)]),
      });
      await rm(path.join(cacheDir, compilerVersionDir(CV), missing), { recursive: true });
      const local = createDirStore({ root: cacheDir });
      const to = await options.createStore();
      try {
        const result = await copy({ from: store, to, modelId: "org/m", localCopies: local });
        // Only the model-area object was damaged; both model-area copies arrive whole.
        const copiedModel = result.copied.filter((entry) => entry.what.includes("/org/m/"));
        expect(copiedModel.map((entry) => entry.what.split("/").at(-1)).sort()).toEqual([...modules].sort());
        const copiedNeff = await readStoreText(to, neffKey(damaged), { maxBytes: 1 << 20 });
        expect(copiedNeff).toBe(original.toString());
        // Without the local copies, the damaged source object is refused by its manifest.
        const other = await options.createStore();
        try {
          const plain = await copy({ from: store, to: other, modelId: "org/m" }).catch(
            (error: unknown) => (error as PartialFailureError).result as Awaited<ReturnType<typeof copy>>,
          );
          expect(plain.failed).toEqual([
            {
              what: `${compilerVersionDir(CV)}/org/m/default/${damaged}`,
              error: expect.stringMatching(/sha256 does not match/),
            },
          ]);
        } finally {
          await other.close();
        }
      } finally {
        await to.close();
        await local.close();
      }
    });

    if (options.createSameStoreEnds) {
      const createEnds = options.createSameStoreEnds;
      it("copy between two prefixes of one bucket runs inside the store", async () => {
        const { from, to, sameStore } = await createEnds();
        try {
          await publishModel(from, "org/m", ["s-a", "s-b"]);
          const result = await copy({ from, to, sameStore });
          expect(result).toMatchObject({ serverSide: true, failed: [], bytes: 0 });
          expect(result.copied).toHaveLength(4);
          expect(result.copied.every((entry) => entry.verifiedBy === "store")).toBe(true);
          expect(await listKeys(to)).toEqual(await listKeys(from));
          expect(
            (await fetch({ store: to, cacheDir, compilerVersion: CV, modelId: "org/m" })).fetched,
          ).toHaveLength(2);
          expect((await copy({ from, to, sameStore })).copied).toEqual([]);
        } finally {
          await from.close();
          await to.close();
          await sameStore.store.close();
        }
      });
    }

    it("copy killed mid-way and run again completes, verified, into a directory bundle", async () => {
      const graphs = Array.from({ length: 16 }, (_, index) => `k-${index}`);
      await publishModel(store, "org/m", graphs, { neffBytes: 100_000 });
      const bundle = await mkdtemp(path.join(tmpdir(), "neff-fleet-bundle-"));
      try {
        const child = spawn(
          process.execPath,
          [...CLI, "copy", "--from", store.url, "--to", bundle, "--concurrency", "1"],
          {
            env: { PATH: process.env.PATH, HOME: bundle, ...options.cliEnv() },
            stdio: ["ignore", "ignore", "pipe"],
          },
        );
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        // Killed as soon as the first entry file lands.
        const versionDir = path.join(bundle, compilerVersionDir(CV));
        let killed = false;
        while (!killed) {
          const names = await readdir(versionDir).catch(() => [] as string[]);
          if (names.some((name) => name.startsWith("MODULE_"))) {
            child.kill("SIGKILL");
            killed = true;
          } else if (child.exitCode !== null)
            throw new Error(`copy ended before it could be killed: ${stderr}`);
          else await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await exited;
        const to = createDirStore({ root: bundle });
        try {
          const partial = await listKeys(to);
          const manifests = partial.filter((key) => key.endsWith(ENTRY_MANIFEST_FILE)).length;
          // The kill came mid-way: some entry copies (32 in all) are missing their manifest.
          expect(manifests).toBeLessThan(32);
          const resumed = await copy({ from: store, to });
          expect(resumed.failed).toEqual([]);
          expect(resumed.copied.length + manifests).toBeGreaterThanOrEqual(32);
          expect(await listKeys(to)).toEqual(await listKeys(store));
          const fetched = await fetch({ store: to, cacheDir, compilerVersion: CV, modelId: "org/m" });
          expect(fetched.fetched).toHaveLength(16);
          expect(await installedEntries(cacheDir)).toHaveLength(16);
          expect((await copy({ from: store, to })).copied).toEqual([]);
        } finally {
          await to.close();
        }
      } finally {
        await rm(bundle, { recursive: true, force: true });
      }
    });

    it("tiers: each entry comes from the first tier that has it, and earlier tiers are backfilled", async () => {
      const slow = await options.createStore();
      try {
        const modules = await publishModel(slow, "org/m", ["t-a", "t-b", "t-c"]);
        const producer = newSigningKey();
        await sign({ store: slow, signingKey: producer, modelId: "org/m" });
        const [local] = await publishModel(store, "org/m", ["t-a"]);
        const result = await fetchFromTiers({
          tiers: [store, slow],
          cacheDir,
          compilerVersion: CV,
          modelId: "org/m",
        });
        expect(result.failed).toEqual([]);
        expect(result.tiers.map((tier) => [tier.fetched, tier.error])).toEqual([
          [1, null],
          [2, null],
        ]);
        expect(result.fetched.map((entry) => entry.module)).toEqual([...modules].sort());
        expect(result.backfilled).toEqual([{ store: store.url, published: 2, error: null }]);
        expect(await installedEntries(cacheDir)).toHaveLength(3);

        // What was backfilled is the slow tier's own copy: the same manifests (with their compile
        // flags and times), the producer's signatures, the export record; nothing else.
        const backfilledKeys = (keys: string[]) => keys.filter((key) => !key.includes(`/${local}/`));
        const fastKeys = await listKeys(store);
        const slowKeys = await listKeys(slow);
        const carried = backfilledKeys(slowKeys).filter((key) => !key.includes("/exports/"));
        expect(backfilledKeys(fastKeys).filter((key) => !key.includes("/exports/"))).toEqual(carried);
        expect(carried.some((key) => key.includes(".sig-"))).toBe(true);
        for (const key of carried.filter(
          (name) => name.endsWith(ENTRY_MANIFEST_FILE) || name.includes(".sig-"),
        ))
          expect(await readText(store, key)).toBe(await readText(slow, key));
        const slowRecords = slowKeys.filter((key) => key.includes("/exports/"));
        expect(slowRecords.length).toBeGreaterThan(0);
        for (const key of slowRecords) expect(await readText(store, key)).toBe(await readText(slow, key));
        const signed = await fetch({
          store,
          cacheDir: await mkdtemp(path.join(tmpdir(), "neff-fleet-cache-")),
          compilerVersion: CV,
          modelId: "org/m",
          trust: { trusted: new Map([[producer.fingerprint, producer.publicKey]]), revoked: new Set() },
        });
        expect(signed.fetched.map((entry) => entry.module).sort()).toEqual(
          modules.filter((module) => module !== local).sort(),
        );
        expect(signed.fetched.every((entry) => entry.signedBy === producer.fingerprint)).toBe(true);
        await rm(signed.cacheDir, { recursive: true, force: true });

        // The fast tier now serves all of it alone, verified.
        const again = await mkdtemp(path.join(tmpdir(), "neff-fleet-cache-"));
        try {
          const fast = await fetch({ store, cacheDir: again, compilerVersion: CV, modelId: "org/m" });
          expect(fast.fetched).toHaveLength(3);
          expect(fast.fetched.every((entry) => entry.verifiedBy === "manifest")).toBe(true);
          expect(await installedEntries(again)).toHaveLength(3);
        } finally {
          await rm(again, { recursive: true, force: true });
        }
      } finally {
        await slow.close();
      }
    });

    it("tiers: an entry damaged in the fast tier comes from the next, and the fast copy is rewritten", async () => {
      const slow = await options.createStore();
      try {
        const [module] = (await publishModel(slow, "org/m", ["r-a"])) as [string];
        await copy({ from: slow, to: store });
        // The fast tier's copy is cut short (a torn write on a shared file system).
        const key = `${compilerVersionDir(CV)}/org/m/default/${module}/model.neff`;
        const whole = await readStoreText(slow, key, { maxBytes: 1 << 20 });
        await store.write(key, { size: 10, open: () => Readable.from([Buffer.alloc(10, 1)]) });
        const warnings: string[] = [];
        const result = await fetchFromTiers({
          tiers: [store, slow],
          cacheDir,
          compilerVersion: CV,
          modelId: "org/m",
          onWarning: (message) => warnings.push(message),
        });
        expect(result.failed).toEqual([]);
        expect(result.tiers.map((tier) => tier.fetched)).toEqual([0, 1]);
        expect(result.backfilled).toEqual([{ store: store.url, published: 1, error: null }]);
        expect(await readStoreText(store, key, { maxBytes: 1 << 20 })).toBe(whole);
        const again = await mkdtemp(path.join(tmpdir(), "neff-fleet-cache-"));
        try {
          const fast = await fetch({ store, cacheDir: again, compilerVersion: CV, modelId: "org/m" });
          expect(fast.fetched.map((entry) => [entry.module, entry.verifiedBy])).toEqual([
            [module, "manifest"],
          ]);
        } finally {
          await rm(again, { recursive: true, force: true });
        }
      } finally {
        await slow.close();
      }
    });

    it("tiers: a failing tier is a warning; fetch and publish go on with the next", async () => {
      const broken = createDirStore({
        root: path.join(tmpdir(), "neff-fleet-missing-tier", String(Date.now())),
      });
      const warnings: string[] = [];
      await publishModel(store, "org/m", ["w-a", "w-b"]);
      const fetched = await fetchFromTiers({
        tiers: [broken, store],
        cacheDir,
        compilerVersion: CV,
        modelId: "org/m",
        onWarning: (message) => warnings.push(message),
      });
      expect(fetched.fetched).toHaveLength(2);
      expect(fetched.tiers[0]?.error).toMatch(/does not exist/);
      expect(fetched.backfilled).toEqual([]);
      expect(warnings).toEqual([expect.stringMatching(/could not be read, trying the next/)]);

      const produced = await mkdtemp(path.join(tmpdir(), "neff-fleet-cache-"));
      try {
        await simulateCompile({
          graphs: ["w-new"],
          cacheDir: produced,
          compilerVersion: CV,
          neffBytes: 1000,
        });
        const synced = await syncToTiers({
          candidates: [broken, store],
          cacheDir: produced,
          compilerVersion: CV,
          modelId: "org/m",
          onWarning: (message) => warnings.push(message),
        });
        expect(synced.store).toBe(store.url);
        expect(synced.published).toHaveLength(1);
        expect(synced.refused).toEqual([
          { store: broken.url, error: expect.stringMatching(/does not exist/) },
        ]);
      } finally {
        await rm(produced, { recursive: true, force: true });
      }
    });
  });
}
