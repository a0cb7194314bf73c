/**
 * A warm fetch lists the area's entry folders and lists files only of the folders it lacks; a
 * cold one lists the area's files at once. Checked on a real directory store, with its listing
 * calls recorded on the way through.
 */
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, expect, it } from "vitest";
import { modelTaskPrefix } from "../../src/layout/cache-layout.ts";
import { fetch } from "../../src/ops/fetch.ts";
import { sync } from "../../src/ops/sync.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import type { ListOptions, Store } from "../../src/store/store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

const CV = "2.21.33363.0+82129205";
const MODEL = "org/model";
const PREFIX = modelTaskPrefix({ compilerVersion: CV, modelId: MODEL, task: "default" });

let work: string;
let cacheDir: string;
let storeRoot: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-warm-fetch-"));
  cacheDir = path.join(work, "cache");
  storeRoot = path.join(work, "store");
  await mkdir(storeRoot);
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The store, with every listing it is asked for written down as `prefix (recursive|folders)`. */
function recording(store: Store, calls: string[]): Store {
  return {
    ...store,
    list: (prefix: string, options?: ListOptions) => {
      calls.push(`${prefix} ${(options?.recursive ?? true) ? "recursive" : "folders"}`);
      return store.list(prefix, options);
    },
  };
}

it("lists folders when warm, files only of the missing folders, and the whole area when cold", async () => {
  const store = createDirStore({ root: storeRoot });
  const compiled = await simulateCompile({
    graphs: ["a", "b", "c"],
    cacheDir,
    compilerVersion: CV,
    neffBytes: 1000,
  });
  await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
  const modules = compiled.modules.map((m) => m.name).sort();
  const versionDir = path.join(cacheDir, `neuronxcc-${CV}`);
  await rm(cacheDir, { recursive: true });
  const fetchWith = async (calls: string[]) =>
    fetch({ store: recording(store, calls), cacheDir, compilerVersion: CV, modelId: MODEL });

  const cold: string[] = [];
  expect((await fetchWith(cold)).fetched.map((e) => e.module)).toEqual(modules);
  expect(cold).toEqual([`${PREFIX} recursive`]);

  const warm: string[] = [];
  const warmResult = await fetchWith(warm);
  expect(warmResult.fetched).toEqual([]);
  expect(warmResult.skipped.map((s) => [s.module, s.reason])).toEqual(modules.map((m) => [m, "present"]));
  expect(warm).toEqual([`${PREFIX} folders`]);

  const lost = modules[1] as string;
  await rm(path.join(versionDir, lost), { recursive: true });
  const oneMissing: string[] = [];
  const refetched = await fetchWith(oneMissing);
  expect(refetched.fetched.map((e) => e.module)).toEqual([lost]);
  expect(refetched.skipped.map((s) => s.module)).toEqual(modules.filter((m) => m !== lost));
  expect(oneMissing).toEqual([`${PREFIX} folders`, `${PREFIX}/${lost} recursive`]);

  // The store's copy of an entry that is a success here is not looked into by a warm fetch:
  // reported present; once the local entry is gone, the fetch sees the store's half-written copy.
  await rm(path.join(storeRoot, PREFIX, lost, "model.done"));
  const halfWritten = await fetchWith([]);
  expect(halfWritten.skipped.find((s) => s.module === lost)?.reason).toBe("present");
  await rm(path.join(versionDir, lost), { recursive: true });
  const seen = await fetchWith([]);
  expect(seen.skipped.find((s) => s.module === lost)?.reason).toBe("remote-incomplete");

  // A store folder a writer has only begun holds no file yet: the folder listing may report it
  // (the directory store does, unread), and a fetch then finds nothing there to take.
  const begun = `MODULE_${"0".repeat(20)}+${"f".repeat(8)}`;
  await mkdir(path.join(storeRoot, PREFIX, begun));
  const withBegun: string[] = [];
  const afterBegun = await fetchWith(withBegun);
  expect(afterBegun.fetched).toEqual([]);
  expect(afterBegun.skipped.map((s) => s.module)).not.toContain(begun);
  expect(withBegun).toEqual([
    `${PREFIX} folders`,
    `${PREFIX}/${begun} recursive`,
    `${PREFIX}/${lost} recursive`,
  ]);
  expect(await readdir(versionDir)).not.toContain(begun);
});

it("starts the folder listing at every 500th local entry where the store lists in parallel", async () => {
  const { generateSyntheticCache } = await import("../../tools/synthetic-cache/generate-synthetic-cache.ts");
  await generateSyntheticCache({ dir: cacheDir, compilerVersion: CV, success: 1200, profile: "small" });
  const local = (await readdir(path.join(cacheDir, `neuronxcc-${CV}`))).sort();
  const dir = createDirStore({ root: storeRoot });
  const seen: Array<readonly string[] | undefined> = [];
  const listing = (parallelListing: boolean): Store => ({
    ...dir,
    capabilities: { ...dir.capabilities, parallelListing },
    list: (prefix: string, options?: ListOptions) => {
      if (options?.recursive === false) seen.push(options.parallelFrom);
      return dir.list(prefix, options);
    },
  });
  for (const parallelListing of [true, false]) {
    const result = await fetch({
      store: listing(parallelListing),
      cacheDir,
      compilerVersion: CV,
      modelId: MODEL,
    });
    expect(result.fetched).toEqual([]);
  }
  expect(seen).toEqual([
    [`${PREFIX}/${local[500] as string}`, `${PREFIX}/${local[1000] as string}`],
    undefined,
  ]);
});
