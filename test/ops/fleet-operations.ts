/**
 * The fleet operations end to end on one store backend: remote prune (consistent areas and
 * records, never half an entry installed by a fetch running beside it) and copy between stores
 * (every verified entry and record, idempotent, resumable). Every backend runs it.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
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
import { sync } from "../../src/ops/sync.ts";
import type { Store } from "../../src/store/store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

export interface FleetOperationSuiteOptions {
  name: string;
  /** A fresh, empty store for one test. */
  createStore: () => Promise<Store>;
}

export const FLEET_CV = "2.21.33363.0+82129205";
const CV = FLEET_CV;
export const FLEET_OLD_CV = "2.20.1.0+00000001";

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
  });
}
