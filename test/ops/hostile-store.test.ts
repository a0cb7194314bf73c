/**
 * Stores that lie or were tampered with: keys that try to leave the cache dir, symlinks in a
 * directory store, records that are not JSON, listings that claim sizes the objects do not
 * have. Each is refused or skipped with a reason, and nothing is written outside the cache dir.
 */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PartialFailureError } from "../../src/errors.ts";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { fetch } from "../../src/ops/fetch.ts";
import { lookup } from "../../src/ops/lookup.ts";
import { sync } from "../../src/ops/sync.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import type { ListItem, ListOptions, Store } from "../../src/store/store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

const CV = "2.21.33363.0+82129205";
const MODEL = "org/model";

let work: string;
let cacheDir: string;
let storeRoot: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-hostile-"));
  cacheDir = path.join(work, "cache");
  storeRoot = path.join(work, "store");
  await mkdir(storeRoot);
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A store that answers listings with extra, made-up items: what a compromised server could send. */
function withListing(
  store: Store,
  extra: (prefix: string) => ListItem[],
  patch?: (item: ListItem) => ListItem,
): Store {
  return {
    ...store,
    list: async function* (prefix: string, options?: ListOptions) {
      for await (const item of store.list(prefix, options)) yield patch ? patch(item) : item;
      yield* extra(prefix);
    },
  };
}

async function publishOne(store: Store): Promise<string> {
  const compiled = await simulateCompile({ graphs: ["g"], cacheDir, compilerVersion: CV, neffBytes: 10_000 });
  await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
  await rm(cacheDir, { recursive: true });
  return compiled.modules[0]?.name ?? "";
}

async function treeOf(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe("hostile stores", () => {
  it("refuses listed keys with .. or absolute parts and writes nothing outside the cache dir", async () => {
    const store = createDirStore({ root: storeRoot });
    await publishOne(store);
    const prefix = `${compilerVersionDir(CV)}/${MODEL}/default`;
    const evil: ListItem[] = [
      { type: "file", key: `${prefix}/MODULE_1+2/../../../../../escape.txt`, size: 4 },
      { type: "file", key: `${prefix}/../../../escape2/MODULE_3+4/model.neff`, size: 4 },
      { type: "file", key: `/etc/MODULE_5+6/model.neff`, size: 4 },
      { type: "file", key: `${prefix}/MODULE_7+8/sub/model.neff`, size: 4 },
    ];
    const before = await treeOf(work);
    const result = await fetch({
      store: withListing(store, () => evil),
      cacheDir,
      compilerVersion: CV,
      modelId: MODEL,
    });
    expect(result.fetched).toHaveLength(1);
    expect(result.refusedKeys.map((refused) => refused.reason).sort()).toEqual([
      "nested-file",
      "unsafe-key",
      "unsafe-key",
      "unsafe-key",
    ]);
    const added = (await treeOf(work)).filter((item) => !before.includes(item));
    expect(added.every((item) => item.startsWith("cache"))).toBe(true);
  });

  it("fails an entry whose listing claims a size its object does not have, installing nothing", async () => {
    const store = createDirStore({ root: storeRoot });
    const module = await publishOne(store);
    // Without a manifest the listing is all a reader has: remove it, then lie about the NEFF's size.
    await rm(
      path.join(storeRoot, compilerVersionDir(CV), MODEL, "default", module, "neff-cache.manifest.json"),
    );
    const lying = withListing(
      store,
      () => [],
      (item) =>
        item.type === "file" && item.key.endsWith("model.neff") ? { ...item, size: item.size + 100 } : item,
    );
    const failure = await fetch({ store: lying, cacheDir, compilerVersion: CV, modelId: MODEL }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PartialFailureError);
    const result = (failure as PartialFailureError<{ failed: Array<{ error: string }> }>).result;
    expect(result.failed[0]?.error).toMatch(/has 10000 bytes, expected 10100/);
    expect(await readdir(path.join(cacheDir, compilerVersionDir(CV)))).not.toContain(module);
  });

  it("never follows a directory store's symlink out of the store", async () => {
    const outside = path.join(work, "outside");
    await mkdir(outside);
    await writeFile(path.join(outside, "model.neff"), "secret");
    await writeFile(path.join(outside, "model.done"), "");
    const entry = path.join(storeRoot, compilerVersionDir(CV), MODEL, "default", "MODULE_aaaa+bbbb");
    await mkdir(path.dirname(entry), { recursive: true });
    await symlink(outside, entry);
    const store = createDirStore({ root: storeRoot });
    const result = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
    expect(result.fetched).toEqual([]);
    expect(await readdir(cacheDir).catch(() => [])).not.toContain("MODULE_aaaa+bbbb");
  });

  it("reports and skips a record that is not JSON, keeping the good ones", async () => {
    const store = createDirStore({ root: storeRoot });
    const exportsDir = path.join(storeRoot, compilerVersionDir(CV), MODEL, "default", "exports", "0.4.6");
    await mkdir(exportsDir, { recursive: true });
    await writeFile(path.join(exportsDir, "0000dead.json"), "{not json");
    await writeFile(path.join(exportsDir, "db8be9fb.json"), '{\n  "batch_size": 1\n}');
    await writeFile(path.join(exportsDir, "11112222.json"), "[1, 2]");
    const result = await lookup({ store, modelId: MODEL });
    expect(result.records.map((record) => record.hash)).toEqual(["db8be9fb"]);
    expect(result.malformed.map((bad) => bad.key.slice(-13))).toEqual(["0000dead.json", "11112222.json"]);
    expect(result.malformed[0]?.reason).toMatch(/not valid JSON/);
  });

  it("refuses a manifest copied from another entry", async () => {
    const store = createDirStore({ root: storeRoot });
    const compiled = await simulateCompile({ graphs: ["a", "b"], cacheDir, compilerVersion: CV });
    await sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });
    await rm(cacheDir, { recursive: true });
    const [first, second] = compiled.modules.map((module) => module.name);
    const area = path.join(storeRoot, compilerVersionDir(CV), MODEL, "default");
    const manifest = await import("node:fs/promises").then((fs) =>
      fs.readFile(path.join(area, first ?? "", "neff-cache.manifest.json")),
    );
    await writeFile(path.join(area, second ?? "", "neff-cache.manifest.json"), manifest);
    const failure = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL }).catch(
      (error: unknown) => error,
    );
    const result = (
      failure as PartialFailureError<{
        fetched: Array<{ module: string }>;
        failed: Array<{ module: string }>;
      }>
    ).result;
    expect(result.fetched.map((entry) => entry.module)).toEqual([first]);
    expect(result.failed.map((entry) => entry.module)).toEqual([second]);
  });
});
