/**
 * The order and the refusals that keep a store from ever showing a half-published entry, and a
 * local cache from losing a compile in progress.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PartialFailureError } from "../../src/errors.ts";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { fetch } from "../../src/ops/fetch.ts";
import { sync } from "../../src/ops/sync.ts";
import { withNeuronCache } from "../../src/ops/with-neuron-cache.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import type { Store } from "../../src/store/store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

const CV = "2.21.33363.0+82129205";
const MODEL = "org/model";
let work: string;
let cacheDir: string;
let store: Store;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-safety-"));
  cacheDir = path.join(work, "cache");
  await mkdir(path.join(work, "store"));
  store = createDirStore({ root: path.join(work, "store") });
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Records the order of writes and copies (a test double of nothing but the call order). */
function recording(inner: Store, log: string[]): Store {
  return {
    ...inner,
    write: async (key, source, options) => {
      const result = await inner.write(key, source, options);
      log.push(key);
      return result;
    },
    copy: async (from, to, options) => {
      const result = (await inner.copy?.(from, to, options)) ?? null;
      log.push(to);
      return result;
    },
  };
}

describe("publishing order and refusals", () => {
  it("writes every file of an entry before its done marker, and the manifest last, in each area", async () => {
    await simulateCompile({ graphs: ["a", "b"], cacheDir, compilerVersion: CV, neffBytes: 100_000 });
    const log: string[] = [];
    await sync({ store: recording(store, log), cacheDir, compilerVersion: CV, modelId: MODEL });
    const byEntryArea = new Map<string, string[]>();
    for (const key of log) {
      const dir = key.slice(0, key.lastIndexOf("/"));
      byEntryArea.set(dir, [...(byEntryArea.get(dir) ?? []), key.slice(key.lastIndexOf("/") + 1)]);
    }
    expect(byEntryArea.size).toBe(4);
    for (const files of byEntryArea.values()) {
      expect(files.slice(-2)).toEqual(["model.done", "neff-cache.manifest.json"]);
      expect(files).toHaveLength(5);
    }
  });

  it("keeps an entry local when its NEFF is a symlink, and says why", async () => {
    const compiled = await simulateCompile({ graphs: ["s"], cacheDir, compilerVersion: CV });
    const entry = compiled.modules[0]?.path ?? "";
    const outside = path.join(work, "elsewhere.neff");
    await writeFile(outside, "bytes from outside the cache");
    await rm(path.join(entry, "model.neff"));
    await symlink(outside, path.join(entry, "model.neff"));
    const failure = await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PartialFailureError);
    expect(
      (failure as PartialFailureError<{ failed: Array<{ error: string }> }>).result.failed[0]?.error,
    ).toMatch(/not a regular file/);
    expect(await readdir(path.join(work, "store"))).toEqual([]);
  });

  it("writes no export record for a model without successful entries", async () => {
    await simulateCompile({ graphs: ["f"], cacheDir, compilerVersion: CV, fail: true });
    const result = await sync({
      store,
      cacheDir,
      compilerVersion: CV,
      modelId: MODEL,
      exportConfig: { batch_size: 1 },
      optimumNeuronVersion: "0.4.6",
    });
    expect(result.record).toBeNull();
    expect(result.recordSkipped).toMatch(/no successful entries/);
    expect(await readdir(path.join(work, "store"))).toEqual([]);
  });

  it("publishes the entries and skips only the record when no optimum-neuron version is known", async () => {
    const run = await withNeuronCache(
      {
        modelId: MODEL,
        cacheDir,
        compilerVersion: CV,
        store,
        exportConfig: { batch_size: 1 },
        optimumNeuronVersion: async () => null,
      },
      () => simulateCompile({ graphs: ["v"], cacheDir, compilerVersion: CV }),
    );
    expect(run.report.sync?.published).toHaveLength(1);
    expect(run.report.sync?.record).toBeNull();
    expect(run.report.warnings.join("\n")).toMatch(/export record is not written: no optimum-neuron version/);
  });
});

describe("fetch never clobbers a compile in progress", () => {
  it("leaves a failed entry alone while a compile holds its lock", async () => {
    const compiled = await simulateCompile({ graphs: ["r"], cacheDir, compilerVersion: CV });
    await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
    const module = compiled.modules[0]?.name ?? "";
    const entry = path.join(cacheDir, compilerVersionDir(CV), module);
    await rm(entry, { recursive: true });
    await mkdir(entry);
    await writeFile(path.join(entry, "model.log"), "old failure");
    await writeFile(path.join(entry, "model.hlo_module.pb.lock"), "");
    const result = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
    expect(result.skipped).toEqual([expect.objectContaining({ module, reason: "compiling-locally" })]);
    expect((await readdir(entry)).sort()).toEqual(["model.hlo_module.pb.lock", "model.log"]);
  });

  it("refuses a manifest that does not list the NEFF and the done marker", async () => {
    const compiled = await simulateCompile({ graphs: ["m"], cacheDir, compilerVersion: CV });
    await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
    const module = compiled.modules[0]?.name ?? "";
    const manifestPath = path.join(
      work,
      "store",
      compilerVersionDir(CV),
      MODEL,
      "default",
      module,
      "neff-cache.manifest.json",
    );
    const { readFile } = await import("node:fs/promises");
    const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { files: Array<{ name: string }> };
    manifest.files = manifest.files.filter((file) => file.name !== "model.neff");
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
    await rm(cacheDir, { recursive: true });
    const failure = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL }).catch(
      (error: unknown) => error,
    );
    expect(
      (failure as PartialFailureError<{ failed: Array<{ error: string }> }>).result.failed[0]?.error,
    ).toMatch(/does not list model.neff and model.done|manifest is unreadable/);
  });

  it("installs fetched entries readable by other users, as the compiler's own are", async () => {
    const compiled = await simulateCompile({ graphs: ["p"], cacheDir, compilerVersion: CV });
    await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
    await rm(cacheDir, { recursive: true });
    await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
    const mode =
      (await stat(path.join(cacheDir, compilerVersionDir(CV), compiled.modules[0]?.name ?? ""))).mode & 0o777;
    expect(mode).toBe(0o777 & ~process.umask());
    await chmod(cacheDir, 0o755);
  });
  it("keeps the published manifest in the local entry and still sees a large file that changed since", async () => {
    const compiled = await simulateCompile({
      graphs: ["big"],
      cacheDir,
      compilerVersion: CV,
      neffBytes: 3_000_000,
    });
    const entry = compiled.modules[0]?.path ?? "";
    const module = compiled.modules[0]?.name ?? "";
    await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
    const flatManifest = path.join(work, "store", compilerVersionDir(CV), module, "neff-cache.manifest.json");
    expect(await readFile(path.join(entry, "neff-cache.manifest.json"), "utf8")).toBe(
      await readFile(flatManifest, "utf8"),
    );
    expect((await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL })).published).toEqual([]);

    // Other bytes of the same size, written after the local manifest: its hash no longer stands.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await writeFile(path.join(entry, "model.neff"), Buffer.alloc(3_000_000, 0x42));
    const again = await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
    expect(again.published.map((published) => published.reasons)).toEqual([
      [
        "flat area: model.neff differs from the local bytes",
        "model area: model.neff differs from the local bytes",
      ],
    ]);
    const stored = await readFile(path.join(work, "store", compilerVersionDir(CV), module, "model.neff"));
    expect(stored.equals(Buffer.alloc(3_000_000, 0x42))).toBe(true);
  });
});
